import type { RawReader } from "@kontor/db";
import type { Kysely } from "kysely";
import { fixedStatement } from "../db/fixed-query.ts";
import type { BankDB } from "../db/schema.ts";

export interface PageCursor {
  /** Booking date and seq of the last row already delivered. */
  date: string;
  seq: number;
  /** The highest seq that existed when paging began: later bookings wait for the next request. */
  maxSeq: number;
}

/**
 * A page's rows as the database sent them (raw reads, `@kontor/db` raw.ts): [seq, booking_date, xs2a], each as
 * text bytes. The stored XS2A JSON goes into the response without being decoded; only the last row's keyset
 * columns are read, for the next page's cursor.
 *
 * Measured (PostgreSQL 15, 2 cores): building the page's JSON in SQL per request cost 0.6 ms of database CPU
 * per page, and parsing ~17 plain columns per row and rendering them cost Node more than that; each row's
 * JSON is therefore rendered once when it is written and read here as one text column.
 */
export type PageRow = [seq: Buffer, bookingDate: Buffer, xs2a: Buffer, ...extra: Buffer[]];

/** The stored XS2A JSON of a page row. */
export const xs2aOf = (row: PageRow): Buffer => row[2];

/** The keyset position of a page row: where the next page starts after it. */
export function positionAfter(row: PageRow): { date: string; seq: number } {
  return { seq: Number(row[0].toString("ascii")), date: row[1].toString("ascii") };
}

/**
 * The continuation page of an account's booked transactions after `after`, in (booking_date, seq) order,
 * keyset-paged and frozen at the first page's maxSeq: the union of all pages is exactly the set that
 * existed at the first page, whatever is booked meanwhile (the first page: firstBookedPage).
 */
export function nextBookedPage(
  raw: RawReader,
  range: { accountId: string; dateFrom: string; dateTo: string; limit: number },
  after: PageCursor,
): Promise<PageRow[]> {
  return raw.rows(PAGE_AFTER, afterValues(range, after));
}

/**
 * The same continuation page, read only while the consent allows the read: the statement carries the checks of
 * consents.authorizeAccess that apply to a continuation page (the consent is the TPP's, valid, not waiting for
 * SCA, its last SCA not older than SCA_RENEWAL_DAYS, not past its validUntil, grants `transactions` on the
 * account, and its PSU may still view the account) and one more, that the consent's last access was recorded
 * since `touchedSince`. No rows means any of these
 * failed, or the page is empty; the caller then goes the full way (authorizeAccess, then nextBookedPage), which
 * says why, records the access, or serves the page. Stricter than the guard may be, looser never: the XS2A
 * tests run every refusal on a continuation page.
 *
 * One statement instead of two (the guard's and the page's) per page: 10-20 % less CPU per page in the bank
 * and in PostgreSQL alike (docs/design/xs2a-performance.md). Each row also carries the account's IBAN and
 * currency, for the response's `account` (undefined when there are no rows).
 */
export async function guardedNextBookedPage(
  raw: RawReader,
  range: { accountId: string; dateFrom: string; dateTo: string; limit: number },
  after: PageCursor,
  access: { consentId: string; tppId: string; today: string; touchedSince: Date; scaSince: Date },
): Promise<{ rows: PageRow[]; account: { iban: string; currency: string } | undefined }> {
  const rows = await raw.rows(GUARDED_PAGE_AFTER, [
    ...afterValues(range, after),
    access.consentId,
    access.tppId,
    access.today,
    access.touchedSince.toISOString(),
    access.scaSince.toISOString(),
  ]);
  const first = rows[0];
  const account = first && { iban: first[3].toString("ascii"), currency: first[4].toString("ascii") };
  return { rows, account };
}

/**
 * The parameters $1-$7 of both continuation statements. The index scan starts at the row comparison: a cursor
 * before dateFrom (a link edited by hand) would make it walk every older row of the account, so it starts at
 * (dateFrom, -1) then, which is the same bound.
 */
function afterValues(
  range: { accountId: string; dateFrom: string; dateTo: string; limit: number },
  after: PageCursor,
): [...Range, ...After] {
  const [date, seq] = after.date < range.dateFrom ? [range.dateFrom, -1] : [after.date, after.seq];
  return [range.accountId, range.dateFrom, range.dateTo, range.limit, date, seq, after.maxSeq];
}

/**
 * An account's pending transactions (few, by nature) entered within the period, all of them, in (booking_date,
 * seq) order: for a pending transaction the spec's dateFrom/dateTo apply to its entry date, kept as booking_date.
 */
export function pendingTransactions(
  raw: RawReader,
  range: { accountId: string; dateFrom: string; dateTo: string; limit: number },
): Promise<PageRow[]> {
  return raw.rows(PENDING, [range.accountId, range.dateFrom, range.dateTo, range.limit]);
}

// Fixed statements (see fixedStatement): the paging index is (account_id, status, booking_date, seq).
type Range = [accountId: string, dateFrom: string, dateTo: string, limit: number];
type After = [afterDate: string, afterSeq: number, maxSeq: number];
const PAGE_COLUMNS = "t.seq::text, t.booking_date::text, t.xs2a";
const PENDING = fixedStatement<PageRow, Range>(
  "transactions_pending_in_period",
  `select ${PAGE_COLUMNS} from transactions t
  where t.account_id = $1 and t.status = 'pending' and t.booking_date >= $2 and t.booking_date <= $3
  order by t.booking_date, t.seq limit $4`,
);
const AFTER_CONDITION = `t.account_id = $1 and t.status = 'booked' and t.booking_date >= $2 and t.booking_date <= $3
    and (t.booking_date, t.seq) > ($5::date, $6::bigint) and t.seq <= $7`;
const PAGE_AFTER = fixedStatement<PageRow, [...Range, ...After]>(
  "transactions_page_after",
  `select ${PAGE_COLUMNS} from transactions t
  where ${AFTER_CONDITION}
  order by t.booking_date, t.seq limit $4`,
);
// The access check and the account's IBAN and currency are uncorrelated subqueries: PostgreSQL runs each once (an
// InitPlan), the check first, and skips the scan when it fails. (Joining accounts instead cost ~40 µs per page.)
const GUARDED_PAGE_AFTER = fixedStatement<
  [...PageRow, iban: Buffer, currency: Buffer],
  [
    ...Range,
    ...After,
    consentId: string,
    tppId: string,
    today: string,
    touchedSince: string,
    scaSince: string,
  ]
>(
  "transactions_guarded_page_after",
  `select ${PAGE_COLUMNS},
    (select a.iban from accounts a where a.id = $1), (select a.currency::text from accounts a where a.id = $1)
  from transactions t
  where ${AFTER_CONDITION}
    and exists (
      select from consents c
      join consent_accounts ca on ca.consent_id = c.id and ca.account_id = $1 and ca.scope = 'transactions'
      join memberships m on m.psu_id = c.psu_id and m.account_id = $1 and m.can_view
      where c.id = $8 and c.tpp_id = $9 and c.status = 'valid' and not c.sca_required
        and c.valid_until >= $10::date and c.last_accessed_at >= $11::timestamptz
        and c.last_sca_at >= $12::timestamptz)
  order by t.booking_date, t.seq limit $4`,
);
// The uncorrelated subquery runs once per statement (an InitPlan), not per row.
const FIRST_BOOKED_PAGE = fixedStatement<[...PageRow, maxSeq: Buffer], Range>(
  "transactions_first_booked_page",
  `select ${PAGE_COLUMNS},
    (select coalesce(max(seq), 0) from transactions where account_id = $1)::text as max_seq
  from transactions t
  where t.account_id = $1 and t.status = 'booked' and t.booking_date >= $2 and t.booking_date <= $3
  order by t.booking_date, t.seq limit $4`,
);

/**
 * The first page of an account's booked transactions and the highest seq the account has, which the
 * continuation pages are frozen at. One statement, so the page and `maxSeq` see the same snapshot (every
 * row of the page has seq ≤ maxSeq) and the first page costs one round trip, not two. `maxSeq` is 0 when the
 * page is empty: then there is no next page to freeze.
 */
export async function firstBookedPage(
  raw: RawReader,
  params: { accountId: string; dateFrom: string; dateTo: string; limit: number },
): Promise<{ rows: PageRow[]; maxSeq: number }> {
  const rows = await raw.rows(FIRST_BOOKED_PAGE, [
    params.accountId,
    params.dateFrom,
    params.dateTo,
    params.limit,
  ]);
  const maxSeq = rows[0]?.[3];
  return { rows, maxSeq: maxSeq ? Number(maxSeq.toString("ascii")) : 0 };
}

export function findTransaction(db: Kysely<BankDB>, accountId: string, transactionId: string) {
  return db
    .selectFrom("transactions")
    .select(["xs2a", "booking_date"])
    .where("account_id", "=", accountId)
    .where("transaction_id", "=", transactionId)
    .executeTakeFirst();
}
