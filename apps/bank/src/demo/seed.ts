import { type Kysely, sql } from "kysely";
import type { BankDB } from "../db/schema.ts";
import { hashPassword } from "../psus/password.ts";
import {
  DEMO_BUSINESS_NAME,
  type DemoOptions,
  type DemoPlan,
  type GeneratedTransaction,
  generateTransactions,
  planDemo,
  STREAM,
} from "./generate.ts";
import { createRng } from "./random.ts";

/** The demo's logins (the DESIGN's external contract). */
export const DEMO_PSUS = {
  demo: { login: "demo", password: "demo", tan: "123456", displayName: "Max Mustermann" },
  clerk: { login: "clerk", password: "clerk", tan: "123456", displayName: "Erika Mustermann" },
} as const;

export interface DemoAccountSummary {
  id: string;
  iban: string;
  name: string;
  /** Booked transactions. */
  transactions: number;
  pending: number;
  openingBalanceMinor: number;
  bookedBalanceMinor: number;
}

export interface DemoSummary {
  /** False when the database already held the demo and nothing was written. */
  created: boolean;
  businessId: string;
  psus: { demo: string; clerk: string };
  accounts: DemoAccountSummary[];
  /** Booked transactions over all accounts. */
  transactionCount: number;
  pendingCount: number;
}

/**
 * Rows per INSERT. Measured with bench/seed.bench.ts on PostgreSQL 15 (2 cores, 300k rows): 2,000, 5,000,
 * 10,000 and 20,000 rows per batch all cost the same CPU (node ≈ 2.1 s, backend ≈ 3.6 s), so the smaller
 * batch wins on memory. One batch is in flight while the next is generated.
 */
const BATCH_ROWS = 5_000;

/** Balances never dip below this: the opening balance is raised until the whole history stays above it. */
const CUSHION_MINOR = 1_000_00;

/**
 * Seeds the demo business ("Muster Handwerk GmbH"), its PSUs `demo` and `clerk`, its accounts and their
 * history, all in one database transaction. Does nothing when PSU `demo` exists (even one that a concurrent
 * seeder is creating: the PSU row is written first, with ON CONFLICT DO NOTHING).
 */
export async function seedDemo(
  db: Kysely<BankDB>,
  options: DemoOptions,
  tuning: { batchRows?: number } = {},
): Promise<DemoSummary> {
  const existing = await readDemoSummary(db);
  if (existing) return existing;
  const plan = planDemo(options);
  // scrypt takes ~100 ms and 32 MiB each: done before the transaction opens.
  const [demoHash, clerkHash] = await Promise.all([
    hashPassword(DEMO_PSUS.demo.password),
    hashPassword(DEMO_PSUS.clerk.password),
  ]);
  const created = await db.transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto("psus")
      .values({
        id: plan.psuIds.demo,
        login: DEMO_PSUS.demo.login,
        display_name: DEMO_PSUS.demo.displayName,
        email: "max.mustermann@muster-handwerk.test",
        password_hash: demoHash,
        tan: DEMO_PSUS.demo.tan,
      })
      .onConflict((oc) => oc.column("login").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!claimed) return null;
    await trx
      .insertInto("psus")
      .values({
        id: plan.psuIds.clerk,
        login: DEMO_PSUS.clerk.login,
        display_name: DEMO_PSUS.clerk.displayName,
        email: "erika.mustermann@muster-handwerk.test",
        password_hash: clerkHash,
        tan: DEMO_PSUS.clerk.tan,
      })
      .execute();
    await trx
      .insertInto("businesses")
      .values({ id: plan.businessId, name: DEMO_BUSINESS_NAME, plan: "smart" })
      .execute();
    // Main account first: the others point at it.
    for (const account of plan.accounts) {
      await trx
        .insertInto("accounts")
        .values({
          id: account.id,
          business_id: plan.businessId,
          parent_id: account.parentId,
          iban: account.iban,
          bic: account.bic,
          currency: account.currency,
          name: account.name,
          product: account.product,
          status: "enabled",
          debit_blocked: false,
          opening_balance_minor: account.baseOpeningMinor,
          booked_balance_minor: account.baseOpeningMinor,
        })
        .execute();
    }
    await trx
      .insertInto("memberships")
      .values(
        plan.accounts.flatMap((account) => [
          {
            psu_id: plan.psuIds.demo,
            account_id: account.id,
            can_view: true,
            can_create_payments: true,
            can_approve_payments: true,
            limit_per_transfer_minor: null,
            limit_per_month_minor: null,
          },
          {
            psu_id: plan.psuIds.clerk,
            account_id: account.id,
            can_view: true,
            can_create_payments: false,
            can_approve_payments: false,
            limit_per_transfer_minor: null,
            limit_per_month_minor: null,
          },
        ]),
      )
      .execute();

    const totals = await insertTransactions(
      trx,
      generateTransactions(createRng(plan.seed, STREAM.history), plan),
      tuning.batchRows,
    );
    const accounts: DemoAccountSummary[] = [];
    for (const account of plan.accounts) {
      const t = totals.get(account.id) ?? emptyTotals();
      // Raise the opening balance if the history would otherwise dip below the cushion at some point.
      const needed = Math.ceil((CUSHION_MINOR - t.minPrefix) / 1_000_00) * 1_000_00;
      const opening = Math.max(account.baseOpeningMinor, needed);
      const booked = opening + t.sum;
      await trx
        .updateTable("accounts")
        .set({ opening_balance_minor: opening, booked_balance_minor: booked })
        .where("id", "=", account.id)
        .execute();
      accounts.push({
        id: account.id,
        iban: account.iban,
        name: account.name,
        transactions: t.booked,
        pending: t.pending,
        openingBalanceMinor: opening,
        bookedBalanceMinor: booked,
      });
    }
    return accounts;
  });
  if (!created) return (await readDemoSummary(db))!;
  // As after any bulk load: statistics for the planner, and the visibility map set, rather than autovacuum doing
  // both in the middle of whatever comes next (a benchmark's measurements, the first syncs).
  await sql`vacuum (analyze) transactions, accounts, memberships`.execute(db);
  return summarize(plan, created);
}

function summarize(plan: DemoPlan, accounts: DemoAccountSummary[]): DemoSummary {
  return {
    created: true,
    businessId: plan.businessId,
    psus: plan.psuIds,
    accounts,
    transactionCount: accounts.reduce((n, a) => n + a.transactions, 0),
    pendingCount: accounts.reduce((n, a) => n + a.pending, 0),
  };
}

interface Totals {
  booked: number;
  pending: number;
  sum: number;
  /** The lowest running sum of booked amounts (0 before the first row). */
  minPrefix: number;
}

const emptyTotals = (): Totals => ({ booked: 0, pending: 0, sum: 0, minPrefix: 0 });

/**
 * The columns in insert order with their SQL array types. One statement text for every batch, so the
 * server plans it once; each column travels as one array parameter and `unnest` turns them back into rows.
 */
const COLUMNS = [
  ["account_id", "uuid"],
  ["transaction_id", "text"],
  ["entry_reference", "text"],
  ["status", "text"],
  ["booking_date", "date"],
  ["value_date", "date"],
  ["amount_minor", "int8"],
  ["currency", "text"],
  ["counterparty_name", "text"],
  ["counterparty_iban", "text"],
  ["counterparty_bic", "text"],
  ["remittance", "text"],
  ["end_to_end_id", "text"],
  ["mandate_id", "text"],
  ["creditor_id", "text"],
  ["bank_transaction_code", "text"],
  ["proprietary_code", "text"],
  ["booking_text", "text"],
] as const satisfies ReadonlyArray<readonly [keyof GeneratedTransaction, string]>;

type Column = (typeof COLUMNS)[number][0];

const INSERT_HEAD = sql.raw(
  `insert into transactions (${COLUMNS.map(([name]) => name).join(", ")}) select * from unnest(`,
);

/**
 * A PostgreSQL array literal, written here rather than by the driver: the driver quotes and escapes every
 * element through two regex replacements; most of ours need neither.
 */
export function arrayLiteral(values: readonly unknown[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = "NULL";
    else if (typeof v === "number") parts[i] = String(v);
    else {
      const text = String(v);
      parts[i] = NEEDS_ESCAPE.test(text) ? `"${text.replace(ESCAPED, "\\$&")}"` : `"${text}"`;
    }
  }
  return `{${parts.join(",")}}`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

function insertBatch(db: Kysely<BankDB>, columns: Record<Column, unknown[]>) {
  const args = COLUMNS.map(([name, type]) => sql`${arrayLiteral(columns[name])}::${sql.raw(type)}[]`);
  return sql`${INSERT_HEAD}${sql.join(args)})`.execute(db);
}

/**
 * Streams rows into the transactions table in multi-row batches and returns per-account totals. While the
 * server inserts one batch, the next is generated: one batch in flight, so memory stays at two batches.
 */
export async function insertTransactions(
  db: Kysely<BankDB>,
  rows: Iterable<GeneratedTransaction>,
  batchRows = BATCH_ROWS,
): Promise<Map<string, Totals>> {
  const totals = new Map<string, Totals>();
  const fresh = () =>
    Object.fromEntries(COLUMNS.map(([name]) => [name, []])) as unknown as Record<Column, unknown[]>;
  let columns = fresh();
  let size = 0;
  let inflight: Promise<unknown> | null = null;
  const flush = async () => {
    if (size === 0) return;
    const batch = columns;
    columns = fresh();
    size = 0;
    if (inflight) await inflight;
    inflight = insertBatch(db, batch);
    // The rejection is observed by the next await; this only keeps Node from calling it unhandled meanwhile.
    inflight.catch(() => {});
  };
  for (const row of rows) {
    for (const [name] of COLUMNS) columns[name].push(row[name]);
    size += 1;
    let t = totals.get(row.account_id);
    if (!t) {
      t = emptyTotals();
      totals.set(row.account_id, t);
    }
    if (row.status === "booked") {
      t.booked += 1;
      t.sum += row.amount_minor;
      if (t.sum < t.minPrefix) t.minPrefix = t.sum;
    } else {
      t.pending += 1;
    }
    if (size >= batchRows) await flush();
  }
  await flush();
  if (inflight) await inflight;
  return totals;
}

/** The demo as it is in the database, or null when it has not been seeded. */
export async function readDemoSummary(db: Kysely<BankDB>): Promise<DemoSummary | null> {
  const psus = await db
    .selectFrom("psus")
    .select(["id", "login"])
    .where("login", "in", [DEMO_PSUS.demo.login, DEMO_PSUS.clerk.login])
    .execute();
  const demo = psus.find((p) => p.login === DEMO_PSUS.demo.login);
  if (!demo) return null;
  const clerk = psus.find((p) => p.login === DEMO_PSUS.clerk.login);
  const rows = await db
    .selectFrom("memberships as m")
    .innerJoin("accounts as a", "a.id", "m.account_id")
    .leftJoin(
      db
        .selectFrom("transactions")
        .select((eb) => [
          "account_id",
          eb.fn.count<number>("seq").filterWhere("status", "=", "booked").as("booked"),
          eb.fn.count<number>("seq").filterWhere("status", "=", "pending").as("pending"),
        ])
        .groupBy("account_id")
        .as("t"),
      "t.account_id",
      "a.id",
    )
    .select([
      "a.id",
      "a.iban",
      "a.name",
      "a.business_id",
      "a.opening_balance_minor",
      "a.booked_balance_minor",
      "t.booked",
      "t.pending",
    ])
    .where("m.psu_id", "=", demo.id)
    .execute();
  // Account numbers follow the plan's order (main, reserve, projects); IBAN check digits do not.
  rows.sort((x, y) => x.iban.slice(4).localeCompare(y.iban.slice(4)));
  const accounts = rows.map((r) => ({
    id: r.id,
    iban: r.iban,
    name: r.name,
    transactions: Number(r.booked ?? 0),
    pending: Number(r.pending ?? 0),
    openingBalanceMinor: r.opening_balance_minor,
    bookedBalanceMinor: r.booked_balance_minor,
  }));
  return {
    created: false,
    businessId: rows[0]?.business_id ?? "",
    psus: { demo: demo.id, clerk: clerk?.id ?? "" },
    accounts,
    transactionCount: accounts.reduce((n, a) => n + a.transactions, 0),
    pendingCount: accounts.reduce((n, a) => n + a.pending, 0),
  };
}
