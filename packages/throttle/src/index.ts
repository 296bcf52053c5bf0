import { type ColumnType, type Kysely, sql } from "kysely";

/**
 * Password-guessing protection over a `login_throttle` table, shared by the bank's and books' logins: one row
 * per key (e.g. a hash of the login typed, or the client's address), counting the failures in the current
 * window and holding a lock's end. Keys arrive here already built.
 *
 * The way to use it: `countAttempt` before the password is checked (refuse while it returns a lock), then
 * `lockIfExhausted` after a wrong password (refuse when it returns a lock), or `clearKey` / `uncountAttempt`
 * after a right one. Counting before checking is what keeps concurrent guesses to the limit: each one is
 * counted in one upsert before any password is compared, so at most `maxFailures` passwords are ever checked
 * per window, however many requests arrive at once.
 */

/** The columns this package reads and writes; each app creates the table in its own migrations and schema. */
interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: ColumnType<Date, Date | string, Date | string>;
  locked_until: ColumnType<Date | null, Date | string | null, Date | string | null>;
}

// biome-ignore lint/suspicious/noExplicitAny: any app's database that has a login_throttle table
type AnyDb = Kysely<any>;
const throttleTable = (db: AnyDb) => db as Kysely<{ login_throttle: LoginThrottleTable }>;

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
  database: AnyDb,
  key: string,
  now: Date,
  policy: ThrottlePolicy,
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const db = throttleTable(database);
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
    .returning(["failures", "locked_until"])
    .executeTakeFirstOrThrow();
  const lockedUntil = row.locked_until && row.locked_until > now ? row.locked_until : null;
  return { failures: row.failures, lockedUntil };
}

/**
 * After a wrong password: locks the key for `lockMs` once its window holds `maxFailures` failures (unless
 * it is locked already). Returns the lock's end, or null while attempts remain.
 */
export async function lockIfExhausted(
  database: AnyDb,
  key: string,
  now: Date,
  policy: ThrottlePolicy,
): Promise<Date | null> {
  const db = throttleTable(database);
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
export async function uncountAttempt(database: AnyDb, key: string): Promise<void> {
  await throttleTable(database)
    .updateTable("login_throttle")
    .set({ failures: sql<number>`greatest(login_throttle.failures - 1, 0)` })
    .where("key", "=", key)
    .execute();
}

export async function clearKey(database: AnyDb, key: string): Promise<void> {
  await throttleTable(database).deleteFrom("login_throttle").where("key", "=", key).execute();
}

/** Housekeeping: rows whose window and lock have both run out say nothing any more. */
export async function deleteStale(database: AnyDb, now: Date, windowMs: number): Promise<void> {
  await throttleTable(database)
    .deleteFrom("login_throttle")
    .where("window_started_at", "<=", new Date(now.getTime() - windowMs))
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<=", now)]))
    .execute();
}
