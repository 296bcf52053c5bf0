/**
 * Books' durable job queue: pg-boss 12 in books' own database (schema `pgboss`, installed and migrated by
 * pg-boss itself on start).
 *
 * PGlite is one connection, shared with Kysely. pg-boss's statements therefore go through Kysely's
 * connection acquisition (`db.connection()`): a pg-boss poll or maintenance statement waits for our
 * transaction to end instead of running in the middle of it. pg-boss's own PGlite adapter (`fromPglite`)
 * calls the PGlite directly, which would put its statements inside whatever transaction Kysely has open
 * (queue.test.ts shows the difference). On PostgreSQL pg-boss opens its own small pool.
 *
 * A job is enqueued, settled or its heartbeat renewed inside one of our Kysely transactions through
 * `inTransaction(trx)` (pg-boss's `fromKysely`), so it commits or rolls back with the rows that caused it.
 * Never call pg-boss without `{ db: inTransaction(trx) }` inside a transaction: on PGlite that statement
 * would wait for the connection the transaction holds, forever.
 *
 * Time: pg-boss reads "now" from `pgboss.job_now()` and schedules its polls and maintenance on a Clock. Tests
 * run books on a clock they move by hand; `testClock: true` gives pg-boss a TestClock that `syncClock()`
 * moves to books' clock before every queue operation of the worker, so retry backoff and lost heartbeats
 * follow the test's time and pg-boss's own timers never fire on their own.
 */
import type { Database, PGliteThread } from "@kontor/db";
import { CompiledQuery, type Kysely, sql, type Transaction } from "kysely";
import { type Db as BossDb, fromKysely, PgBoss, TestClock } from "pg-boss";
import type { BooksDatabase } from "../db/schema.ts";
import type { Clock, Logger } from "../web/context.ts";

/** One job per bank account at a time: the singletonKey is the account id. */
export const SYNC_QUEUE = "books-sync";
/** Syncs pg-boss itself gave up on (the worker was lost on the last attempt). */
export const LOST_SYNC_QUEUE = "books-sync-lost";

/**
 * A job whose worker sends no heartbeat for this long is retried by another. A running sync renews it with
 * the page it stores once a fifth of this has passed (jobs.repository.ts recordProgress).
 */
export const HEARTBEAT_SECONDS = 5 * 60;
/** Attempts after the first, for transient bank errors and lost workers. */
export const RETRY_LIMIT = 4;
/** First retry after 30–60 s, doubling (pg-boss adds jitter, so retries of many accounts spread out). */
export const RETRY_DELAY_SECONDS = 30;

export interface SyncJobData {
  bankAccountId: string;
}

export interface SyncQueue {
  readonly boss: PgBoss;
  /** pg-boss statements that run inside this Kysely transaction and commit with it. */
  inTransaction(trx: Transaction<BooksDatabase>): BossDb;
  /** Under a test clock: moves pg-boss's time to books' clock. Call outside any transaction. */
  syncClock(): Promise<void>;
  stop(): Promise<void>;
}

export interface SyncQueueOptions {
  clock: Clock;
  logger: Logger;
  /** Drive pg-boss by books' clock (tests): no timers of its own, time moves with `syncClock()`. */
  testClock?: boolean;
  /** Connections of pg-boss's own pool on PostgreSQL. */
  maxConnections?: number;
}

/** Starts pg-boss on books' database (installing or migrating its schema) and creates the queues. */
export async function startSyncQueue(
  database: Pick<Database<BooksDatabase>, "db" | "engine" | "url" | "pglite">,
  options: SyncQueueOptions,
): Promise<SyncQueue> {
  const bossClock = options.testClock ? new TestClock(options.clock.now()) : undefined;
  let connection: { db: BossDb } | { connectionString: string; max: number };
  if (database.engine === "pglite") {
    if (!database.pglite) throw new Error("a PGlite database without its PGlite instance");
    connection = { db: overKysely(database.db, database.pglite) };
  } else {
    if (!database.url) throw new Error("a PostgreSQL database without its connection string");
    connection = { connectionString: database.url, max: options.maxConnections ?? 4 };
  }
  const boss = new PgBoss({
    ...connection,
    ...(database.engine === "pglite" ? { backend: "pglite" as const } : {}),
    ...(bossClock ? { clock: bossClock } : {}),
    // No cron schedules: the worker queues scheduled syncs itself (consent budget per account).
    schedule: false,
    application_name: "kontor-books-jobs",
  });
  boss.on("error", (error) => options.logger.error("job queue error", { error }));
  await boss.start();
  try {
    await boss.createQueue(LOST_SYNC_QUEUE, { policy: "standard" });
    await boss.createQueue(SYNC_QUEUE, {
      policy: "exclusive",
      retryLimit: RETRY_LIMIT,
      retryDelay: RETRY_DELAY_SECONDS,
      retryBackoff: true,
      heartbeatSeconds: HEARTBEAT_SECONDS,
      // A cap, not the lease (the heartbeat is): the largest first import has to fit.
      expireInSeconds: 6 * 60 * 60,
      deadLetter: LOST_SYNC_QUEUE,
    });
  } catch (error) {
    await boss.stop({ graceful: false });
    throw error;
  }

  // On PostgreSQL our transactions run on Kysely's pool, whose sessions pg-boss did not opt in to its
  // test clock; SET LOCAL does it for the one transaction.
  const optInPerTransaction = bossClock !== undefined && database.engine === "postgres";
  let moving: Promise<void> = Promise.resolve();
  return {
    boss,
    inTransaction(trx) {
      const inner = fromKysely(trx);
      if (!optInPerTransaction) return inner;
      let optedIn = false;
      return {
        async executeSql(text, values) {
          if (!optedIn) {
            await sql`select set_config('pgboss.test_clock', 'on', true)`.execute(trx);
            optedIn = true;
          }
          return inner.executeSql(text, values);
        },
      };
    },
    syncClock() {
      if (!bossClock) return Promise.resolve();
      // TestClock refuses a second setTime while one runs: callers queue up.
      moving = moving
        .catch(() => {})
        .then(async () => {
          const now = options.clock.now().getTime();
          if (bossClock.now() !== now) await bossClock.setTime(now);
        });
      return moving;
    },
    stop: () => boss.stop({ graceful: false, timeout: 1000 }),
  };
}

/**
 * pg-boss's statements on books' PGlite, each on Kysely's one connection while no transaction of ours holds
 * it. Parameterless statements may be several (pg-boss's migrations and locked blocks), which only PGlite's
 * `exec` runs; their rows are flattened so a RETURNING before a trailing COMMIT is not lost.
 */
function overKysely(db: Kysely<BooksDatabase>, pglite: PGliteThread): BossDb {
  const run = (text: string, values: unknown[] | undefined) =>
    db.connection().execute(async (connection) => {
      try {
        if (values && values.length > 0) {
          const result = await connection.executeQuery(CompiledQuery.raw(text, values));
          return { rows: [...result.rows] };
        }
        const results = await pglite.exec(text);
        return { rows: results.flatMap((r) => r.rows ?? []) };
      } catch (error) {
        // A failed statement of a BEGIN … COMMIT script leaves the one session in an aborted transaction.
        // No transaction of ours is open (we hold the connection), so rolling back touches only pg-boss's.
        await pglite.query("rollback").catch(() => {});
        throw error;
      }
    });
  return {
    executeSql: run,
    // One session: the statements a TestClock needs run once and hold for every later statement.
    async setSessionStatements(statements) {
      for (const statement of statements) await run(statement, undefined);
    },
  };
}
