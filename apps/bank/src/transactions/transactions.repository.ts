import { type Kysely, type RawBuilder, sql } from "kysely";
import type { BankDB, BookingStatus } from "../db/schema.ts";

export interface PageCursor {
  /** Booking date and seq of the last row already delivered. */
  date: string;
  seq: number;
  /** The highest seq that existed when paging began: later bookings wait for the next request. */
  maxSeq: number;
}

/**
 * The XS2A `transactionDetails` object of a row `t`, built by PostgreSQL. A page of 100 travels from the
 * database as one JSON text and goes to the TPP as is: parsing 100 rows into objects in Node and
 * serialising them again cost more than everything else in the request (measured with --cpu-prof).
 * Amounts are exact: numeric division and rounding to the currency's exponent, never a float.
 * The counterparty is the debtor of money in and the creditor of money out.
 */
function transactionJson(exponent: number): RawBuilder<unknown> {
  return sql`json_strip_nulls(json_build_object(
    'transactionId', t.transaction_id,
    'entryReference', t.entry_reference,
    'endToEndId', t.end_to_end_id,
    'mandateId', t.mandate_id,
    'creditorId', t.creditor_id,
    'bookingDate', t.booking_date,
    'valueDate', t.value_date,
    'transactionAmount', json_build_object(
      'currency', t.currency,
      'amount', round(t.amount_minor::numeric / ${10 ** exponent}::numeric, ${exponent}::int)::text),
    case when t.amount_minor > 0 then 'debtorName' else 'creditorName' end, t.counterparty_name,
    case when t.amount_minor > 0 then 'debtorAccount' else 'creditorAccount' end,
      case when t.counterparty_iban is not null then json_build_object('iban', t.counterparty_iban) end,
    case when t.amount_minor > 0 then 'debtorAgent' else 'creditorAgent' end, t.counterparty_bic,
    'remittanceInformationUnstructured', t.remittance,
    'bankTransactionCode', t.bank_transaction_code,
    'proprietaryBankTransactionCode', t.proprietary_code,
    'additionalInformation', t.booking_text))`;
}

export interface JsonPage {
  /** A JSON array text of XS2A transactions. */
  items: string;
  /** Rows read, including the one look-ahead row that tells whether another page follows. */
  fetched: number;
  last: { date: string; seq: number } | null;
}

/**
 * One page of an account's transactions, in (booking_date, seq) order, keyset-paged: the union of all pages
 * is exactly the set that existed at the first page, whatever is booked meanwhile. Reads `limit + 1` rows and
 * returns the first `limit` as JSON, with the position of the last one for the next cursor.
 */
export async function pageTransactionsJson(
  db: Kysely<BankDB>,
  params: {
    accountId: string;
    status: BookingStatus;
    dateFrom: string;
    dateTo: string;
    after: PageCursor | null;
    limit: number;
    exponent: number;
  },
): Promise<JsonPage> {
  const after = params.after
    ? sql`and (booking_date, seq) > (${params.after.date}::date, ${params.after.seq}::bigint) and seq <= ${params.after.maxSeq}`
    : sql``;
  const { rows } = await sql<{
    items: string;
    fetched: number;
    last_date: string | null;
    last_seq: number | null;
  }>`
    with page as (
      select *, row_number() over (order by booking_date, seq) as n
      from (
        select * from transactions
        where account_id = ${params.accountId} and status = ${params.status}
          and booking_date >= ${params.dateFrom}::date and booking_date <= ${params.dateTo}::date ${after}
        order by booking_date, seq
        limit ${params.limit + 1}
      ) rows
    )
    select
      coalesce(json_agg(${transactionJson(params.exponent)} order by t.n) filter (where t.n <= ${params.limit}), '[]')::text as items,
      count(*)::int as fetched,
      max(t.booking_date) filter (where t.n = ${params.limit})::text as last_date,
      max(t.seq) filter (where t.n = ${params.limit}) as last_seq
    from page t`.execute(db);
  const row = rows[0]!;
  return {
    items: row.items,
    fetched: row.fetched,
    last:
      row.last_date !== null && row.last_seq !== null
        ? { date: row.last_date, seq: Number(row.last_seq) }
        : null,
  };
}

export async function maxSeq(db: Kysely<BankDB>, accountId: string): Promise<number> {
  const row = await db
    .selectFrom("transactions")
    .select((eb) => eb.fn.max<number | null>("seq").as("max"))
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/** One transaction as an XS2A JSON text, or null. */
export async function findTransactionJson(
  db: Kysely<BankDB>,
  accountId: string,
  transactionId: string,
  exponent: number,
): Promise<string | null> {
  const { rows } = await sql<{ json: string }>`
    select ${transactionJson(exponent)}::text as json from transactions t
    where t.account_id = ${accountId} and t.transaction_id = ${transactionId}`.execute(db);
  return rows[0]?.json ?? null;
}
