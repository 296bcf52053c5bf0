/**
 * Money is an integer count of minor units plus an ISO 4217 currency code.
 * Amount text is parsed as decimal text, never through floating point, so "0.1" + "0.2" stays exact.
 */

export type Currency = string;

export class MoneyError extends Error {
  override name = "MoneyError";
}

/** ISO 4217 minor-unit exponents that differ from 2. Source: ISO 4217 list one (2024). */
const EXPONENTS: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

let knownCurrencies: Set<string> | undefined;

export function isCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf("currency"));
  return /^[A-Z]{3}$/.test(code) && knownCurrencies.has(code);
}

export function currencyExponent(currency: Currency): number {
  if (!isCurrency(currency)) throw new MoneyError(`unknown currency "${currency}"`);
  return EXPONENTS[currency] ?? 2;
}

/** Guards the integer range in which a JS number is exact (±9,007,199,254,740,991 minor units). */
export function assertSafeMinor(minor: number): number {
  if (!Number.isSafeInteger(minor))
    throw new MoneyError(`amount ${minor} is not a safe integer of minor units`);
  return minor;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses decimal text ("-1190.5", "12", "+3.40") into minor units of `currency`.
 * Rejects more fraction digits than the currency has, thousands separators, exponents and blanks.
 */
export function parseAmount(text: string, currency: Currency): number {
  const exponent = currencyExponent(currency);
  const match = DECIMAL.exec(text);
  if (!match) throw new MoneyError(`"${text}" is not a decimal amount (expected e.g. "-1190.00")`);
  const [, sign = "", whole = "", fraction = ""] = match;
  if (fraction.length > exponent) {
    throw new MoneyError(`"${text}" has more than ${exponent} decimal places for ${currency}`);
  }
  const minor = Number(whole + fraction.padEnd(exponent, "0"));
  assertSafeMinor(minor);
  return sign === "-" && minor !== 0 ? -minor : minor;
}

/** Formats minor units as plain decimal text with the currency's exponent: 119000 EUR → "1190.00". */
export function formatAmount(minor: number, currency: Currency): string {
  assertSafeMinor(minor);
  const exponent = currencyExponent(currency);
  const negative = minor < 0;
  const digits = String(Math.abs(minor));
  if (exponent === 0) return (negative ? "-" : "") + digits;
  const padded = digits.padStart(exponent + 1, "0");
  const text = `${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
  return negative ? `-${text}` : text;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** Formats for people, in the locale's style: 119000 EUR, "de-DE" → "1.190,00 €". */
export function formatMoney(minor: number, currency: Currency, locale = "de-DE"): string {
  const key = `${locale}|${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    const exponent = currencyExponent(currency);
    formatter = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formatters.set(key, formatter);
  }
  // Through the exact decimal text, so huge amounts never pass through a lossy division.
  return formatter.format(formatAmount(minor, currency) as unknown as number);
}
