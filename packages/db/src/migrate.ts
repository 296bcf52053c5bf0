import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";

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
