import { mkdirSync } from "node:fs";
import { Kysely, type KyselyConfig, PostgresDialect } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { EmbeddedAdapter } from "./copy.ts";
import { PGliteThread } from "./pglite-thread.ts";
import { NamingClient } from "./prepared.ts";
import { embeddedRawReader, postgresRawReader, type RawReader } from "./raw.ts";
import { DATE, INT8, identity, NUMERIC, parseInt8 } from "./types.ts";

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
  pglite?: PGliteThread | undefined;
  /** Reads rows as the bytes the database sent (raw.ts), for responses that pass stored text on. */
  raw: RawReader;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when absent the database is an embedded PGlite. */
  url?: string | undefined;
  /** Directory for the embedded database; absent means in memory. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /**
   * Pool size of the raw reads on PostgreSQL (raw.ts). postgres.js pipelines the queries of concurrent callers
   * on a connection, so a few connections serve many requests: on 2 cores, 4 of them served ~40 % more
   * transactions pages per second than 10, with less CPU per page in Node and PostgreSQL alike. A slow
   * statement holds up the raw reads queued behind it on its connection; the raw reads are short page reads.
   */
  rawConnections?: number;
  /** Kysely's query log hook (durations, errors), e.g. for profiling. */
  log?: KyselyConfig["log"];
}

/** Kysely's PGlite dialect with the adapter that marks it embedded (copy.ts, isEmbedded). */
class EmbeddedDialect extends PGliteDialect {
  override createAdapter() {
    return new EmbeddedAdapter();
  }
}

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
    const raw = postgresRawReader(options.url, options.rawConnections ?? 4);
    return {
      db,
      engine: "postgres",
      url: options.url,
      raw,
      close: async () => {
        try {
          await raw.close();
        } finally {
          await db.destroy();
        }
      },
    };
  }
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // PGlite on its own thread (pglite-thread.ts); the dialect calls only its query() and close().
  const pglite = new PGliteThread({ dataDir: options.dataDir });
  const db = new Kysely<DB>({
    dialect: new EmbeddedDialect(pglite as never),
    ...(options.log ? { log: options.log } : {}),
  });
  return { db, engine: "pglite", pglite, raw: embeddedRawReader(db), close: () => db.destroy() };
}
