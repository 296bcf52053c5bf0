/**
 * Helpers for books' own tests (and the next features' tests): a migrated database per test file, a clock
 * that tests move, a logger that records, and a cookie-keeping client that behaves like a browser.
 * Nothing here is mocked: requests run through the real app against a real database.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "@kontor/db";
import { createTestDatabase } from "@kontor/db/testing";
import type { Hono } from "hono";
import { createApp, createAppDeps } from "./app.ts";
import { ensureUser } from "./auth/users.service.ts";
import { migrations } from "./db/migrations.ts";
import type { BooksDatabase } from "./db/schema.ts";
import { startSyncQueue } from "./jobs/queue.ts";
import { addMember, createOrganisation } from "./organisations/organisations.service.ts";
import type { Role } from "./organisations/permissions.ts";
import { deriveKeys } from "./security/keys.ts";
import type { AppConfig, AppDeps, AppEnv, Clock, LogFields, Logger } from "./web/context.ts";

export const TEST_SECRET = "kontor-test-secret-0123456789abcdefghijklmnop";

export interface TestClock extends Clock {
  advance(ms: number): void;
  set(instant: Date): void;
}

export function testClock(start = new Date("2026-11-23T09:00:00Z")): TestClock {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance: (ms) => {
      now += ms;
    },
    set: (instant) => {
      now = instant.getTime();
    },
  };
}

export interface LogEntry {
  level: "info" | "warn" | "error";
  message: string;
  fields: LogFields;
}

export function memoryLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log =
    (level: LogEntry["level"]) =>
    (message: string, fields: LogFields = {}) => {
      entries.push({ level, message, fields });
    };
  return { entries, info: log("info"), warn: log("warn"), error: log("error") };
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    bankBaseUrl: "http://bank.invalid",
    publicUrl: undefined,
    keys: deriveKeys(TEST_SECRET),
    demo: false,
    tpp: { id: "PSDDE-BAFIN-TEST01", key: "books-test-tpp-key-0123456789" },
    extraBanks: [],
    trustProxy: 0,
    ...overrides,
  };
}

export interface TestBooks {
  app: Hono<AppEnv>;
  /** What the app runs on (database, clock, connectors): for calling services and the sync worker directly. */
  deps: AppDeps;
  database: Database<BooksDatabase>;
  clock: TestClock;
  logger: ReturnType<typeof memoryLogger>;
  /** Another app over the same database, e.g. with a different config. */
  appWith(config: Partial<AppConfig>): Hono<AppEnv>;
  close(): Promise<void>;
}

/**
 * A books app over a fresh migrated database (PGlite, or PostgreSQL when BOOKS_DATABASE_URL is set), with
 * its job queue (pg-boss) on the test clock: pg-boss runs nothing on its own, drainJobs runs the jobs.
 */
export async function createTestBooks(
  options: { config?: Partial<AppConfig>; now?: Date } = {},
): Promise<TestBooks> {
  const database = await createTestDatabase<BooksDatabase>(migrations, "BOOKS_DATABASE_URL");
  const clock = testClock(options.now);
  const logger = memoryLogger();
  let jobs: Awaited<ReturnType<typeof startSyncQueue>>;
  try {
    jobs = await startSyncQueue(database, { clock, logger, testClock: true, maxConnections: 2 });
  } catch (error) {
    await database.close();
    throw error;
  }
  const input = (config: Partial<AppConfig>) => ({
    db: database.db,
    clock,
    logger,
    jobs,
    config: testConfig({ ...options.config, ...config }),
  });
  const appWith = (config: Partial<AppConfig>) => createApp(input(config));
  return {
    app: appWith({}),
    deps: createAppDeps(input({})),
    database,
    clock,
    logger,
    appWith,
    async close() {
      await jobs.stop();
      await database.close();
    },
  };
}

export interface TestMember {
  organisation: { id: string; name: string };
  user: { id: string; email: string; name: string; password: string };
}

/**
 * A new user with `role` in a new organisation (or in `organisation`); unique names and emails, so the
 * tests of one file can share a database.
 */
export async function createMember(
  books: Pick<TestBooks, "database" | "clock">,
  options: { role?: Role; organisation?: { id: string; name: string } } = {},
): Promise<TestMember> {
  const { db } = books.database;
  const suffix = randomUUID().slice(0, 8);
  const organisation =
    options.organisation ?? (await createOrganisation(db, books.clock, { name: `Test GmbH ${suffix}` }));
  const password = `pw-${suffix}`;
  const user = await ensureUser(db, books.clock, {
    email: `user-${suffix}@example.test`,
    name: `User ${suffix}`,
    password,
  });
  await addMember(db, books.clock, organisation.id, { userId: user.id, role: options.role ?? "accountant" });
  return { organisation, user: { ...user, password } };
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The redirect target, when there is one. */
  location: string | null;
  json<T = unknown>(): T;
}

export interface TestBrowser {
  readonly origin: string;
  /** name → value of the cookies the app has set and not deleted. */
  readonly cookies: Map<string, string>;
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
  /**
   * Posts a form the way a browser does (same Origin). The CSRF token from the last page seen is added
   * unless `_csrf` is given (pass "" to send none).
   */
  post(
    path: string,
    form?: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** Opens the login page and logs in; returns the login POST's response. */
  login(email: string, password: string): Promise<TestResponse>;
  lastCsrfToken(): string | undefined;
}

/**
 * A browser stand-in: keeps cookies, remembers the CSRF token of the last page it saw, sends the
 * Origin header on posts and does not follow redirects.
 */
export function testBrowser(
  app: Pick<Hono<AppEnv>, "request">,
  options: { origin?: string; acceptLanguage?: string } = {},
): TestBrowser {
  const origin = options.origin ?? "http://localhost";
  const cookies = new Map<string, string>();
  let csrf: string | undefined;

  async function send(
    path: string,
    init: RequestInit & { headers: Record<string, string> },
  ): Promise<TestResponse> {
    const cookieHeader = [...cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    // The socket @hono/node-server would hand over: the client's address reaches the app as on a real server.
    const env = {
      incoming: { socket: { remoteAddress: "127.0.0.1", remotePort: 50_000, remoteFamily: "IPv4" } },
    };
    const response = await app.request(
      new URL(path, origin).toString(),
      {
        ...init,
        headers: {
          "accept-language": options.acceptLanguage ?? "en-GB,en;q=0.9",
          accept: "text/html,application/xhtml+xml",
          ...(cookieHeader ? { cookie: cookieHeader } : {}),
          ...init.headers,
        },
      },
      env,
    );
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const index = pair.indexOf("=");
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      // Deletion is Max-Age=0 (and an Expires in 1970). Other expiry dates come from the app's clock, which
      // tests move, so they are left to the server to enforce.
      const expired = attributes.some((a) => {
        const [key = "", val = ""] = a.trim().split("=");
        const attribute = key.toLowerCase();
        return (
          (attribute === "max-age" && Number(val) <= 0) || (attribute === "expires" && Date.parse(val) <= 0)
        );
      });
      if (expired || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    const body = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (token) csrf = token;
    return {
      status: response.status,
      headers: response.headers,
      body,
      location: response.headers.get("location"),
      json: <T>() => JSON.parse(body) as T,
    };
  }

  const browser: TestBrowser = {
    origin,
    cookies,
    get: (path, headers = {}) => send(path, { method: "GET", headers }),
    post: (path, form = {}, headers = {}) => {
      const fields: Record<string, string | string[]> = {
        ...(csrf && !("_csrf" in form) ? { _csrf: csrf } : {}),
        ...form,
      };
      if (fields._csrf === "") delete fields._csrf;
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(fields)) {
        for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
      }
      return send(path, {
        method: "POST",
        body: body.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded", origin, ...headers },
      });
    },
    async login(email, password) {
      await browser.get("/login");
      return browser.post("/login", { email, password });
    },
    lastCsrfToken: () => csrf,
  };
  return browser;
}
