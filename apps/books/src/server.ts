import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { createDatabase, migrateToLatest } from "@kontor/db";
import { createApp } from "./app.ts";
import { stripTrailingSlash } from "./config.ts";
import { migrations } from "./db/migrations.ts";
import type { BooksDatabase } from "./db/schema.ts";
import { seedDemo } from "./demo/seed.ts";
import { hasAnyOrganisation } from "./organisations/organisations.service.ts";
import { deriveKeys, loadOrCreateSecretFile, randomToken } from "./security/keys.ts";
import { type Clock, jsonLogger, type Logger, systemClock } from "./web/context.ts";

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
  const database = createDatabase<BooksDatabase>({
    url: options.databaseUrl,
    dataDir: options.databaseUrl || !options.dataDir ? undefined : join(options.dataDir, "books"),
  });
  try {
    await migrateToLatest(database.db as never, migrations);
    if (options.seedDemo && !(await hasAnyOrganisation(database.db))) {
      await seedDemo(database.db, clock);
      logger.info("seeded the demo organisation");
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  const app = createApp({
    db: database.db,
    clock,
    logger,
    config: {
      bankBaseUrl: stripTrailingSlash(options.bankBaseUrl),
      publicUrl: options.publicUrl,
      keys: deriveKeys(secret),
      demo: options.seedDemo,
    },
  });

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
        await new Promise<void>((resolve, reject) => {
          server.close((error) => (error ? reject(error) : resolve()));
          // Keep-alive connections of browsers would hold close() open until they time out.
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
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
