/**
 * The banks a user can search for under "Connect new account": the sandbox bank books is configured with,
 * plus entries from a JSON file (BOOKS_BANK_DIRECTORY), e.g.
 *
 *   { "banks": [ { "id": "musterbank", "name": "Musterbank", "bic": "MUSTDEFFXXX",
 *                  "xs2aBaseUrl": "https://xs2a.musterbank.example/xs2a", "scaApproaches": ["REDIRECT"] } ] }
 *
 * Every entry speaks XS2A through xs2a.connector.ts. Books drives two SCA approaches: REDIRECT (the user's
 * browser goes to the bank's pages) and DECOUPLED (the user approves in the bank's app while books waits);
 * a bank offering neither is listed but cannot be connected. The format is documented in the README.
 */
import { readFileSync } from "node:fs";
import { isBic } from "@kontor/money";
import { z } from "zod";

export const SCA_APPROACHES = ["REDIRECT", "DECOUPLED", "EMBEDDED", "OAUTH"] as const;

/** "missing" for an absent field, the expectation otherwise: the two mistakes people make in a hand-written file. */
const text = (expected: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? "missing" : `expected ${expected}`) });

export const bankDirectoryEntrySchema = z.strictObject({
  id: text("text").regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected lower-case letters, digits and dashes"),
  name: text("text").trim().min(1, "must not be empty").max(100, "at most 100 characters"),
  // BICs are written in capitals (ISO 9362).
  bic: text("a BIC")
    .trim()
    .toUpperCase()
    .refine(isBic, {
      error: (issue) => `expected a BIC (8 or 11 characters), got ${JSON.stringify(issue.input)}`,
    }),
  xs2aBaseUrl: text("an http(s) URL")
    .pipe(
      z.url({
        protocol: /^https?$/,
        error: (issue) => `expected an http(s) URL, got ${JSON.stringify(issue.input)}`,
      }),
    )
    .transform((url) => url.replace(/\/+$/, "")),
  scaApproaches: z
    .array(
      z.enum(SCA_APPROACHES, {
        error: (issue) =>
          `unknown SCA approach ${JSON.stringify(issue.input)}; expected one of ${SCA_APPROACHES.join(", ")}`,
      }),
      { error: (issue) => (issue.input === undefined ? "missing" : 'expected a list such as ["REDIRECT"]') },
    )
    .min(1, "name at least one SCA approach")
    .refine((list) => new Set(list).size === list.length, "an SCA approach is listed twice"),
});
export type BankDirectoryEntry = z.infer<typeof bankDirectoryEntrySchema>;

const directoryFileSchema = z.strictObject(
  {
    banks: z.array(bankDirectoryEntrySchema, {
      error: (issue) => (issue.input === undefined ? "missing" : "expected a list of banks"),
    }),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? undefined : 'expected an object { "banks": [ … ] }',
  },
);

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

/** "banks[1] (musterbank).bic" — the entry by position and, when it has a usable one, by id. */
function where(json: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== "banks" || typeof path[1] !== "number") return path.join(".") || "the file";
  const entry = (json as { banks: unknown[] }).banks[path[1]];
  const id =
    entry && typeof entry === "object" && typeof (entry as { id?: unknown }).id === "string"
      ? ` (${(entry as { id: string }).id})`
      : "";
  const rest = path.slice(2).map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`));
  return `banks[${path[1]}]${id}${rest.join("")}`;
}

/**
 * Reads and checks a directory file; a bad file stops books at start with every problem listed, each naming
 * the entry and the field, so the operator fixes the file in one go.
 */
export function loadBankDirectoryFile(path: string): BankDirectoryEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BankDirectoryError(`bank directory ${path}: cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BankDirectoryError(`bank directory ${path}: not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const parsed = directoryFileSchema.safeParse(json);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${where(json, issue.path)}: ${issue.message}`);
  if (parsed.success) {
    const ids = new Map<string, number>([[SANDBOX_BANK_ID, -1]]);
    const bics = new Map<string, number>();
    parsed.data.banks.forEach((bank, index) => {
      const sameId = ids.get(bank.id);
      if (sameId !== undefined) {
        problems.push(
          sameId === -1
            ? `banks[${index}] (${bank.id}).id: "${bank.id}" is the sandbox bank's id`
            : `banks[${index}] (${bank.id}).id: "${bank.id}" is already the id of banks[${sameId}]`,
        );
      }
      ids.set(bank.id, index);
      const sameBic = bics.get(bank.bic);
      if (sameBic !== undefined) {
        problems.push(
          `banks[${index}] (${bank.id}).bic: ${bank.bic} is already the BIC of banks[${sameBic}]`,
        );
      }
      bics.set(bank.bic, index);
    });
  }
  if (problems.length > 0 || !parsed.success) {
    throw new BankDirectoryError(`bank directory ${path}:\n${problems.map((p) => `  ${p}`).join("\n")}`);
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

export function offersApproach(bank: BankDirectoryEntry, approach: "REDIRECT" | "DECOUPLED"): boolean {
  return bank.scaApproaches.includes(approach);
}

/** EMBEDDED and OAUTH are not driven by books: a bank offering only those cannot be connected. */
export function canConnect(bank: BankDirectoryEntry): boolean {
  return offersApproach(bank, "REDIRECT") || offersApproach(bank, "DECOUPLED");
}
