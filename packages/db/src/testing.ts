import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { createDatabase, type Database } from "./database.ts";
import { type ForwardMigration, migrateToLatest } from "./migrate.ts";

/**
 * An isolated, migrated database for one test: an in-memory PGlite by default, or a fresh database on the
 * PostgreSQL server named by `urlEnv` (e.g. BANK_DATABASE_URL) when that variable is set. Dropped on close.
 */
export async function createTestDatabase<DB>(
  migrations: Record<string, ForwardMigration>,
  urlEnv: string,
): Promise<Database<DB>> {
  const serverUrl = process.env[urlEnv];
  if (!serverUrl) {
    const database = createDatabase<DB>({});
    await migrateToLatest(database.db as never, migrations);
    return database;
  }
  const name = `kontor_test_${randomBytes(6).toString("hex")}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = createDatabase<DB>({ url: url.toString(), maxConnections: 4, rawConnections: 2 });
  await migrateToLatest(database.db as never, migrations);
  return {
    ...database,
    async close() {
      await database.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

export { sql };
