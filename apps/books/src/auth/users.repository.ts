import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";

type Db = Kysely<BooksDatabase>;

/**
 * Users are identities that exist across organisations (one person may keep the books of several), so the
 * lookups by email and id used to log in are not tenant-scoped. What a user may see inside an organisation
 * always goes through a membership (organisations/).
 */
export interface UserRow {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
}

export async function insertUser(
  db: Db,
  row: { id: string; email: string; name: string; passwordHash: string; createdAt: Date },
): Promise<boolean> {
  const inserted = await db
    .insertInto("users")
    .values({
      id: row.id,
      email: row.email,
      name: row.name,
      password_hash: row.passwordHash,
      created_at: row.createdAt,
    })
    .onConflict((oc) => oc.column("email").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom("users")
    .select(["id", "email", "name", "password_hash as passwordHash"])
    .where("email", "=", email)
    .executeTakeFirst();
}

export async function updatePasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId).execute();
}
