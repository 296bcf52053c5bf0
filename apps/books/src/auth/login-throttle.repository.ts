import { type Kysely, sql } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";

type Db = Kysely<BooksDatabase>;

export async function findLock(db: Db, key: string, now: Date): Promise<Date | null> {
  const row = await db
    .selectFrom("login_throttle")
    .select("locked_until")
    .where("key", "=", key)
    .where("locked_until", ">", now)
    .executeTakeFirst();
  return row?.locked_until ?? null;
}

/**
 * Counts one failure in the current window (a window older than `windowMs` starts over) and locks the key
 * for `lockMs` when the count reaches `maxFailures`. One statement, so concurrent attempts all count.
 * Returns the lock's end when this failure locked the key.
 */
export async function recordFailure(
  db: Db,
  key: string,
  now: Date,
  policy: { maxFailures: number; windowMs: number; lockMs: number },
): Promise<{ failures: number; lockedUntil: Date | null }> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const lockedUntil = new Date(now.getTime() + policy.lockMs);
  const fresh = sql<boolean>`login_throttle.window_started_at <= ${windowStart} or login_throttle.locked_until <= ${now}`;
  const failures = sql<number>`case when ${fresh} then 1 else login_throttle.failures + 1 end`;
  const row = await db
    .insertInto("login_throttle")
    .values({
      key,
      failures: 1,
      window_started_at: now,
      locked_until: policy.maxFailures <= 1 ? lockedUntil : null,
    })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        failures,
        window_started_at: sql<Date>`case when ${fresh} then ${now} else login_throttle.window_started_at end`,
        locked_until: sql<Date | null>`case when ${failures} >= ${policy.maxFailures} then ${lockedUntil}
          when ${fresh} then null else login_throttle.locked_until end`,
      }),
    )
    .returning(["failures", "locked_until"])
    .executeTakeFirstOrThrow();
  return { failures: row.failures, lockedUntil: row.locked_until };
}

export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.deleteFrom("login_throttle").where("key", "=", key).execute();
}
