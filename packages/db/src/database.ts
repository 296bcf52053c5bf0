import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, type KyselyConfig, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { NamingClient } from "./prepared.ts";

export type Engine = "pglite" | "postgres";

export interface Database<DB> {
  db: Kysely<DB>;
  engine: Engine;
  /** The PostgreSQL connection string, for a library that opens its own pool (pg-boss). */
  url?: string | undefined;
  /**
   * The embedded database behind `db`: one connection, which Kysely hands out one caller at a time. A
   * library that runs statements on it must go through `db.connection()` too, or it runs them in the
   * middle of someone's transaction.
   */
  pglite?: PGlite | undefined;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when absent the database is an embedded PGlite. */
  url?: string | undefined;
  /** Directory for the embedded database; absent means in memory. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /** Kysely's query log hook (durations, errors), e.g. for profiling. */
  log?: KyselyConfig["log"];
}

// OIDs of the types whose default parsing we change, the same on both engines.
const INT8 = 20;
const DATE = 1082;
const NUMERIC = 1700;

/**
 * Money lives in bigint columns as integer minor units. We read them as JS numbers, which are exact up to
 * 2^53 minor units (90 trillion euros); anything beyond is refused rather than silently rounded.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} exceeds the safe integer range`);
  return value;
}

/** Calendar dates stay "YYYY-MM-DD" text: a Date would shift them by the process's time zone. */
const identity = (text: string) => text;

export function createDatabase<DB>(options: DatabaseOptions): Database<DB> {
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      // Gives queries declared with preparedStatement their name (prepared.ts).
      Client: NamingClient,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") => {
          if (oid === INT8) return parseInt8;
          if (oid === DATE || oid === NUMERIC) return identity;
          return pg.types.getTypeParser(oid, format);
        }) as typeof pg.types.getTypeParser,
      },
    });
    // An idle client whose server connection ends (a restart, DROP DATABASE … WITH (FORCE) in tests) emits
    // 'error' on the pool; unhandled, that would crash the process. The next query gets a fresh client.
    pool.on("error", () => {});
    const db = new Kysely<DB>({
      dialect: new PostgresDialect({ pool }),
      ...(options.log ? { log: options.log } : {}),
    });
    return { db, engine: "postgres", url: options.url, close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = new PGlite({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    parsers: { [INT8]: parseInt8, [DATE]: identity, [NUMERIC]: identity },
  });
  const db = new Kysely<DB>({
    dialect: new PGliteDialect(pglite),
    ...(options.log ? { log: options.log } : {}),
  });
  return { db, engine: "pglite", pglite, close: () => db.destroy() };
}
