import { type Generated, type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import type { ForwardMigration } from "./migrate.ts";
import { preparedStatement, runPrepared } from "./prepared.ts";
import { createTestDatabase } from "./testing.ts";

interface TestDB {
  ledger: { id: Generated<number>; amount_minor: number; booking_date: string; note: string | null };
}

const migrations: Record<string, ForwardMigration> = {
  "0001_ledger": {
    async up(db: Kysely<unknown>) {
      await sql`create table ledger (
        id serial primary key, amount_minor bigint not null, booking_date date not null, note text)`.execute(
        db,
      );
    },
  },
};

type LedgerRow = { amount_minor: number; booking_date: string; note: string | null };
const byNote = preparedStatement<LedgerRow, [note: string]>(
  "test_ledger_by_note",
  "select amount_minor, booking_date, note from ledger where note = $1 order by id",
);
const total = preparedStatement<{ total: number | null; first: string | null }, []>(
  "test_ledger_total",
  "select sum(amount_minor)::bigint as total, min(booking_date) as first from ledger",
);

let database: Database<TestDB> | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

const engine = process.env.BANK_DATABASE_URL ? "postgres" : "pglite";

describe(`prepared statements on ${engine}`, () => {
  it("read bigint money as numbers and dates as text, the same as any other query, every time", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const { db } = database;
    await db
      .insertInto("ledger")
      .values([
        { amount_minor: 9_007_199_254_740_000, booking_date: "2026-03-31", note: "a" },
        { amount_minor: -5, booking_date: "2025-12-31", note: "b" },
      ])
      .execute();
    // Twice: the second run executes the statement the first one prepared.
    for (let i = 0; i < 2; i++) {
      expect(await runPrepared(db, byNote, ["a"])).toEqual([
        { amount_minor: 9_007_199_254_740_000, booking_date: "2026-03-31", note: "a" },
      ]);
      expect(await runPrepared(db, total, [])).toEqual([
        { total: 9_007_199_254_739_995, first: "2025-12-31" },
      ]);
    }
    expect(await runPrepared(db, byNote, ["none"])).toEqual([]);
  });

  it("refuses a bigint outside the exact range instead of rounding it, and the connection goes on", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const { db } = database;
    await sql`insert into ledger (amount_minor, booking_date) values (9007199254740993, '2026-01-01')`.execute(
      db,
    );
    await expect(runPrepared(db, total, [])).rejects.toThrow(/safe integer/);
    await sql`delete from ledger`.execute(db);
    expect(await runPrepared(db, total, [])).toEqual([{ total: null, first: null }]);
  });

  it("runs inside a caller's transaction: sees its uncommitted rows, and nothing once it rolled back", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const { db } = database;
    const rollback = new Error("roll back");
    await expect(
      db.transaction().execute(async (trx) => {
        await trx
          .insertInto("ledger")
          .values({ amount_minor: 7, booking_date: "2026-01-02", note: "t" })
          .execute();
        expect(await runPrepared(trx, byNote, ["t"])).toHaveLength(1);
        // Outside the transaction (another connection on PostgreSQL) the row does not exist yet.
        if (engine === "postgres") expect(await runPrepared(db, byNote, ["t"])).toEqual([]);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await runPrepared(db, byNote, ["t"])).toEqual([]);
  });

  it("is prepared once per PostgreSQL connection under its name", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const prepared = await database.db.connection().execute(async (conn) => {
      await runPrepared(conn, byNote, ["x"]);
      await runPrepared(conn, byNote, ["y"]);
      const { rows } = await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements`.execute(conn);
      return rows;
    });
    if (engine === "postgres")
      expect(prepared).toEqual([{ name: "test_ledger_by_note", statement: byNote.text }]);
    else expect(prepared).toEqual([]);
  });

  it("refuses a name that would stand for two texts, or a text declared under two names", () => {
    expect(preparedStatement("test_ledger_by_note", byNote.text)).toEqual(byNote);
    expect(() => preparedStatement("test_ledger_by_note", "select 1")).toThrow(
      /"test_ledger_by_note" is already declared with a different text/,
    );
    expect(() => preparedStatement("test_other_name", byNote.text)).toThrow(
      /same text as "test_ledger_by_note"/,
    );
    expect(() => preparedStatement("Bad-Name", "select 2")).toThrow(
      /lower-case letters, digits and underscores/,
    );
  });
});
