import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from "kysely";

/** Migrations are forward-only: each has an `up`, none has a `down`. Names sort in the order they run. */
export type ForwardMigration = { up(db: Kysely<unknown>): Promise<void> };

export async function migrateToLatest(
  db: Kysely<unknown>,
  migrations: Record<string, ForwardMigration>,
): Promise<void> {
  const provider: MigrationProvider = {
    getMigrations: async () => migrations as Record<string, Migration>,
  };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    const what = failed ? `migration ${failed.migrationName} failed` : "migration failed";
    throw new Error(what, { cause: error });
  }
}

/**
 * Runs a script of plain DDL statements one by one. Both engines' extended protocol takes one statement per
 * query, so the script is split at semicolons that end a line; keep function bodies out of such scripts.
 */
export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  const statements = script
    .split(/;\s*(?:--[^\n]*)?\n/)
    .map((s) => s.replace(/^\s*--[^\n]*$/gm, "").trim())
    .filter((s) => s.length > 0);
  for (const statement of statements) await sql.raw(statement).execute(db);
}
