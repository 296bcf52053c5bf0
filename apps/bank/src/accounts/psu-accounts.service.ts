import type { BankDeps } from "../deps.ts";
import * as repo from "./psu-accounts.repository.ts";

/**
 * The PSU's own view of their accounts in online banking: what they may see (memberships with can_view), how
 * main and sub-accounts belong together, and what they may do on each.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const TRANSACTIONS_PER_PAGE = 50;

export interface PsuAccount {
  id: string;
  businessId: string;
  businessName: string;
  parentId: string | null;
  iban: string;
  bic: string;
  name: string;
  currency: string;
  product: string;
  status: "enabled" | "deleted" | "blocked";
  debitBlocked: boolean;
  bookedBalanceMinor: number;
  rights: {
    view: boolean;
    createPayments: boolean;
    approvePayments: boolean;
    limitPerTransferMinor: number | null;
    limitPerMonthMinor: number | null;
  };
}

export interface AccountGroup {
  main: PsuAccount;
  subAccounts: PsuAccount[];
}

export interface BusinessAccounts {
  businessId: string;
  businessName: string;
  groups: AccountGroup[];
}

type Row = Awaited<ReturnType<typeof repo.listViewableAccounts>>[number];

function toAccount(row: Row): PsuAccount {
  const optional = (value: number | null) => (value === null ? null : Number(value));
  return {
    id: row.id,
    businessId: row.business_id,
    businessName: row.business_name,
    parentId: row.parent_id,
    iban: row.iban,
    bic: row.bic,
    name: row.name,
    currency: row.currency,
    product: row.product,
    status: row.status,
    debitBlocked: row.debit_blocked,
    bookedBalanceMinor: Number(row.booked_balance_minor),
    rights: {
      view: row.can_view,
      createPayments: row.can_create_payments,
      approvePayments: row.can_approve_payments,
      limitPerTransferMinor: optional(row.limit_per_transfer_minor),
      limitPerMonthMinor: optional(row.limit_per_month_minor),
    },
  };
}

/**
 * The PSU's accounts by business, each main account followed by its sub-accounts. A sub-account whose main
 * account the PSU may not see stands on its own: the PSU sees exactly what their memberships allow.
 */
export async function accountOverview(deps: BankDeps, psuId: string): Promise<BusinessAccounts[]> {
  const accounts = (await repo.listViewableAccounts(deps.db, psuId)).map(toAccount);
  const visible = new Set(accounts.map((a) => a.id));
  const businesses = new Map<string, BusinessAccounts>();
  const groups = new Map<string, AccountGroup>();
  for (const account of accounts) {
    if (account.parentId && visible.has(account.parentId)) continue;
    const business = businesses.get(account.businessId) ?? {
      businessId: account.businessId,
      businessName: account.businessName,
      groups: [],
    };
    businesses.set(account.businessId, business);
    const group = { main: account, subAccounts: [] };
    business.groups.push(group);
    groups.set(account.id, group);
  }
  for (const account of accounts) {
    if (account.parentId && visible.has(account.parentId))
      groups.get(account.parentId)?.subAccounts.push(account);
  }
  return [...businesses.values()];
}

/** The account if this PSU may view it; undefined for an unknown id and for someone else's account alike. */
export async function findAccountOfPsu(
  deps: BankDeps,
  psuId: string,
  accountId: string,
): Promise<PsuAccount | undefined> {
  if (!UUID.test(accountId)) return undefined;
  const [row] = await repo.listViewableAccounts(deps.db, psuId, accountId);
  return row ? toAccount(row) : undefined;
}

export type TransactionFilter = repo.TransactionFilter;

export interface TransactionRow {
  transactionId: string;
  status: "booked" | "pending";
  bookingDate: string;
  valueDate: string;
  amountMinor: number;
  currency: string;
  counterpartyName: string | null;
  counterpartyIban: string | null;
  remittance: string | null;
  bookingText: string | null;
}

/** Everything a German bank statement prints for one transaction; null where the transaction has no such field. */
export interface TransactionDetail extends TransactionRow {
  counterpartyBic: string | null;
  endToEndId: string | null;
  mandateId: string | null;
  creditorId: string | null;
  /** ISO 20022 domain-family-subfamily, e.g. PMNT-RCDT-ESCT. */
  bankTransactionCode: string | null;
  /** The German GVC (Geschäftsvorfallcode), e.g. "166". */
  proprietaryCode: string | null;
}

export interface TransactionPage {
  rows: TransactionRow[];
  total: number;
  page: number;
  pages: number;
  perPage: number;
}

/** A page (1-based) of the account's transactions, newest first; the caller has checked the PSU may view it. */
export async function transactionsPage(
  deps: BankDeps,
  account: PsuAccount,
  filter: TransactionFilter,
  page: number,
): Promise<TransactionPage> {
  const perPage = TRANSACTIONS_PER_PAGE;
  const total = await repo.countTransactions(deps.db, account.id, filter);
  const pages = Math.max(1, Math.ceil(total / perPage));
  const current = Math.min(Math.max(1, page), pages);
  const rows = await repo.pageTransactionsNewestFirst(deps.db, account.id, filter, {
    offset: (current - 1) * perPage,
    limit: perPage,
  });
  return {
    rows: rows.map((r) => ({
      transactionId: r.transaction_id,
      status: r.status,
      bookingDate: r.booking_date,
      valueDate: r.value_date,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      counterpartyName: r.counterparty_name,
      counterpartyIban: r.counterparty_iban,
      remittance: r.remittance,
      bookingText: r.booking_text,
    })),
    total,
    page: current,
    pages,
    perPage,
  };
}

/**
 * One transaction of the account; undefined when the account has none with this id (another account's id
 * included). The caller has checked the PSU may view the account.
 */
export async function transactionDetail(
  deps: BankDeps,
  account: PsuAccount,
  transactionId: string,
): Promise<TransactionDetail | undefined> {
  if (transactionId.length === 0 || transactionId.length > 200) return undefined;
  const r = await repo.findTransaction(deps.db, account.id, transactionId);
  if (!r) return undefined;
  return {
    transactionId: r.transaction_id,
    status: r.status,
    bookingDate: r.booking_date,
    valueDate: r.value_date,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    counterpartyName: r.counterparty_name,
    counterpartyIban: r.counterparty_iban,
    counterpartyBic: r.counterparty_bic,
    remittance: r.remittance,
    bookingText: r.booking_text,
    endToEndId: r.end_to_end_id,
    mandateId: r.mandate_id,
    creditorId: r.creditor_id,
    bankTransactionCode: r.bank_transaction_code,
    proprietaryCode: r.proprietary_code,
  };
}
