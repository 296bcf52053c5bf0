import { randomUUID } from "node:crypto";
import { migrateToLatest } from "@kontor/db";
import { createTestDatabase } from "@kontor/db/testing";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewBankTransaction } from "../connectors/transform.ts";
import { migrations } from "../db/migrations.ts";
import type { BooksDatabase } from "../db/schema.ts";
import {
  arrayLiteral,
  externalIdsFrom,
  importedTotals,
  insertBookedTransactions,
} from "./sync.repository.ts";

let database: Awaited<ReturnType<typeof createTestDatabase<BooksDatabase>>>;
beforeAll(async () => {
  database = await createTestDatabase<BooksDatabase>(migrations, "BOOKS_DATABASE_URL");
});
afterAll(async () => {
  await database?.close();
});

/** An organisation with one connected account, inserted directly (the connect flow is tested elsewhere). */
async function createAccount(db: Kysely<unknown>): Promise<{ organisationId: string; accountId: string }> {
  const organisationId = randomUUID();
  const connectionId = randomUUID();
  const accountId = randomUUID();
  await sql`insert into organisations (id, name, created_at) values (${organisationId}, 'Test GmbH', now())`.execute(
    db,
  );
  await sql`insert into bank_connections (id, organisation_id, bank_id, bank_name, status, created_at, updated_at)
    values (${connectionId}, ${organisationId}, 'sandbox', 'Sandbox', 'valid', now(), now())`.execute(db);
  await sql`insert into bank_accounts (id, organisation_id, connection_id, resource_id, iban, currency, name,
      import_from, status, created_at)
    values (${accountId}, ${organisationId}, ${connectionId}, ${randomUUID()}, 'DE89370400440532013000', 'EUR',
      'Main', '2026-01-01', 'active', now())`.execute(db);
  return { organisationId, accountId };
}

function row(id: string, bookingDate: string, amountMinor: number): NewBankTransaction {
  return {
    externalId: `id:${id}`,
    bookingDate,
    valueDate: bookingDate,
    amountMinor,
    currency: "EUR",
    counterpartyName: "Müller & Söhne",
    counterpartyIban: null,
    remittance: `RE-${id}`,
    endToEndId: null,
    mandateId: null,
    creditorId: null,
    bankTransactionCode: null,
    bookingText: null,
  };
}

async function storedSum(accountId: string): Promise<number> {
  const { rows } = await sql<{ sum: string | null }>`
    select sum(amount_minor) as sum from bank_transactions where bank_account_id = ${accountId}`.execute(
    database.db,
  );
  return Number(rows[0]?.sum ?? 0);
}

describe("array literals of the page insert", () => {
  it("round-trips quotes, backslashes, separators, the word NULL, empty text, unicode and real nulls", async () => {
    const values = [
      'He said "hi"',
      "C:\\path\\",
      "{a,b}",
      "NULL",
      "",
      "  spaced  ",
      "Müller & Söhne – Überweisung €",
      "tab\there\nnewline",
      null,
    ];
    const literal = arrayLiteral(values, (v) => v);
    const { rows } = await sql<{ v: (string | null)[] }>`select ${literal}::text[] as v`.execute(database.db);
    expect(rows[0]?.v).toEqual(values);
  });

  it("writes numbers bare, so bigint and date columns parse them", async () => {
    const literal = arrayLiteral([-12_345, 0, 9_007_199_254_740_991], (v) => v);
    const { rows } = await sql<{ v: string }>`select (${literal}::bigint[])::text as v`.execute(database.db);
    expect(rows[0]?.v).toBe("{-12345,0,9007199254740991}");
  });
});

describe("the running total of imported amounts", () => {
  it("adds only the rows a page inserted, so a page stored twice or overlapping counts each row once", async () => {
    const { organisationId, accountId } = await createAccount(database.db as Kysely<unknown>);
    const other = await createAccount(database.db as Kysely<unknown>);
    const target = { organisationId, accountId, jobId: 1, now: new Date() };
    const first = [row("a", "2026-03-01", 10_000), row("b", "2026-03-02", -2_550), row("c", "2026-03-02", 1)];
    expect(await insertBookedTransactions(database.db, target, first)).toBe(3);
    expect(await insertBookedTransactions(database.db, target, first)).toBe(0);
    const overlapping = [
      row("c", "2026-03-02", 1),
      row("d", "2026-03-03", -99_999),
      row("e", "2026-03-04", 7),
    ];
    expect(await insertBookedTransactions(database.db, target, overlapping)).toBe(2);
    // The same external ids on another account are that account's own rows.
    await insertBookedTransactions(database.db, { ...target, ...other }, [row("a", "2026-03-01", 5)]);

    expect(await importedTotals(database.db, accountId)).toEqual({
      sum: 10_000 - 2_550 + 1 - 99_999 + 7,
      lastBookedDate: "2026-03-04",
    });
    expect(await storedSum(accountId)).toBe(10_000 - 2_550 + 1 - 99_999 + 7);
    expect(await importedTotals(database.db, other.accountId)).toEqual({
      sum: 5,
      lastBookedDate: "2026-03-01",
    });
    expect([...(await externalIdsFrom(database.db, accountId, "2026-03-02"))].sort()).toEqual([
      "id:b",
      "id:c",
      "id:d",
      "id:e",
    ]);
  });

  it("takes a page's amounts back with the page when its transaction rolls back", async () => {
    const { organisationId, accountId } = await createAccount(database.db as Kysely<unknown>);
    const target = { organisationId, accountId, jobId: 1, now: new Date() };
    await insertBookedTransactions(database.db, target, [row("kept", "2026-03-01", 4_200)]);
    const failed = await database.db
      .transaction()
      .execute(async (trx) => {
        await insertBookedTransactions(trx, target, [row("lost", "2026-03-02", 1_000_000)]);
        throw new Error("worker died");
      })
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(await importedTotals(database.db, accountId)).toEqual({
      sum: 4_200,
      lastBookedDate: "2026-03-01",
    });
  });

  it("starts, when the migration adds it, from the transactions each account already holds", async () => {
    const before = Object.fromEntries(
      Object.entries(migrations).filter(([name]) => name < "0006_import_speed"),
    );
    const old = await createTestDatabase<BooksDatabase>(before, "BOOKS_DATABASE_URL");
    try {
      const db = old.db as Kysely<unknown>;
      const { organisationId, accountId } = await createAccount(db);
      const empty = await createAccount(db);
      for (const [id, amount] of [
        ["x", 123_456_789_012],
        ["y", -23_456_789_013],
        ["z", 1],
      ] as const) {
        await sql`insert into bank_transactions (organisation_id, bank_account_id, external_id, booking_date,
            amount_minor, currency, imported_at)
          values (${organisationId}, ${accountId}, ${id}, '2026-03-01', ${amount}, 'EUR', now())`.execute(db);
      }
      await migrateToLatest(db, migrations);
      expect(await importedTotals(old.db, accountId)).toEqual({
        sum: 100_000_000_000,
        lastBookedDate: "2026-03-01",
      });
      expect(await importedTotals(old.db, empty.accountId)).toEqual({ sum: 0, lastBookedDate: null });
    } finally {
      await old.close();
    }
  });
});

describe("a page's rows", () => {
  it("are stored with their text exactly, and an id repeated within the page once", async () => {
    const { organisationId, accountId } = await createAccount(database.db as Kysely<unknown>);
    const target = { organisationId, accountId, jobId: 1, now: new Date() };
    const awkward = [
      "tab\there",
      "line\nbreak\r\nand CR",
      "back\\slash \\N \\t",
      "\\N",
      "NULL",
      "",
      "Müller & Söhne – Überweisung € 😀",
    ];
    const page = awkward.map((remittance, i) => ({ ...row(`w${i}`, "2026-03-01", i + 1), remittance }));
    const repeated = { ...row("w0", "2026-03-01", 1_000), remittance: "a second row with the same id" };
    expect(await insertBookedTransactions(database.db, target, [...page, repeated])).toBe(awkward.length);
    const stored = await database.db
      .selectFrom("bank_transactions")
      .select(["external_id", "remittance", "counterparty_iban", "amount_minor"])
      .where("bank_account_id", "=", accountId)
      .orderBy("id")
      .execute();
    expect(stored.map((r) => r.remittance)).toEqual(awkward);
    expect(stored.every((r) => r.counterparty_iban === null)).toBe(true);
    expect(await importedTotals(database.db, accountId)).toMatchObject({
      sum: (awkward.length * (awkward.length + 1)) / 2,
    });
  });
});

describe("the account a transaction belongs to", () => {
  it("must exist: a page for an unknown account is refused and stores nothing", async () => {
    const { organisationId } = await createAccount(database.db as Kysely<unknown>);
    const unknown = randomUUID();
    const failed = await insertBookedTransactions(
      database.db,
      { organisationId, accountId: unknown, jobId: 1, now: new Date() },
      [row("orphan", "2026-03-01", 100)],
    ).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: "23503" });
    const { rows } = await sql<{ n: string | number }>`
      select count(*) as n from bank_transactions where bank_account_id = ${unknown}`.execute(database.db);
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it("takes its transactions with it when deleted, itself or with its organisation, and keeps its id", async () => {
    const first = await createAccount(database.db as Kysely<unknown>);
    const second = await createAccount(database.db as Kysely<unknown>);
    const kept = await createAccount(database.db as Kysely<unknown>);
    for (const account of [first, second, kept]) {
      await insertBookedTransactions(database.db, { ...account, jobId: 1, now: new Date() }, [
        row("a", "2026-03-01", 1),
        row("b", "2026-03-02", 2),
      ]);
    }
    await database.db.deleteFrom("bank_accounts").where("id", "=", first.accountId).execute();
    await database.db.deleteFrom("organisations").where("id", "=", second.organisationId).execute();
    const { rows } = await sql<{ bank_account_id: string; n: string | number }>`
      select bank_account_id, count(*) as n from bank_transactions
      where bank_account_id in (${first.accountId}, ${second.accountId}, ${kept.accountId})
      group by bank_account_id`.execute(database.db);
    expect(rows.map((r) => [r.bank_account_id, Number(r.n)])).toEqual([[kept.accountId, 2]]);

    const renamed = await database.db
      .updateTable("bank_accounts")
      .set({ id: randomUUID() })
      .where("id", "=", kept.accountId)
      .execute()
      .catch((error: unknown) => error);
    expect(renamed).toMatchObject({ code: "23503" });
  });
});
