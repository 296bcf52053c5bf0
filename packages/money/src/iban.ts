import { electronicFormatIBAN, friendlyFormatIBAN, isValidBIC, isValidIBAN } from "ibantools";

/** Normalises an IBAN as typed by people ("de89 3704 0044 ...") to its electronic form, or null if invalid. */
export function normalizeIban(input: string): string | null {
  const electronic = electronicFormatIBAN(input);
  return electronic && isValidIBAN(electronic) ? electronic : null;
}

export function isIban(input: string): boolean {
  return normalizeIban(input) !== null;
}

/** "DE89370400440532013000" → "DE89 3704 0044 0532 0130 00" */
export function formatIban(iban: string): string {
  return friendlyFormatIBAN(iban) ?? iban;
}

export function isBic(input: string): boolean {
  return isValidBIC(input.trim().toUpperCase());
}

/** Computes the check digits for a country code and BBAN (used by the sandbox to mint valid IBANs). */
export function ibanFromBban(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of rearranged) remainder = (remainder * 10 + Number(digit)) % 97;
  const check = String(98 - remainder).padStart(2, "0");
  return `${country}${check}${bban}`;
}
