import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import type { Role } from "../organisations/permissions.ts";

type Db = Kysely<BooksDatabase>;

export interface SessionRow {
  tokenHash: string;
  csrfToken: string;
  expiresAt: Date;
  userId: string;
  email: string;
  userName: string;
  organisationId: string;
  organisationName: string;
  role: Role;
}

export async function insertSession(
  db: Db,
  row: {
    tokenHash: string;
    userId: string;
    organisationId: string;
    csrfToken: string;
    createdAt: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      token_hash: row.tokenHash,
      user_id: row.userId,
      organisation_id: row.organisationId,
      csrf_token: row.csrfToken,
      created_at: row.createdAt,
      expires_at: row.expiresAt,
    })
    .execute();
}

/** The live session with that token hash, with its user and membership; undefined if none or expired. */
export async function findLiveSession(db: Db, tokenHash: string, now: Date): Promise<SessionRow | undefined> {
  return db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .innerJoin("memberships as m", (join) =>
      join.onRef("m.organisation_id", "=", "s.organisation_id").onRef("m.user_id", "=", "s.user_id"),
    )
    .innerJoin("organisations as o", "o.id", "s.organisation_id")
    .select([
      "s.token_hash as tokenHash",
      "s.csrf_token as csrfToken",
      "s.expires_at as expiresAt",
      "u.id as userId",
      "u.email",
      "u.name as userName",
      "o.id as organisationId",
      "o.name as organisationName",
      "m.role",
    ])
    .where("s.token_hash", "=", tokenHash)
    .where("s.expires_at", ">", now)
    .executeTakeFirst();
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).execute();
}

export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  const result = await db.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function updateSessionOrganisation(
  db: Db,
  tokenHash: string,
  userId: string,
  organisationId: string,
): Promise<void> {
  await db
    .updateTable("sessions")
    .set({ organisation_id: organisationId })
    .where("token_hash", "=", tokenHash)
    .where("user_id", "=", userId)
    .execute();
}
