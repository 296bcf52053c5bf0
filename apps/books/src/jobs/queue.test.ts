import { setTimeout as sleep } from "node:timers/promises";
import { createDatabase } from "@kontor/db";
import { sql } from "kysely";
import { fromPglite, PgBoss } from "pg-boss";
import { afterEach, describe, expect, it } from "vitest";
import type { BooksDatabase } from "../db/schema.ts";
import { memoryLogger, testClock } from "../testing.ts";
import { LOST_SYNC_QUEUE, startSyncQueue } from "./queue.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/**
 * Sends a job while a Kysely transaction on the same PGlite is open, then rolls that transaction back.
 * A job sent outside the transaction must survive its rollback.
 */
async function sendDuringRolledBackTransaction(
  database: ReturnType<typeof createDatabase<BooksDatabase>>,
  boss: PgBoss,
): Promise<string | null> {
  let sent: Promise<string | null> | undefined;
  await database.db
    .transaction()
    .execute(async (trx) => {
      await sql`select 1`.execute(trx);
      // Not awaited here: on a shared connection the send must wait for this transaction to end.
      sent = boss.send(LOST_SYNC_QUEUE, { at: "during" });
      sent.catch(() => {});
      await sleep(100);
      throw new Error("roll back");
    })
    .catch((error: unknown) => {
      if (!(error instanceof Error) || error.message !== "roll back") throw error;
    });
  const id = await sent;
  return id ? ((await boss.getJobById(LOST_SYNC_QUEUE, id))?.id ?? null) : null;
}

describe("pg-boss on books' PGlite", () => {
  it("runs its statements between our transactions, never inside one", async () => {
    const database = createDatabase<BooksDatabase>({});
    closers.push(() => database.close());
    const clock = testClock();
    const queue = await startSyncQueue(database, { clock, logger: memoryLogger(), testClock: true });
    closers.push(() => queue.stop());

    const id = await sendDuringRolledBackTransaction(database, queue.boss);
    expect(id).not.toBeNull();
  });

  it("(pg-boss's own fromPglite adapter runs them inside our transaction: our rollback loses them)", async () => {
    const database = createDatabase<BooksDatabase>({});
    closers.push(() => database.close());
    if (!database.pglite) throw new Error("PGlite expected");
    const ours = await startSyncQueue(database, {
      clock: testClock(),
      logger: memoryLogger(),
      testClock: true,
    });
    await ours.stop();
    const boss = new PgBoss({
      db: fromPglite(database.pglite),
      backend: "pglite",
      schedule: false,
      supervise: false,
    });
    boss.on("error", () => {});
    await boss.start();
    closers.push(() => boss.stop({ graceful: false, timeout: 1000 }));

    expect(await sendDuringRolledBackTransaction(database, boss)).toBeNull();
  });
});
