import { CompiledQuery, type Kysely, type Transaction } from "kysely";
import type { BankDB } from "./schema.ts";

/**
 * Runs a fixed SQL text with positional parameters ($1, $2 …). For the few queries every XS2A read runs:
 * building and compiling them with Kysely's builder on each request cost ~0.1 ms of CPU per query
 * (measured under load, docs/design/xs2a-performance.md); a constant text costs nothing to build.
 */
export async function fixedQuery<Row>(
  db: Kysely<BankDB> | Transaction<BankDB>,
  text: string,
  parameters: unknown[],
): Promise<Row[]> {
  const { rows } = await db.executeQuery(CompiledQuery.raw(text, parameters) as CompiledQuery<Row>);
  return rows;
}
