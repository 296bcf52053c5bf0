/** SQL of the import: booked rows (idempotent), pending rows, balances, gaps and the read budget. */
import { type CopyValue, copyRows, isEmbedded } from "@kontor/db";
import { type Kysely, sql, Transaction } from "kysely";
import type { NewBankTransaction, PendingBankTransaction } from "../connectors/transform.ts";
import type { BooksDatabase, ConnectionStatus } from "../db/schema.ts";

type Db = Kysely<BooksDatabase> | Transaction<BooksDatabase>;

export interface SyncTarget {
  accountId: string;
  organisationId: string;
  connectionId: string;
  resourceId: string;
  iban: string;
  currency: string;
  importFrom: string;
  accountStatus: "active" | "disconnected";
  openingBalanceMinor: number | null;
  lastBookedDate: string | null;
  balanceDate: string | null;
  bankId: string;
  connectionStatus: ConnectionStatus;
  consentIdSealed: string | null;
  frequencyPerDay: number;
  lastScaAt: Date | null;
  /** The value date of the oldest pending entry books holds for the account (readWindowStart reaches back to it). */
  oldestPendingDate: string | null;
}

export function findSyncTarget(db: Db, accountId: string): Promise<SyncTarget | undefined> {
  return db
    .selectFrom("bank_accounts as a")
    .innerJoin("bank_connections as c", "c.id", "a.connection_id")
    .select([
      "a.id as accountId",
      "a.organisation_id as organisationId",
      "a.connection_id as connectionId",
      "a.resource_id as resourceId",
      "a.iban",
      "a.currency",
      "a.import_from as importFrom",
      "a.status as accountStatus",
      "a.opening_balance_minor as openingBalanceMinor",
      "a.last_booked_date as lastBookedDate",
      "a.balance_date as balanceDate",
      "c.bank_id as bankId",
      "c.status as connectionStatus",
      "c.consent_id_sealed as consentIdSealed",
      "c.frequency_per_day as frequencyPerDay",
      "c.last_sca_at as lastScaAt",
      (eb) =>
        eb
          .selectFrom("bank_pending_transactions as p")
          .select((sub) => sub.fn.min<string | null>("p.value_date").as("oldest"))
          .whereRef("p.bank_account_id", "=", "a.id")
          .as("oldestPendingDate"),
    ])
    .where("a.id", "=", accountId)
    .executeTakeFirst();
}

/**
 * ON CONFLICT DO NOTHING on (bank_account_id, external_id): a row seen before is skipped, never doubled. The
 * insert trigger adds the amounts of the rows a statement did insert to bank_accounts.imported_sum_minor
 * (migration 0008), so the running total moves exactly with the rows (a skipped row adds nothing; a
 * rolled-back page takes its part back).
 *
 * One statement per page with one array parameter per column (unnest), not a VALUES list: 17 parameters
 * whatever the page size (a VALUES list of a 5,000-row page needs 85,000 and PostgreSQL's limit is 65,535),
 * and the server parses and plans one short statement (bench/import.bench.ts, 200k over 10 accounts, pages of
 * 5,000: 28,000 tx/s on PostgreSQL and 15,000 on PGlite, where the VALUES list failed above ~3,850 rows).
 * On the embedded database a page goes through COPY first (copyNewTransactions below).
 */
export async function insertBookedTransactions(
  db: Db,
  target: { organisationId: string; accountId: string; jobId: number; now: Date },
  rows: readonly NewBankTransaction[],
  options: WriteOptions = {},
): Promise<number> {
  if (rows.length === 0) {
    options.whileWriting?.();
    return 0;
  }
  if (isEmbedded(db)) {
    const copied =
      db instanceof Transaction
        ? await copyNewTransactions(db, target, rows, options)
        : await db.transaction().execute((trx) => copyNewTransactions(trx, target, rows, options));
    if (copied !== undefined) return copied;
    // COPY met a stored row: the work ran alongside it already.
    options = {};
  }
  const column = (pick: (row: NewBankTransaction) => string | number | null) => arrayLiteral(rows, pick);
  const writing = sql`
      insert into bank_transactions (
        organisation_id, bank_account_id, external_id, booking_date, value_date, amount_minor, currency,
        counterparty_name, counterparty_iban, remittance, end_to_end_id, mandate_id, creditor_id,
        bank_transaction_code, booking_text, sync_job_id, imported_at
      )
      select ${target.organisationId}::uuid, ${target.accountId}::uuid, t.*, ${target.jobId}::bigint,
        ${target.now}::timestamptz
      from unnest(
        ${column((r) => r.externalId)}::text[],
        ${column((r) => r.bookingDate)}::date[],
        ${column((r) => r.valueDate)}::date[],
        ${column((r) => r.amountMinor)}::bigint[],
        ${column((r) => r.currency)}::text[],
        ${column((r) => r.counterpartyName)}::text[],
        ${column((r) => r.counterpartyIban)}::text[],
        ${column((r) => r.remittance)}::text[],
        ${column((r) => r.endToEndId)}::text[],
        ${column((r) => r.mandateId)}::text[],
        ${column((r) => r.creditorId)}::text[],
        ${column((r) => r.bankTransactionCode)}::text[],
        ${column((r) => r.bookingText)}::text[]
      ) as t
      on conflict (bank_account_id, external_id) do nothing`.execute(db);
  const { numAffectedRows } = await alongside(writing, options.whileWriting);
  return Number(numAffectedRows ?? 0);
}

export interface WriteOptions {
  /**
   * Runs once the rows are on their way to the database and before the write is awaited, so that CPU work
   * (the sync validates the page here) overlaps the database's. What it throws is thrown once the write
   * has settled, so the caller's transaction rolls back whole.
   */
  whileWriting?: (() => void) | undefined;
}

/** Awaits `writing` with `work` run meanwhile: after a turn of the event loop, so the statement has left. */
async function alongside<T>(writing: Promise<T>, work: (() => void) | undefined): Promise<T> {
  if (!work) return writing;
  writing.catch(() => {});
  await new Promise((resolve) => setImmediate(resolve));
  try {
    work();
  } catch (error) {
    await writing.catch(() => {});
    throw error;
  }
  return writing;
}

const COPIED_COLUMNS = [
  "organisation_id",
  "bank_account_id",
  "external_id",
  "booking_date",
  "value_date",
  "amount_minor",
  "currency",
  "counterparty_name",
  "counterparty_iban",
  "remittance",
  "end_to_end_id",
  "mandate_id",
  "creditor_id",
  "bank_transaction_code",
  "booking_text",
  "sync_job_id",
  "imported_at",
] as const;

/**
 * The embedded database's fast path (copyRows in @kontor/db): the page's rows with COPY, which PGlite parses
 * far more cheaply than the array parameters of the INSERT above (the insert trigger moves the running total
 * for COPY alike). The sync passes only rows whose ids it did not find stored, so COPY, which is all
 * or nothing, normally writes them all. Should a row be there after all (a row stored by another worker
 * meanwhile), the page is undone to a savepoint and `undefined` sends it down the ON CONFLICT path, which
 * skips exactly the rows that exist. An id repeated within the page is written once, as ON CONFLICT would.
 * `options.whileWriting` runs alongside the COPY, so it has run by the time this returns, whatever it returns.
 */
async function copyNewTransactions(
  trx: Transaction<BooksDatabase>,
  target: { organisationId: string; accountId: string; jobId: number; now: Date },
  rows: readonly NewBankTransaction[],
  options: WriteOptions,
): Promise<number | undefined> {
  const seen = new Set<string>();
  const values: CopyValue[][] = [];
  const importedAt = target.now.toISOString();
  for (const row of rows) {
    if (seen.has(row.externalId)) continue;
    seen.add(row.externalId);
    values.push([
      target.organisationId,
      target.accountId,
      row.externalId,
      row.bookingDate,
      row.valueDate,
      row.amountMinor,
      row.currency,
      row.counterpartyName,
      row.counterpartyIban,
      row.remittance,
      row.endToEndId,
      row.mandateId,
      row.creditorId,
      row.bankTransactionCode,
      row.bookingText,
      target.jobId,
      importedAt,
    ]);
  }
  await sql`savepoint copy_page`.execute(trx);
  try {
    await alongside(copyRows(trx, "bank_transactions", COPIED_COLUMNS, values), options.whileWriting);
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await sql`rollback to savepoint copy_page`.execute(trx);
    return undefined;
  }
  await sql`release savepoint copy_page`.execute(trx);
  return values.length;
}
const UNIQUE_VIOLATION = "23505";

/**
 * A PostgreSQL array literal of one column, written here rather than by the driver: pg quotes and escapes
 * every element through two regex replacements and most of ours need neither; that was ~18 % of books' CPU
 * per imported row (bench/import.bench.ts profile). The bank's seeder does the same (apps/bank demo/seed.ts).
 */
export function arrayLiteral<T>(rows: readonly T[], pick: (row: T) => string | number | null): string {
  const parts = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = pick(rows[i] as T);
    if (value === null) parts[i] = "NULL";
    else if (typeof value === "number") parts[i] = String(value);
    else parts[i] = NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, "\\$&")}"` : `"${value}"`;
  }
  return `{${parts.join(",")}}`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * External ids the account already holds from `dateFrom` on: the rows of a re-read that need not be sent to
 * the database at all. ON CONFLICT DO NOTHING stays the guarantee (a row stored meanwhile by another worker
 * is still skipped); this only spares the unchanged overlap window its INSERT, which at ~3,500 rows per
 * re-sync was most of the database's work (bench/import.bench.ts).
 *
 * One JSON array rather than a row per id: on PGlite each result row costs a protocol message and a JS
 * object, and for the ~5,000 ids of a re-sync's window that was 22 ms against 7 (1M rows, PGlite).
 */
export async function externalIdsFrom(db: Db, accountId: string, dateFrom: string): Promise<Set<string>> {
  const { rows } = await sql<{ ids: string[] | null }>`
    select json_agg(external_id) as ids from bank_transactions
    where bank_account_id = ${accountId} and booking_date >= ${dateFrom}`.execute(db);
  return new Set(rows[0]?.ids ?? []);
}

export async function replacePendingTransactions(
  db: Db,
  accountId: string,
  rows: readonly PendingBankTransaction[],
  now: Date,
): Promise<void> {
  await db.deleteFrom("bank_pending_transactions").where("bank_account_id", "=", accountId).execute();
  if (rows.length === 0) return;
  await db
    .insertInto("bank_pending_transactions")
    .values(
      rows.map((row) => ({
        bank_account_id: accountId,
        value_date: row.valueDate,
        amount_minor: row.amountMinor,
        currency: row.currency,
        counterparty_name: row.counterpartyName,
        remittance: row.remittance,
        seen_at: now,
      })),
    )
    .execute();
}

/**
 * What the reconciliation compares with the bank's balance: the running sum kept by insertBookedTransactions
 * (not a sum over the whole history, which took ~50 ms per account of 111,000 rows on PGlite), and the last
 * booking date, one step down the (account, booking_date) index.
 */
export async function importedTotals(
  db: Db,
  accountId: string,
): Promise<{ sum: number; lastBookedDate: string | null }> {
  const row = await db
    .selectFrom("bank_accounts as a")
    .select((eb) => [
      "a.imported_sum_minor as sum",
      eb
        .selectFrom("bank_transactions as t")
        .select((inner) => inner.fn.max("t.booking_date").as("last"))
        .whereRef("t.bank_account_id", "=", "a.id")
        .as("last"),
    ])
    .where("a.id", "=", accountId)
    .executeTakeFirstOrThrow();
  return { sum: row.sum, lastBookedDate: (row.last as string | null) ?? null };
}

export interface OpenGap {
  id: number;
  periodFrom: string;
  periodTo: string;
  differenceMinor: number;
}

export function findOpenGap(db: Db, accountId: string): Promise<OpenGap | undefined> {
  return db
    .selectFrom("balance_gaps")
    .select([
      "id",
      "period_from as periodFrom",
      "period_to as periodTo",
      "difference_minor as differenceMinor",
    ])
    .where("bank_account_id", "=", accountId)
    .where("closed_at", "is", null)
    .executeTakeFirst();
}

export async function openOrUpdateGap(
  db: Db,
  accountId: string,
  gap: { periodFrom: string; periodTo: string; differenceMinor: number; now: Date },
): Promise<void> {
  const open = await findOpenGap(db, accountId);
  if (open) {
    await db
      .updateTable("balance_gaps")
      .set({ period_to: gap.periodTo, difference_minor: gap.differenceMinor })
      .where("id", "=", open.id)
      .execute();
    return;
  }
  await db
    .insertInto("balance_gaps")
    .values({
      bank_account_id: accountId,
      period_from: gap.periodFrom,
      period_to: gap.periodTo,
      difference_minor: gap.differenceMinor,
      detected_at: gap.now,
    })
    .execute();
}

export async function closeOpenGap(db: Db, accountId: string, now: Date): Promise<void> {
  await db
    .updateTable("balance_gaps")
    .set({ closed_at: now })
    .where("bank_account_id", "=", accountId)
    .where("closed_at", "is", null)
    .execute();
}

export async function updateAccountAfterSync(
  db: Db,
  accountId: string,
  values: {
    openingBalanceMinor: number | null;
    bookedBalanceMinor: number | null;
    balanceDate: string | null;
    lastBookedDate: string | null;
    now: Date;
    reconciled: boolean;
    nextSyncAt: Date | null;
  },
): Promise<void> {
  await db
    .updateTable("bank_accounts")
    .set({
      opening_balance_minor: values.openingBalanceMinor,
      ...(values.bookedBalanceMinor === null ? {} : { booked_balance_minor: values.bookedBalanceMinor }),
      balance_date: values.balanceDate,
      last_booked_date: values.lastBookedDate,
      last_synced_at: values.now,
      next_sync_at: values.nextSyncAt,
      last_error: null,
      ...(values.reconciled ? { last_reconciled_at: values.now } : {}),
    })
    .where("id", "=", accountId)
    .execute();
}

export async function setAccountError(db: Db, accountId: string, code: string, nextSyncAt?: Date | null) {
  await db
    .updateTable("bank_accounts")
    .set({ last_error: code, ...(nextSyncAt === undefined ? {} : { next_sync_at: nextSyncAt }) })
    .where("id", "=", accountId)
    .execute();
}

export async function setConnectionStatus(
  db: Db,
  connectionId: string,
  status: ConnectionStatus,
  now: Date,
  onlyFrom?: readonly ConnectionStatus[],
): Promise<void> {
  let query = db
    .updateTable("bank_connections")
    .set({ status, updated_at: now })
    .where("id", "=", connectionId);
  if (onlyFrom) query = query.where("status", "in", onlyFrom);
  await query.execute();
}

/** Counts one unattended read and returns the count for the day, this one included. */
export async function countUnattendedRead(
  db: Db,
  key: { connectionId: string; resource: string; date: string },
): Promise<number> {
  const row = await db
    .insertInto("bank_read_budget")
    .values({ connection_id: key.connectionId, resource: key.resource, usage_date: key.date, count: 1 })
    .onConflict((oc) =>
      oc.columns(["connection_id", "resource", "usage_date"]).doUpdateSet((eb) => ({
        count: eb("bank_read_budget.count", "+", 1),
      })),
    )
    .returning("count")
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function unattendedReads(
  db: Db,
  key: { connectionId: string; resource: string; date: string },
): Promise<number> {
  const row = await db
    .selectFrom("bank_read_budget")
    .select("count")
    .where("connection_id", "=", key.connectionId)
    .where("resource", "=", key.resource)
    .where("usage_date", "=", key.date)
    .executeTakeFirst();
  return row?.count ?? 0;
}
