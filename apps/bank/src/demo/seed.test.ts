import type { Database } from "@kontor/db";
import { createTestDatabase, sql } from "@kontor/db/testing";
import { isBic, isIban } from "@kontor/money";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../db/migrations.ts";
import type { BankDB } from "../db/schema.ts";
import { verifyPassword } from "../psus/password.ts";
import {
  DEMO_CATEGORIES,
  type GeneratedTransaction,
  generateTransactions,
  planDemo,
  STREAM,
} from "./generate.ts";
import { createRng } from "./random.ts";
import { type DemoSummary, insertTransactions, seedDemo } from "./seed.ts";

const TODAY = "2026-11-23"; // a Monday
const engine = process.env.BANK_DATABASE_URL ? "postgres" : "pglite";

function generate(options: Parameters<typeof planDemo>[0]): GeneratedTransaction[] {
  const plan = planDemo(options);
  return [...generateTransactions(createRng(plan.seed, STREAM.history), plan)];
}

const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe("demo generator", () => {
  it("produces the same history for the same seed and a different one for another seed", () => {
    const a = generate({ today: TODAY, seed: 7 });
    const b = generate({ today: TODAY, seed: 7 });
    const c = generate({ today: TODAY, seed: 8 });
    expect(b).toEqual(a);
    const key = (rows: GeneratedTransaction[]) => rows.map((r) => `${r.amount_minor} ${r.remittance}`);
    expect(key(c)).not.toEqual(key(a));
    // Far more than a handful of rows differ, not just one draw.
    const differing = key(a).filter((k, i) => k !== key(c)[i]).length;
    expect(differing).toBeGreaterThan(a.length / 2);
    expect(planDemo({ today: TODAY, seed: 7 }).accounts.map((x) => x.id)).not.toEqual(
      planDemo({ today: TODAY, seed: 8 }).accounts.map((x) => x.id),
    );
  });

  it("hits the booked target exactly and spreads large volumes over the accounts", () => {
    const rows = generate({ today: TODAY, seed: 3, transactions: 60_000, extraAccounts: 3 });
    expect(rows.filter((r) => r.status === "booked")).toHaveLength(60_000);
    const perAccount = new Map<string, number>();
    for (const r of rows)
      if (r.status === "booked") perAccount.set(r.account_id, (perAccount.get(r.account_id) ?? 0) + 1);
    const plan = planDemo({ today: TODAY, seed: 3, transactions: 60_000, extraAccounts: 3 });
    expect(plan.accounts.map((a) => perAccount.get(a.id))).toEqual(plan.accounts.map((a) => a.planned));
    // Main + 3 projects share the volume equally; the tax reserve only mirrors transfers.
    for (const a of plan.accounts) {
      if (a.role === "reserve") expect(a.planned).toBeLessThan(50);
      else expect(a.planned).toBeGreaterThanOrEqual(14_990);
    }
    const ids = new Set(rows.map((r) => r.transaction_id));
    expect(ids.size).toBe(rows.length);

    // The benchmark's shape: 1,000,000 booked over 10 accounts, ≈ 111k on each but the reserve.
    const big = planDemo({ today: TODAY, transactions: 1_000_000, extraAccounts: 8 });
    expect(big.accounts).toHaveLength(10);
    expect(big.bookedTotal).toBe(1_000_000);
    for (const a of big.accounts) if (a.role !== "reserve") expect(a.planned).toBeGreaterThan(100_000);
  });

  it("books on business days only, in order, with a realistic mix of every category", () => {
    const rows = generate({ today: TODAY });
    const booked = rows.filter((r) => r.status === "booked");
    expect(booked.every((r) => weekday(r.booking_date) !== 0 && weekday(r.booking_date) !== 6)).toBe(true);
    expect(booked.some((r) => r.booking_date.endsWith("-12-25") || r.booking_date.endsWith("-01-01"))).toBe(
      false,
    );
    const byCategory = new Map<string, GeneratedTransaction[]>();
    for (const r of booked) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
    expect([...byCategory.keys()].sort()).toEqual([...DEMO_CATEGORIES].sort());
    expect(booked.length).toBeGreaterThanOrEqual(3_000);
    expect(booked.length).toBeLessThanOrEqual(4_000);

    // Per account, booking dates never go backwards in generation order (the bank pages by date, then seq).
    const last = new Map<string, string>();
    for (const r of booked) {
      expect(r.booking_date >= (last.get(r.account_id) ?? "")).toBe(true);
      last.set(r.account_id, r.booking_date);
    }

    const customers = byCategory.get("customer_payment")!;
    expect(customers.every((r) => r.amount_minor > 0 && r.bank_transaction_code === "PMNT-RCDT-ESCT")).toBe(
      true,
    );
    const remittances = customers.map((r) => r.remittance ?? "");
    for (const pattern of [
      /^RE-\d{4}-\d{4}$/,
      /^Rechnung \d{4}-\d{3}$/,
      /^Rg\.Nr\. \d+ vom \d{2}\.\d{2}\.\d{4}$/,
      /^SVWZ\+RE \d{4} \d{4} EREF\+/,
      /^RF\d{2}RE\d{8}$/,
      /Skonto/,
    ]) {
      expect(remittances.some((t) => pattern.test(t))).toBe(true);
    }
    expect(new Set(customers.map((r) => r.counterparty_name)).size).toBeGreaterThanOrEqual(20);
    expect(customers.some((r) => r.end_to_end_id === "NOTPROVIDED")).toBe(true);
    expect(customers.some((r) => r.end_to_end_id !== "NOTPROVIDED")).toBe(true);

    const salaries = byCategory.get("salary")!;
    expect(salaries.every((r) => /^LOHN\/GEHALT \d{2}\/\d{4}/.test(r.remittance ?? ""))).toBe(true);
    expect(
      salaries.every((r) => r.proprietary_code === "153" && r.bank_transaction_code === "PMNT-ICDT-SALA"),
    ).toBe(true);
    const taxes = byCategory.get("tax")!;
    expect(
      taxes.some((r) => r.counterparty_name === "Finanzamt Musterstadt" && /USt-VA/.test(r.remittance ?? "")),
    ).toBe(true);
    expect(taxes.some((r) => /LSt/.test(r.remittance ?? ""))).toBe(true);
    const cards = byCategory.get("card")!;
    expect(cards.some((r) => /^VISA Debit 4871\*{6}\d{4} AMAZON EU SARL/.test(r.remittance ?? ""))).toBe(
      true,
    );
    expect(byCategory.get("fee")!.every((r) => r.remittance?.startsWith("Kontoführungsgebühr"))).toBe(true);
    const debits = byCategory.get("direct_debit")!;
    expect(debits.every((r) => r.mandate_id && /^DE\d{2}ZZZ\d{11}$/.test(r.creditor_id ?? ""))).toBe(true);

    // Transfers to and from the tax reserve appear on both accounts.
    const internal = byCategory.get("internal_transfer")!;
    const outs = internal.filter((r) => r.amount_minor < 0);
    expect(outs.length).toBeGreaterThan(0);
    for (const out of outs) {
      const other = internal.find(
        (r) =>
          r.account_id !== out.account_id &&
          r.amount_minor === -out.amount_minor &&
          r.booking_date === out.booking_date &&
          r.end_to_end_id === out.end_to_end_id,
      );
      expect(other).toBeDefined();
    }
  });

  it("mints valid IBANs, BICs and creditor identifiers for everyone", () => {
    const plan = planDemo({ today: TODAY, transactions: 20_000, extraAccounts: 2 });
    for (const a of plan.accounts) {
      expect(isIban(a.iban)).toBe(true);
      expect(isBic(a.bic)).toBe(true);
    }
    const rows = [...generateTransactions(createRng(plan.seed, STREAM.history), plan)];
    const ibans = new Set(rows.map((r) => r.counterparty_iban).filter((x) => x !== null));
    const bics = new Set(rows.map((r) => r.counterparty_bic).filter((x) => x !== null));
    expect(ibans.size).toBeGreaterThan(100);
    expect([...ibans].filter((iban) => !isIban(iban))).toEqual([]);
    expect([...bics].filter((bic) => !isBic(bic))).toEqual([]);
  });
});

describe(`seedDemo on ${engine}`, () => {
  let database: Database<BankDB>;
  let summary: DemoSummary;

  beforeAll(async () => {
    database = await createTestDatabase<BankDB>(migrations, "BANK_DATABASE_URL");
    summary = await seedDemo(database.db, { today: TODAY, seed: 11 });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("stores exactly what the generator produces for the seed", async () => {
    expect(summary.created).toBe(true);
    const expected = generate({ today: TODAY, seed: 11 });
    const stored = await database.db.selectFrom("transactions").selectAll().orderBy("seq").execute();
    expect(stored).toHaveLength(expected.length);
    expect(summary.transactionCount + summary.pendingCount).toBe(expected.length);
    const strip = (r: object) => {
      // xs2a is rendered from the other columns by the database (migration 0002).
      const {
        seq: _seq,
        created_at: _created,
        category: _category,
        xs2a: _xs2a,
        ...rest
      } = r as Record<string, unknown>;
      return rest;
    };
    expect(stored.map(strip)).toEqual(expected.map(strip));
  });

  it("creates the business, the PSUs and their memberships", async () => {
    const { db } = database;
    const business = await db.selectFrom("businesses").selectAll().executeTakeFirstOrThrow();
    expect(business).toMatchObject({ id: summary.businessId, name: "Muster Handwerk GmbH", plan: "smart" });

    const psus = await db.selectFrom("psus").selectAll().orderBy("login").execute();
    expect(psus.map((p) => [p.login, p.display_name, p.tan])).toEqual([
      ["clerk", "Erika Mustermann", "123456"],
      ["demo", "Max Mustermann", "123456"],
    ]);
    for (const p of psus) {
      expect(await verifyPassword(p.login, p.password_hash)).toBe(true);
      expect(await verifyPassword("wrong", p.password_hash)).toBe(false);
    }

    const accounts = await db.selectFrom("accounts").selectAll().execute();
    const main = accounts.find((a) => a.parent_id === null)!;
    expect(main).toMatchObject({ name: "Geschäftskonto", product: "Business Account", currency: "EUR" });
    expect(accounts.find((a) => a.name === "Rücklagen Steuern")?.parent_id).toBe(main.id);
    expect(
      accounts.every((a) => a.status === "enabled" && !a.debit_blocked && isIban(a.iban) && isBic(a.bic)),
    ).toBe(true);

    const memberships = await db.selectFrom("memberships").selectAll().execute();
    expect(memberships).toHaveLength(accounts.length * 2);
    for (const m of memberships) {
      const demo = m.psu_id === summary.psus.demo;
      expect(m).toMatchObject({
        can_view: true,
        can_create_payments: demo,
        can_approve_payments: demo,
        limit_per_transfer_minor: null,
        limit_per_month_minor: null,
      });
    }
  });

  it("keeps every balance equal to opening plus booked rows, and positive throughout", async () => {
    const { db } = database;
    const accounts = await db
      .selectFrom("accounts as a")
      .leftJoin("transactions as t", (join) =>
        join.onRef("t.account_id", "=", "a.id").on("t.status", "=", "booked"),
      )
      .select((eb) => [
        "a.id",
        "a.opening_balance_minor",
        "a.booked_balance_minor",
        eb.fn.coalesce(eb.fn.sum<number>("t.amount_minor"), eb.lit(0)).as("sum"),
      ])
      .groupBy(["a.id", "a.opening_balance_minor", "a.booked_balance_minor"])
      .execute();
    expect(accounts).toHaveLength(2);
    for (const a of accounts) {
      expect(a.booked_balance_minor).toBe(a.opening_balance_minor + Number(a.sum));
      expect(a.opening_balance_minor).toBeGreaterThanOrEqual(8_000_00);
    }
    const lowest = await sql<{ low: string }>`
      select min(running) as low from (
        select a.opening_balance_minor + sum(t.amount_minor) over (partition by t.account_id order by t.booking_date, t.seq) as running
        from transactions t join accounts a on a.id = t.account_id where t.status = 'booked') r`.execute(db);
    expect(Number(lowest.rows[0]?.low)).toBeGreaterThan(0);
    expect(summary.accounts.map((a) => a.bookedBalanceMinor).sort()).toEqual(
      accounts.map((a) => a.booked_balance_minor).sort(),
    );
  });

  it("covers at least twelve months, every one of them, and has pending card payments on the main account", async () => {
    const { db } = database;
    const months = await sql<{ month: string }>`
      select distinct to_char(booking_date, 'YYYY-MM') as month from transactions
      where status = 'booked' and account_id = ${summary.accounts[0]!.id} order by 1`.execute(db);
    expect(months.rows.map((r) => r.month)).toEqual([
      "2025-10",
      "2025-11",
      "2025-12",
      "2026-01",
      "2026-02",
      "2026-03",
      "2026-04",
      "2026-05",
      "2026-06",
      "2026-07",
      "2026-08",
      "2026-09",
      "2026-10",
      "2026-11",
    ]);
    const pending = await db.selectFrom("transactions").selectAll().where("status", "=", "pending").execute();
    expect(pending.length).toBeGreaterThanOrEqual(3);
    expect(pending.length).toBeLessThanOrEqual(6);
    for (const p of pending) {
      expect(p.account_id).toBe(summary.accounts[0]!.id);
      expect(["2026-11-22", "2026-11-23"]).toContain(p.booking_date);
      expect(p.bank_transaction_code).toBe("PMNT-CCRD-POSD");
      expect(p.entry_reference).toBeNull();
    }
    const latest = await db
      .selectFrom("transactions")
      .select((eb) => eb.fn.max("booking_date").as("d"))
      .where("status", "=", "booked")
      .executeTakeFirstOrThrow();
    expect(String(latest.d) <= TODAY).toBe(true);
  });

  it("does nothing when the demo is already there", async () => {
    const count = async () =>
      Number(
        (
          await database.db
            .selectFrom("transactions")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const again = await seedDemo(database.db, { today: "2026-12-01", seed: 99, transactions: 10 });
    expect(again.created).toBe(false);
    expect(await count()).toBe(before);
    expect(again.businessId).toBe(summary.businessId);
    expect(again.psus).toEqual(summary.psus);
    expect(again.accounts).toEqual(summary.accounts);
    expect(again.transactionCount).toBe(summary.transactionCount);
  });
});

describe(`insertTransactions on ${engine}`, () => {
  it("stores awkward text exactly, across batch boundaries", async () => {
    const database = await createTestDatabase<BankDB>(migrations, "BANK_DATABASE_URL");
    try {
      const { db } = database;
      await db
        .insertInto("businesses")
        .values({ id: "00000000-0000-4000-8000-000000000001", name: "X", plan: "solo" })
        .execute();
      const account = "00000000-0000-4000-8000-000000000002";
      await db
        .insertInto("accounts")
        .values({
          id: account,
          business_id: "00000000-0000-4000-8000-000000000001",
          iban: "DE02100100104711000001",
          bic: "KONTDEB1XXX",
          currency: "EUR",
          name: "X",
          product: "X",
          parent_id: null,
          opening_balance_minor: 0,
          booked_balance_minor: 0,
        })
        .execute();
      const awkward = [
        'Rechnung "RE-1", Teil {2}',
        'back\\slash \\" mixed',
        "NULL",
        "",
        " leading and trailing ",
        "Zeile 1\nZeile 2\tTab",
        "Ümlaute ß € 😀",
        "a,b;c'd",
      ];
      const rows = awkward.map(
        (text, i): GeneratedTransaction => ({
          category: "customer_payment",
          account_id: account,
          transaction_id: `T-${i}`,
          entry_reference: i % 2 ? null : `E${i}`,
          status: "booked",
          booking_date: "2026-03-02",
          value_date: "2026-03-01",
          amount_minor: i % 2 ? -(9_007_199_254_740_991 - i) : i + 1,
          currency: "EUR",
          counterparty_name: text,
          counterparty_iban: null,
          counterparty_bic: null,
          remittance: text,
          end_to_end_id: text,
          mandate_id: null,
          creditor_id: null,
          bank_transaction_code: null,
          proprietary_code: null,
          booking_text: text,
        }),
      );
      const totals = await insertTransactions(db, rows, 3);
      expect(totals.get(account)?.booked).toBe(rows.length);
      const stored = await db
        .selectFrom("transactions")
        .select([
          "transaction_id",
          "entry_reference",
          "amount_minor",
          "counterparty_name",
          "remittance",
          "end_to_end_id",
          "booking_text",
        ])
        .orderBy("seq")
        .execute();
      expect(stored).toEqual(
        rows.map((r) => ({
          transaction_id: r.transaction_id,
          entry_reference: r.entry_reference,
          amount_minor: r.amount_minor,
          counterparty_name: r.counterparty_name,
          remittance: r.remittance,
          end_to_end_id: r.end_to_end_id,
          booking_text: r.booking_text,
        })),
      );
    } finally {
      await database.close();
    }
  });
});
