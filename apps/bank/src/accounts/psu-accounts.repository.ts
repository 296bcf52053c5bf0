import { type Kysely, sql } from "kysely";
import type { BankDB } from "../db/schema.ts";

/** SQL behind the PSU's own view of their accounts (online banking), always scoped by the PSU's memberships. */

export function listViewableAccounts(db: Kysely<BankDB>, psuId: string, accountId?: string) {
  let query = db
    .selectFrom("memberships")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .innerJoin("businesses", "businesses.id", "accounts.business_id")
    .select([
      "accounts.id",
      "accounts.business_id",
      "businesses.name as business_name",
      "accounts.parent_id",
      "accounts.iban",
      "accounts.bic",
      "accounts.name",
      "accounts.currency",
      "accounts.product",
      "accounts.status",
      "accounts.debit_blocked",
      "accounts.booked_balance_minor",
      "memberships.can_view",
      "memberships.can_create_payments",
      "memberships.can_approve_payments",
      "memberships.limit_per_transfer_minor",
      "memberships.limit_per_month_minor",
    ])
    .where("memberships.psu_id", "=", psuId)
    .where("memberships.can_view", "=", true)
    .where("accounts.status", "!=", "deleted");
  if (accountId !== undefined) query = query.where("accounts.id", "=", accountId);
  return query.orderBy("businesses.name").orderBy("accounts.created_at").orderBy("accounts.iban").execute();
}

export interface TransactionFilter {
  /** Matched case-insensitively against counterparty, IBAN, remittance, booking text and end-to-end id. */
  text?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

function filtered(db: Kysely<BankDB>, accountId: string, filter: TransactionFilter) {
  let query = db.selectFrom("transactions").where("account_id", "=", accountId);
  if (filter.text) {
    // LIKE's own wildcards in the search text are literal characters for the PSU.
    const pattern = `%${filter.text.replace(/[\\%_]/g, "\\$&")}%`;
    const compact = `%${filter.text.replace(/\s+/g, "").replace(/[\\%_]/g, "\\$&")}%`;
    query = query.where((eb) =>
      eb.or([
        eb("counterparty_name", "ilike", pattern),
        eb("remittance", "ilike", pattern),
        eb("booking_text", "ilike", pattern),
        eb("end_to_end_id", "ilike", pattern),
        // IBANs are stored compact and typed in groups of four.
        eb("counterparty_iban", "ilike", compact),
      ]),
    );
  }
  if (filter.from) query = query.where("booking_date", ">=", filter.from);
  if (filter.to) query = query.where("booking_date", "<=", filter.to);
  return query;
}

/** One page, newest first: pending entries on top (they are the newest by nature), then by booking date and seq. */
export function pageTransactionsNewestFirst(
  db: Kysely<BankDB>,
  accountId: string,
  filter: TransactionFilter,
  page: { offset: number; limit: number },
) {
  return filtered(db, accountId, filter)
    .select([
      "transaction_id",
      "status",
      "booking_date",
      "value_date",
      "amount_minor",
      "currency",
      "counterparty_name",
      "counterparty_iban",
      "remittance",
      "booking_text",
    ])
    .orderBy(sql`case when status = 'pending' then 0 else 1 end`)
    .orderBy("booking_date", "desc")
    .orderBy("seq", "desc")
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

/** One transaction of the account, with every field a statement line shows; undefined if it is not this account's. */
export function findTransaction(db: Kysely<BankDB>, accountId: string, transactionId: string) {
  return db
    .selectFrom("transactions")
    .select([
      "transaction_id",
      "status",
      "booking_date",
      "value_date",
      "amount_minor",
      "currency",
      "counterparty_name",
      "counterparty_iban",
      "counterparty_bic",
      "remittance",
      "end_to_end_id",
      "mandate_id",
      "creditor_id",
      "bank_transaction_code",
      "proprietary_code",
      "booking_text",
    ])
    .where("account_id", "=", accountId)
    .where("transaction_id", "=", transactionId)
    .executeTakeFirst();
}

export async function countTransactions(db: Kysely<BankDB>, accountId: string, filter: TransactionFilter) {
  const row = await filtered(db, accountId, filter)
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
