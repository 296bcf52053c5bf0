import type { Kysely } from "kysely";
import type { BankDB } from "../db/schema.ts";

/** SQL for the online-banking sessions; tokens arrive here already hashed. */

export function insertSession(
  db: Kysely<BankDB>,
  row: { tokenHash: string; psuId: string; now: Date; expiresAt: Date },
) {
  return db
    .insertInto("psu_sessions")
    .values({ token_hash: row.tokenHash, psu_id: row.psuId, created_at: row.now, expires_at: row.expiresAt })
    .execute();
}

/** The live session with this token hash and its PSU, or undefined once expired. */
export function findLiveSession(db: Kysely<BankDB>, tokenHash: string, now: Date) {
  return db
    .selectFrom("psu_sessions")
    .innerJoin("psus", "psus.id", "psu_sessions.psu_id")
    .select(["psus.id as psu_id", "psus.login", "psus.display_name", "psu_sessions.expires_at"])
    .where("psu_sessions.token_hash", "=", tokenHash)
    .where("psu_sessions.expires_at", ">", now)
    .executeTakeFirst();
}

export function deleteSession(db: Kysely<BankDB>, tokenHash: string) {
  return db.deleteFrom("psu_sessions").where("token_hash", "=", tokenHash).execute();
}

export function deleteExpiredSessions(db: Kysely<BankDB>, now: Date) {
  return db.deleteFrom("psu_sessions").where("expires_at", "<=", now).execute();
}

export function findPsuByLogin(db: Kysely<BankDB>, login: string) {
  return db
    .selectFrom("psus")
    .select(["id", "login", "display_name", "password_hash"])
    .where("login", "=", login)
    .executeTakeFirst();
}
