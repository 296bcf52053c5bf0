import type { Kysely } from "kysely";
import postgres from "postgres";
import { type PreparedStatement, runPrepared } from "./prepared.ts";

/**
 * A row as the database sent it: each column's value in PostgreSQL's text form, as UTF-8 bytes; null for NULL.
 * A statement may name its row as a tuple (`[seq: Buffer, xs2a: Buffer]`); that is the caller's word, as with
 * any raw SQL.
 */
export type RawRow = ReadonlyArray<Buffer | null>;

/**
 * Reads rows without turning them into JavaScript values, for a response that passes stored text on as it is:
 * the bytes PostgreSQL sent go out again without being decoded into strings, concatenated and encoded back.
 * On the XS2A transactions page (~49 KB of stored JSON per page) decoding, measuring and re-encoding those
 * strings was about a third of the bank's CPU per page (docs/design/xs2a-performance.md).
 *
 * Every column comes in its text form, so a statement casts what it wants to compare or parse (`seq::text`);
 * the order of the values is the order of the select list, and each column needs a name of its own (the
 * embedded database hands rows out by column name: two `max(…)` columns would be one).
 */
export interface RawReader {
  rows<Row extends RawRow, Params extends readonly unknown[]>(
    statement: PreparedStatement<Row, Params>,
    values: Params,
  ): Promise<Row[]>;
  close(): Promise<void>;
}

/**
 * On PostgreSQL: `pg` decodes every value into a string before anyone sees it, so raw reads use a small pool of
 * their own with postgres.js, whose raw mode hands out views of the received bytes. Its connections open on
 * the first raw read, not before, and its statements are prepared once per connection, as `runPrepared`'s are.
 */
export function postgresRawReader(url: string, maxConnections: number): RawReader {
  const sql = postgres(url, {
    max: maxConnections,
    prepare: true,
    // No array types are read through it, and the lookup would cost every new connection a query.
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "kontor-raw" },
  });
  return {
    async rows(statement, values) {
      const rows = await sql.unsafe(statement.text, [...values] as never[], { prepare: true }).raw();
      return rows as unknown as never[];
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * On the embedded database, which serves tests and the demo rather than load, the statement runs through
 * Kysely (so it waits its turn on PGlite's one connection) and its text values are encoded here.
 */
// biome-ignore lint/suspicious/noExplicitAny: any database schema; the statement's text is fixed SQL
export function embeddedRawReader(db: Kysely<any>): RawReader {
  return {
    async rows(statement, values) {
      const rows = (await runPrepared(db, statement, values)) as unknown as Record<string, unknown>[];
      return rows.map((row) => Object.values(row).map(toBytes)) as never[];
    },
    close: async () => {},
  };
}

function toBytes(value: unknown): Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") {
    throw new Error(`a raw read got a ${typeof value}: cast every column of a raw statement to text`);
  }
  return Buffer.from(value, "utf8");
}
