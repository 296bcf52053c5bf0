import { CompiledQuery, type Kysely } from "kysely";
import pg from "pg";

/**
 * A fixed SQL text with positional parameters ($1, $2 …) that runs as a named prepared statement on
 * PostgreSQL: each pool connection parses and plans it once and then only binds and executes it. For the
 * few queries every request runs, parsing and planning were most of the database's time (pgbench on the
 * XS2A access check: 1.12 ms unnamed, 0.45 ms prepared; docs/design/xs2a-performance.md).
 *
 * `Row` is what one result row holds and `Params` the values in $-order; both are the caller's word, as with
 * any raw SQL.
 */
export interface PreparedStatement<Row, Params extends readonly unknown[]> {
  readonly name: string;
  readonly text: string;
  /** Never set: carries the row and parameter types. */
  readonly __types?: { row: Row; params: Params };
}

/**
 * Every prepared text by its statement name, and back. A connection keeps a name for as long as it lives, so
 * a name must never stand for two texts; and a text is what the connection sees (Kysely passes only the text
 * and the values on), so it is also what finds the name.
 */
const nameOfText = new Map<string, string>();
const textOfName = new Map<string, string>();

/** Declares a prepared statement; call it once, at module level. Names and texts are unique per process. */
export function preparedStatement<Row, Params extends readonly unknown[] = readonly unknown[]>(
  name: string,
  text: string,
): PreparedStatement<Row, Params> {
  if (!/^[a-z][a-z0-9_]*$/.test(name))
    throw new Error(`prepared statement name "${name}" must be lower-case letters, digits and underscores`);
  const known = textOfName.get(name);
  if (known !== undefined && known !== text)
    throw new Error(`prepared statement "${name}" is already declared with a different text`);
  const other = nameOfText.get(text);
  if (other !== undefined && other !== name)
    throw new Error(`prepared statement "${name}" has the same text as "${other}"; declare it once`);
  textOfName.set(name, text);
  nameOfText.set(text, name);
  return { name, text };
}

/**
 * Runs a prepared statement on `db`, which may be a Kysely transaction: the statement goes through Kysely
 * like any other query, so it runs on the transaction's connection and sees its uncommitted rows. On
 * PostgreSQL the pool's client (`NamingClient`) gives it its name; on PGlite, which serves tests and the
 * demo rather than load, it is the plain query. Both use the database's type parsers.
 */
export async function runPrepared<Row, Params extends readonly unknown[]>(
  // biome-ignore lint/suspicious/noExplicitAny: any database schema; the statement's text is fixed SQL
  db: Kysely<any>,
  statement: PreparedStatement<Row, Params>,
  values: Params,
): Promise<Row[]> {
  const { rows } = await db.executeQuery(
    CompiledQuery.raw(statement.text, [...values]) as CompiledQuery<Row>,
  );
  return rows;
}

/**
 * The pool's client for PostgreSQL: a query whose text was declared with `preparedStatement` goes out with
 * its name, so `pg` prepares it once per connection and reuses it. Kysely's Postgres driver calls
 * `client.query(text, values)` and has no way to pass a name on; any other query passes through unchanged.
 */
export class NamingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads; this forwards all of them
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === "string") {
      const name = nameOfText.get(config);
      if (name !== undefined) return super.query({ name, text: config, values } as never, callback);
    }
    return super.query(config, values, callback);
  }
}
