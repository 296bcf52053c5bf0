import { z } from "zod";
import { MIN_SECRET_LENGTH } from "./security/keys.ts";

/** Unset and empty variables are the same thing: `FOO= npm start` means "use the default". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: 'expected "true" or "false"' })
  .transform((value) => value === "true" || value === "1" || value === "yes");

/**
 * How many reverse proxies in front of books append to X-Forwarded-For: "true" is one, a number says how many
 * (a CDN before nginx is 2). Off by default: without a proxy anyone can send the header, and the PSU's IP
 * address would be whatever they wrote.
 */
const trustProxy = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(true|false|yes|no|\d{1,2})$/, {
    error: 'expected "true", "false" or the number of proxies in front of books',
  })
  .transform((value) =>
    value === "true" || value === "yes" ? 1 : value === "false" || value === "no" ? 0 : Number(value),
  );

const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

/** The TPP identity npm start registers at the sandbox bank (scripts/start.ts reads the same variables). */
export const DEFAULT_TPP = { id: "PSDDE-BAFIN-KONTOR1", key: "kontor-books-sandbox-key-change-me" } as const;

const envSchema = z.object({
  BOOKS_PORT: z.preprocess(
    (value) => (value === "" || value === undefined ? undefined : value),
    z.coerce.number().int().min(0).max(65_535).default(3000),
  ),
  BOOKS_HOST: optional(z.string()),
  BOOKS_DATABASE_URL: optional(z.url({ protocol: /^postgres(ql)?$/, error: "expected a postgres:// URL" })),
  KONTOR_DATA_DIR: z.preprocess((value) => (value === "" ? undefined : value), z.string().default("./data")),
  BANK_BASE_URL: z.preprocess(
    (value) => (value === "" ? undefined : value),
    httpUrl.default("http://localhost:4000"),
  ),
  /** Where users reach books, when it differs from the address it listens on (behind a proxy). */
  BOOKS_PUBLIC_URL: optional(httpUrl),
  KONTOR_SECRET: optional(
    z.string().min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`),
  ),
  /** Default: seed the demo for the embedded database, never for a PostgreSQL server. */
  BOOKS_SEED_DEMO: optional(flag),
  /** How books presents itself to the sandbox bank as a TPP (the same values npm start registers there). */
  BOOKS_TPP_ID: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().default(DEFAULT_TPP.id),
  ),
  BOOKS_TPP_KEY: z.preprocess(
    (value) => (value === "" ? undefined : value),
    z.string().default(DEFAULT_TPP.key),
  ),
  /** A JSON file of further banks for the bank search (connectors/bank-directory.ts). */
  BOOKS_BANK_DIRECTORY: optional(z.string()),
  /** Read the user's IP address from X-Forwarded-For (see trustProxy above). */
  BOOKS_TRUST_PROXY: optional(trustProxy),
});

/** What a books process needs to start (see server.ts); parsed from the environment by loadConfig. */
export interface ServerConfig {
  port: number;
  hostname: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  bankBaseUrl: string;
  publicUrl: string | undefined;
  secret: string | undefined;
  seedDemo: boolean;
  tpp: { id: string; key: string };
  /** Path of the bank directory file, if any. */
  bankDirectoryFile: string | undefined;
  /** Reverse proxies whose X-Forwarded-For entries are believed; 0 = use the socket's address. */
  trustProxy: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid books configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    port: e.BOOKS_PORT,
    hostname: e.BOOKS_HOST,
    databaseUrl: e.BOOKS_DATABASE_URL,
    dataDir: e.KONTOR_DATA_DIR,
    bankBaseUrl: stripTrailingSlash(e.BANK_BASE_URL),
    publicUrl: e.BOOKS_PUBLIC_URL === undefined ? undefined : new URL(e.BOOKS_PUBLIC_URL).origin,
    secret: e.KONTOR_SECRET,
    seedDemo: e.BOOKS_SEED_DEMO ?? e.BOOKS_DATABASE_URL === undefined,
    tpp: { id: e.BOOKS_TPP_ID, key: e.BOOKS_TPP_KEY },
    bankDirectoryFile: e.BOOKS_BANK_DIRECTORY,
    trustProxy: e.BOOKS_TRUST_PROXY ?? 0,
  };
}

export function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
