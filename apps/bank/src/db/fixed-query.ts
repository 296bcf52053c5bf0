import { type PreparedStatement, preparedStatement } from "@kontor/db";

/**
 * The few queries every XS2A read runs, as fixed SQL texts with positional parameters ($1, $2 …) and named
 * prepared statements on PostgreSQL. Building and compiling them with Kysely's builder on each request cost
 * ~0.1 ms of CPU per query, and parsing and planning them on each request was most of PostgreSQL's time for
 * them (docs/design/xs2a-performance.md). Run them with `runPrepared` from @kontor/db, or the transactions
 * pages' with the raw reader (`deps.raw`), whose postgres.js pool prepares each text once per connection under
 * names of its own. Names carry the `bank_` prefix: they are unique per process.
 */
export function fixedStatement<Row, Params extends readonly unknown[]>(
  name: string,
  text: string,
): PreparedStatement<Row, Params> {
  return preparedStatement<Row, Params>(`bank_${name}`, text);
}
