/**
 * The banks a user can search for under "Connect new account": the sandbox bank books is configured with,
 * plus entries from a JSON file (BOOKS_BANK_DIRECTORY), e.g.
 *
 *   { "banks": [ { "id": "musterbank", "name": "Musterbank", "bic": "MUSTDEFFXXX",
 *                  "xs2aBaseUrl": "https://xs2a.musterbank.example/xs2a", "scaApproaches": ["REDIRECT"] } ] }
 *
 * Every entry speaks XS2A through xs2a.connector.ts; books connects only where it can send the user's browser
 * to the bank (the REDIRECT approach).
 */
import { readFileSync } from "node:fs";
import { isBic } from "@kontor/money";
import { z } from "zod";

export const SCA_APPROACHES = ["REDIRECT", "DECOUPLED", "EMBEDDED", "OAUTH"] as const;

export const bankDirectoryEntrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lower-case letters, digits and dashes"),
  name: z.string().trim().min(1).max(100),
  bic: z.string().refine(isBic, "expected a BIC"),
  xs2aBaseUrl: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, "")),
  scaApproaches: z.array(z.enum(SCA_APPROACHES)).min(1),
});
export type BankDirectoryEntry = z.infer<typeof bankDirectoryEntrySchema>;

const directoryFileSchema = z.strictObject({ banks: z.array(bankDirectoryEntrySchema) });

export const SANDBOX_BANK_ID = "kontor-sandbox";

export function sandboxBank(bankBaseUrl: string): BankDirectoryEntry {
  return {
    id: SANDBOX_BANK_ID,
    name: "Kontor Sandbox Bank",
    bic: "KONTDEB1XXX",
    xs2aBaseUrl: `${bankBaseUrl.replace(/\/+$/, "")}/xs2a`,
    scaApproaches: ["REDIRECT", "DECOUPLED"],
  };
}

export class BankDirectoryError extends Error {
  override name = "BankDirectoryError";
}

/** Reads and checks a directory file; a bad file stops books at start with a message naming the field. */
export function loadBankDirectoryFile(path: string): BankDirectoryEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new BankDirectoryError(`bank directory ${path}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = directoryFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BankDirectoryError(`bank directory ${path}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const ids = new Set<string>();
  for (const bank of parsed.data.banks) {
    if (ids.has(bank.id) || bank.id === SANDBOX_BANK_ID) {
      throw new BankDirectoryError(`bank directory ${path}: the id "${bank.id}" is used twice`);
    }
    ids.add(bank.id);
  }
  return parsed.data.banks;
}

/** Case-insensitive search by name or BIC; the empty query lists every bank. */
export function searchBanks(directory: readonly BankDirectoryEntry[], query: string): BankDirectoryEntry[] {
  const q = query.trim().toLocaleLowerCase("de");
  return directory
    .filter(
      (bank) =>
        q === "" || bank.name.toLocaleLowerCase("de").includes(q) || bank.bic.toLowerCase().startsWith(q),
    )
    .sort((a, b) => a.name.localeCompare(b.name, "de"));
}

/** Books connects by sending the user's browser to the bank, so only banks offering redirect SCA qualify. */
export function canConnect(bank: BankDirectoryEntry): boolean {
  return bank.scaApproaches.includes("REDIRECT");
}
