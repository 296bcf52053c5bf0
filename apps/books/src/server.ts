import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { createDatabase, migrateToLatest } from "@kontor/db";
import { createApp, createAppDeps } from "./app.ts";
import { loadConfig, stripTrailingSlash } from "./config.ts";
import { loadBankDirectoryFile } from "./connectors/bank-directory.ts";
import { migrations } from "./db/migrations.ts";
import type { BooksDatabase } from "./db/schema.ts";
import { seedDemo } from "./demo/seed.ts";
import { type SyncQueue, startSyncQueue } from "./jobs/queue.ts";
import { startWorker } from "./jobs/worker.ts";
import { hasAnyOrganisation } from "./organisations/organisations.service.ts";
import { deriveKeys, loadOrCreateSecretFile, randomToken } from "./security/keys.ts";
import { type Clock, jsonLogger, type Logger, systemClock, type Xs2aClientTuning } from "./web/context.ts";

export interface StartBooksOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Embedded PGlite lives in `${dataDir}/books`; without dataDir and databaseUrl it is in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL server instead of PGlite. */
  databaseUrl?: string | undefined;
  bankBaseUrl: string;
  /** Seed "Muster Handwerk GmbH" and its demo users when the database has no organisation yet. */
  seedDemo: boolean;
  /** KONTOR_SECRET. Without it: generated and kept in dataDir (embedded), or per process (in memory). */
  secret?: string | undefined;
  /** Public origin behind a proxy, e.g. "https://books.example.com". */
  publicUrl?: string | undefined;
  /** Interface to listen on; default all. */
  hostname?: string | undefined;
  clock?: Clock;
  logger?: Logger;
  /** How books presents itself to the sandbox bank; default BOOKS_TPP_ID / BOOKS_TPP_KEY or their defaults. */
  tpp?: { id: string; key: string } | undefined;
  /** A JSON file of further banks (connectors/bank-directory.ts); default BOOKS_BANK_DIRECTORY. */
  bankDirectoryFile?: string | undefined;
  /** Reverse proxies whose X-Forwarded-For is believed (config.ts); default BOOKS_TRUST_PROXY, else none. */
  trustProxy?: number | undefined;
  /** Run the sync worker in this process (default true). */
  worker?: boolean;
  /** Xs2aClient tuning, e.g. shorter timeouts in tests. */
  xs2aClient?: Xs2aClientTuning;
}

export interface RunningBooks {
  /** e.g. "http://localhost:3000" */
  url: string;
  close(): Promise<void>;
}

/** Opens and migrates the database, seeds the demo if asked, and serves the app until close(). */
export async function startBooks(options: StartBooksOptions): Promise<RunningBooks> {
  const logger = options.logger ?? jsonLogger();
  const clock = options.clock ?? systemClock;
  const secret = resolveSecret(options);
  // scripts/start.ts passes no TPP: read the variables it registered books' TPP with at the bank.
  const env = loadConfig({
    BOOKS_TPP_ID: process.env.BOOKS_TPP_ID,
    BOOKS_TPP_KEY: process.env.BOOKS_TPP_KEY,
    BOOKS_BANK_DIRECTORY: process.env.BOOKS_BANK_DIRECTORY,
    BOOKS_TRUST_PROXY: process.env.BOOKS_TRUST_PROXY,
  });
  const directoryFile = options.bankDirectoryFile ?? env.bankDirectoryFile;
  // Before the database opens: a bad directory file stops the start with nothing to clean up.
  const extraBanks = directoryFile ? loadBankDirectoryFile(directoryFile) : [];
  const database = createDatabase<BooksDatabase>({
    url: options.databaseUrl,
    dataDir: options.databaseUrl || !options.dataDir ? undefined : join(options.dataDir, "books"),
  });
  let jobs: SyncQueue;
  try {
    await migrateToLatest(database.db as never, migrations);
    if (options.seedDemo && !(await hasAnyOrganisation(database.db))) {
      await seedDemo(database.db, clock);
      logger.info("seeded the demo organisation");
    }
    jobs = await startSyncQueue(database, { clock, logger });
  } catch (error) {
    await database.close();
    throw error;
  }
  const appInput = {
    db: database.db,
    clock,
    logger,
    jobs,
    config: {
      bankBaseUrl: stripTrailingSlash(options.bankBaseUrl),
      publicUrl: options.publicUrl,
      keys: deriveKeys(secret),
      demo: options.seedDemo,
      tpp: options.tpp ?? env.tpp,
      extraBanks,
      trustProxy: options.trustProxy ?? env.trustProxy,
      xs2aClient: options.xs2aClient,
    },
  };
  const app = createApp(appInput);
  const worker = options.worker === false ? undefined : startWorker(createAppDeps(appInput));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname }, () => resolve(s));
    s.once("error", reject);
  });
  const address = server.address() as AddressInfo;
  const host =
    options.hostname && options.hostname !== "0.0.0.0" && options.hostname !== "::"
      ? options.hostname
      : "localhost";
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  logger.info("books listening", { url, engine: database.engine });

  let closing: Promise<void> | undefined;
  return {
    url,
    close() {
      closing ??= (async () => {
        await worker?.stop();
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive connections of browsers would hold close() open until they time out.
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
        await jobs.stop();
        await database.close();
      })();
      return closing;
    },
  };
}

function resolveSecret(options: StartBooksOptions): string {
  if (options.secret) return options.secret;
  if (options.databaseUrl) {
    // Several processes share one PostgreSQL database: a key made up by one of them would not open what
    // another sealed, so the key must be given.
    throw new Error("KONTOR_SECRET is required when books uses a PostgreSQL server (BOOKS_DATABASE_URL)");
  }
  return options.dataDir ? loadOrCreateSecretFile(options.dataDir) : randomToken();
}
