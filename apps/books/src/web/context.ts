import type { Xs2aClientOptions } from "@kontor/xs2a";
import type { Context } from "hono";
import type { RequestIdVariables } from "hono/request-id";
import type { Kysely } from "kysely";
import type { AuthContext } from "../auth/auth.service.ts";
import type { BankDirectoryEntry } from "../connectors/bank-directory.ts";
import type { BankConnector } from "../connectors/connector.ts";
import type { BooksDatabase } from "../db/schema.ts";
import type { SyncQueue } from "../jobs/queue.ts";
import type { BooksKeys } from "../security/keys.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { Locale, Translate } from "./i18n.ts";
import type { Assets } from "./layout.ts";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One JSON object per line on stderr: easy to read, easy to ship to a log store. */
export function jsonLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const log =
    (level: string) =>
    (message: string, fields: LogFields = {}) => {
      const entry: Record<string, unknown> = { time: new Date().toISOString(), level, message };
      for (const [key, value] of Object.entries(fields)) {
        entry[key] =
          value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
      }
      write(`${JSON.stringify(entry)}\n`);
    };
  return { info: log("info"), warn: log("warn"), error: log("error") };
}

/** What createApp needs besides the database. Built by server.ts from the environment, or by a test. */
export interface AppConfig {
  /** Base URL of the bank's XS2A server (no trailing slash), e.g. "http://localhost:4000". */
  bankBaseUrl: string;
  /** Public origin when behind a proxy ("https://books.example.com"): allowed as Origin; https → Secure cookies. */
  publicUrl: string | undefined;
  keys: BooksKeys;
  /** The demo is seeded: the login page shows its credentials. */
  demo: boolean;
  /** How books identifies itself to banks as a TPP (sandbox headers). */
  tpp: { id: string; key: string };
  /** Banks beyond the sandbox at bankBaseUrl, from BOOKS_BANK_DIRECTORY. */
  extraBanks: readonly BankDirectoryEntry[];
  /**
   * How many reverse proxies in front of books append to X-Forwarded-For (BOOKS_TRUST_PROXY); 0: the header
   * is ignored and the socket's address is the user's.
   */
  trustProxy: number;
  /** Xs2aClient tuning (timeouts, retries); tests shorten the waits. */
  xs2aClient?: Xs2aClientTuning | undefined;
}

export type Xs2aClientTuning = Pick<
  Xs2aClientOptions,
  "timeoutMs" | "retries" | "retryBaseDelayMs" | "maxRetryDelayMs" | "fetch"
>;

export interface AppDeps {
  db: Kysely<BooksDatabase>;
  clock: Clock;
  config: AppConfig;
  logger: Logger;
  /** Seals tokens and consent ids at rest; keyed by config.keys.atRest. */
  secretBox: SecretBox;
  /** The durable job queue (pg-boss) sync jobs wait in. */
  jobs: SyncQueue;
  /** The bank directory: the sandbox bank at config.bankBaseUrl, then config.extraBanks. */
  banks: readonly BankDirectoryEntry[];
  /** The connector that speaks to a bank of the directory. */
  connectorFor(bankId: string): BankConnector;
}

export type AppEnv = {
  Variables: RequestIdVariables & {
    deps: AppDeps;
    assets: Assets;
    locale: Locale;
    t: Translate;
    /** The logged-in user in their current organisation, or null. */
    auth: AuthContext | null;
  };
};

export type AppContext = Context<AppEnv>;

/** True when the client asked for JSON rather than a page (fetch/API callers, not browsers navigating). */
export function wantsJson(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

/** Secure cookies whenever users reach us over https, directly or through a TLS-terminating proxy. */
export function isHttps(c: AppContext): boolean {
  return (
    new URL(c.req.url).protocol === "https:" || c.var.deps.config.publicUrl?.startsWith("https:") === true
  );
}

/**
 * A redirect target taken from user input ("?next=") must stay on this site: a path, not "//evil.example"
 * or "/\evil.example", which browsers treat as another host.
 */
export function safeLocalPath(next: string | undefined, fallback: string): string {
  if (next === undefined || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\"))
    return fallback;
  try {
    const base = "http://books.invalid";
    const url = new URL(next, base);
    return url.origin === base ? `${url.pathname}${url.search}` : fallback;
  } catch {
    return fallback;
  }
}
