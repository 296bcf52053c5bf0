import { type Generated, type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import type { ForwardMigration } from "./migrate.ts";
import { createTestDatabase } from "./testing.ts";

interface TestDB {
  ledger: { id: Generated<number>; amount_minor: number; booking_date: string; note: string | null };
}

const migrations: Record<string, ForwardMigration> = {
  "0001_ledger": {
    async up(db: Kysely<unknown>) {
      await sql`create table ledger (
        id serial primary key, amount_minor bigint not null, booking_date date not null, note text,
        unique (booking_date, note))`.execute(db);
    },
  },
};

let database: Database<TestDB> | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

const engine = process.env.BANK_DATABASE_URL ? "postgres" : "pglite";

describe(`database on ${engine}`, () => {
  it("runs migrations once and reads bigint money and calendar dates exactly", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    expect(database.engine).toBe(engine);
    const { db } = database;
    await db
      .insertInto("ledger")
      .values({ amount_minor: 9_007_199_254_740_991, booking_date: "2026-03-31", note: "max" })
      .execute();
    const row = await db.selectFrom("ledger").selectAll().executeTakeFirstOrThrow();
    expect(row.amount_minor).toBe(9_007_199_254_740_991);
    expect(row.booking_date).toBe("2026-03-31");
  });

  it("refuses a bigint outside the exact range instead of rounding it", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    await sql`insert into ledger (amount_minor, booking_date) values (9007199254740993, '2026-01-01')`.execute(
      database.db,
    );
    await expect(database.db.selectFrom("ledger").selectAll().execute()).rejects.toThrow(/safe integer/);
  });

  it("keeps two test databases apart and enforces unique keys with ON CONFLICT", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const other = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    try {
      const row = { amount_minor: 100, booking_date: "2026-01-01", note: "a" };
      await database.db.insertInto("ledger").values(row).execute();
      await database.db
        .insertInto("ledger")
        .values(row)
        .onConflict((oc) => oc.columns(["booking_date", "note"]).doNothing())
        .execute();
      const counts = await Promise.all(
        [database, other].map((d) =>
          d.db
            .selectFrom("ledger")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow(),
        ),
      );
      expect(counts.map((c) => Number(c.n))).toEqual([1, 0]);
    } finally {
      await other.close();
    }
  });
});
