import { type Kysely, sql } from "kysely";
import type { BankDB } from "../db/schema.ts";

/** SQL for the login throttle; keys arrive here already built (and the login part hashed). */

type Db = Kysely<BankDB>;

export interface ThrottlePolicy {
  /** Password checks allowed per window; the next one is refused. */
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

/**
 * Counts this attempt as a failure before the password is checked, in one upsert, so that concurrent
 * attempts cannot all pass a check made before any of them is counted: at most `maxFailures` passwords are
 * ever checked per window. A window older than `windowMs`, or a lock that ran out, starts over; an attempt
 * beyond the limit locks the key for `lockMs`; while locked the row stays as it is (a refused attempt does
 * not extend the lock). Returns the lock's end when the key is locked.
 */
export async function countAttempt(
  db: Db,
  key: string,
  now: Date,
  policy: ThrottlePolicy,
): Promise<{ lockedUntil: Date | null }> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const lockEnd = new Date(now.getTime() + policy.lockMs);
  const locked = sql<boolean>`coalesce(login_throttle.locked_until > ${now}, false)`;
  const fresh = sql<boolean>`(login_throttle.window_started_at <= ${windowStart} or login_throttle.locked_until <= ${now})`;
  const failures = sql<number>`case when ${fresh} then 1 else login_throttle.failures + 1 end`;
  const row = await db
    .insertInto("login_throttle")
    .values({
      key,
      failures: 1,
      window_started_at: now,
      locked_until: null,
    })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        failures: sql<number>`case when ${locked} then login_throttle.failures else ${failures} end`,
        window_started_at: sql<Date>`case when ${locked} then login_throttle.window_started_at
          when ${fresh} then ${now} else login_throttle.window_started_at end`,
        locked_until: sql<Date | null>`case when ${locked} then login_throttle.locked_until
          when ${failures} > ${policy.maxFailures} then ${lockEnd} else null end`,
      }),
    )
    .returning("locked_until")
    .executeTakeFirstOrThrow();
  const lockedUntil = row.locked_until && row.locked_until > now ? row.locked_until : null;
  return { lockedUntil };
}

/**
 * After a wrong password: locks the key for `lockMs` once its window holds `maxFailures` failures (unless
 * it is locked already). Returns the lock's end, or null while attempts remain.
 */
export async function lockIfExhausted(
  db: Db,
  key: string,
  now: Date,
  policy: ThrottlePolicy,
): Promise<Date | null> {
  const lockEnd = new Date(now.getTime() + policy.lockMs);
  const row = await db
    .updateTable("login_throttle")
    .set({
      locked_until: sql<Date>`case when login_throttle.failures >= ${policy.maxFailures}
        and coalesce(login_throttle.locked_until <= ${now}, true) then ${lockEnd}
        else login_throttle.locked_until end`,
    })
    .where("key", "=", key)
    .returning("locked_until")
    .executeTakeFirst();
  return row?.locked_until && row.locked_until > now ? row.locked_until : null;
}

/** A right password: the attempt counted in advance was no failure. */
export async function uncountAttempt(db: Db, key: string): Promise<void> {
  await db
    .updateTable("login_throttle")
    .set({ failures: sql<number>`greatest(login_throttle.failures - 1, 0)` })
    .where("key", "=", key)
    .execute();
}

export async function clearKey(db: Db, key: string): Promise<void> {
  await db.deleteFrom("login_throttle").where("key", "=", key).execute();
}

/** Housekeeping: rows whose window and lock have both run out say nothing any more. */
export async function deleteStale(db: Db, now: Date, windowMs: number): Promise<void> {
  await db
    .deleteFrom("login_throttle")
    .where("window_started_at", "<=", new Date(now.getTime() - windowMs))
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .execute();
}
