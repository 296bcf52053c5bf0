import { z } from "zod";
import { addDays, berlinDate, isCalendarDate } from "../clock.ts";
import {
  FRESH_SCA_MINUTES,
  HISTORY_WITHOUT_SCA_DAYS,
  SCA_RENEWAL_DAYS,
  TOUCH_INTERVAL_MS,
} from "../consents/consents.service.ts";
import type { Account } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { sign, verified } from "../signing.ts";
import * as repo from "./transactions.repository.ts";

const cursorSchema = z.object({
  c: z.string(),
  a: z.string(),
  f: z.string(),
  t: z.string(),
  d: z.string().refine(isCalendarDate),
  s: z.number().int(),
  m: z.number().int(),
  i: z.number().int(),
});

/** What a page link is for: the consent, account and period of the read that began with the first page. */
export interface PageLinkScope {
  consentId: string;
  accountId: string;
  dateFrom: string;
  dateTo: string;
}

/**
 * The `page` parameter of a `next` link: where the next page starts, the read it belongs to and when the link
 * was issued, signed with the bank's key. A TPP can follow the links the bank issued, but cannot make one up: a
 * page link skips the checks of a first page (the 90-day window, the daily limit), so one for another account
 * or an older period would read what the first page refused.
 */
export function encodeCursor(
  key: Buffer,
  scope: PageLinkScope,
  cursor: repo.PageCursor,
  issuedAt: Date,
): string {
  const text = JSON.stringify({
    c: scope.consentId,
    a: scope.accountId,
    f: scope.dateFrom,
    t: scope.dateTo,
    d: cursor.date,
    s: cursor.seq,
    m: cursor.maxSeq,
    i: Math.floor(issuedAt.getTime() / 1000),
  });
  return sign(key, Buffer.from(text).toString("base64url"));
}

function parseCursor(text: string | undefined) {
  if (text === undefined) return undefined;
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
  } catch {
    return undefined;
  }
}

/**
 * A page link only works as issued: with its consent, on its account, for its period. A link whose period
 * reaches back beyond the days readable without a fresh SCA was issued under one, and lasts as long as an SCA
 * counts as fresh (FRESH_SCA_MINUTES from its issue): kept longer, it would read that history again without
 * the SCA the first page needed.
 */
export function decodeCursor(key: Buffer, scope: PageLinkScope, page: string, now: Date): repo.PageCursor {
  const parsed = parseCursor(verified(key, page));
  if (!parsed) {
    throw new AppError("FORMAT_ERROR", "The page parameter is not one this bank issued.", { path: "page" });
  }
  if (parsed.c !== scope.consentId) {
    throw new AppError("FORMAT_ERROR", "The page link belongs to another consent.", { path: "page" });
  }
  if (parsed.a !== scope.accountId || parsed.f !== scope.dateFrom || parsed.t !== scope.dateTo) {
    throw new AppError(
      "FORMAT_ERROR",
      "The page link belongs to another account or period: follow the next link as the bank issued it.",
      { path: "page" },
    );
  }
  const reachesBack = parsed.f < addDays(berlinDate(now), -HISTORY_WITHOUT_SCA_DAYS);
  if (reachesBack && now.getTime() - parsed.i * 1000 > FRESH_SCA_MINUTES * 60_000) {
    throw new AppError(
      "PERIOD_INVALID",
      `This page link reads transactions older than ${HISTORY_WITHOUT_SCA_DAYS} days and ended ${FRESH_SCA_MINUTES} minutes after it was issued; read from the first page again.`,
      { path: "page" },
    );
  }
  return { date: parsed.d, seq: parsed.s, maxSeq: parsed.m };
}

export interface TransactionQuery {
  bookingStatus: "booked" | "pending" | "both";
  dateFrom: string;
  dateTo: string;
  withBalance: boolean;
  page: string | undefined;
}

/** Reads the query of GET …/transactions; every wrong parameter gets its own error with its name as path. */
export function parseTransactionQuery(
  query: Record<string, string | undefined>,
  today: string,
): TransactionQuery {
  const status = query.bookingStatus;
  if (status === undefined) {
    throw new AppError("FORMAT_ERROR", "bookingStatus is required.", { path: "bookingStatus" });
  }
  if (status === "information" || status === "all") {
    throw new AppError("PARAMETER_NOT_SUPPORTED", `bookingStatus=${status} is not supported.`, {
      path: "bookingStatus",
    });
  }
  if (status !== "booked" && status !== "pending" && status !== "both") {
    throw new AppError("FORMAT_ERROR", "bookingStatus is one of booked, pending, both.", {
      path: "bookingStatus",
    });
  }
  for (const name of ["deltaList", "entryReferenceFrom"] as const) {
    if (query[name] !== undefined) {
      throw new AppError("PARAMETER_NOT_SUPPORTED", `${name} is not supported; use dateFrom.`, {
        path: name,
      });
    }
  }
  const { dateFrom, dateTo = today } = query;
  if (dateFrom === undefined) {
    throw new AppError("FORMAT_ERROR", "dateFrom is required.", { path: "dateFrom" });
  }
  for (const [name, value] of [
    ["dateFrom", dateFrom],
    ["dateTo", dateTo],
  ] as const) {
    if (!isCalendarDate(value))
      throw new AppError("FORMAT_ERROR", `${name} is not a date YYYY-MM-DD.`, { path: name });
  }
  if (dateFrom > dateTo)
    throw new AppError("PERIOD_INVALID", "dateFrom lies after dateTo.", { path: "dateFrom" });
  if (dateFrom > today)
    throw new AppError("PERIOD_INVALID", "dateFrom lies in the future.", { path: "dateFrom" });
  const withBalance = query.withBalance;
  if (withBalance !== undefined && withBalance !== "true" && withBalance !== "false") {
    throw new AppError("FORMAT_ERROR", "withBalance is true or false.", { path: "withBalance" });
  }
  return { bookingStatus: status, dateFrom, dateTo, withBalance: withBalance === "true", page: query.page };
}

/**
 * One page of GET /accounts/{id}/transactions: the booked rows as one keyset page, pending rows (few, by
 * nature) whole on the first page, and a `next` link while booked rows remain. The transactions stay the
 * JSON text stored with each row, as bytes; `transactionsResponseBody` puts the response together around them.
 */
export async function readTransactions(
  deps: BankDeps,
  params: { consentId: string; account: Account; query: TransactionQuery },
): Promise<TransactionsPage> {
  const { account, query, consentId } = params;
  const after = query.page
    ? decodeCursor(deps.pageLinkKey, linkScope(consentId, account.id, query), query.page, deps.clock.now())
    : null;
  let booked: Buffer[] | undefined;
  let next: string | undefined;
  if (query.bookingStatus !== "pending") {
    const pageSize = deps.controls.get().pageSize;
    const range = bookedRange(account.id, query, pageSize);
    const { rows, maxSeq } = after
      ? { rows: await repo.nextBookedPage(deps.raw, range, after), maxSeq: after.maxSeq }
      : await repo.firstBookedPage(deps.raw, range);
    ({ booked, next } = bookedPage(deps, {
      consentId,
      accountId: account.id,
      query,
      rows,
      maxSeq,
      pageSize,
    }));
  }
  let pending: Buffer[] | undefined;
  if (query.bookingStatus !== "booked" && !after) {
    const range = { accountId: account.id, dateFrom: query.dateFrom, dateTo: query.dateTo, limit: 10_000 };
    pending = (await repo.pendingTransactions(deps.raw, range)).map(repo.xs2aOf);
  }
  return {
    account: { iban: account.iban, currency: account.currency },
    booked,
    pending,
    links: links(deps, account.id, next),
  };
}

/**
 * A continuation page in one statement, with the checks of the consent that apply to it
 * (`repo.guardedNextBookedPage`). Undefined when that statement returns nothing (the consent no longer allows
 * the read, its last access is due to be recorded, the page is empty) or the page link is not one this bank
 * issued for the consent: the caller then goes the full way, authorizeAccess and readTransactions, which
 * answers each of these as before. A continuation page is never counted against the daily limit and never
 * asks for SCA again, so nothing else of the guard applies to it.
 */
export async function readGuardedContinuationPage(
  deps: BankDeps,
  params: { tppId: string; consentId: string; accountId: string; query: TransactionQuery },
): Promise<TransactionsPage | undefined> {
  const { consentId, accountId, query } = params;
  if (!query.page || query.bookingStatus === "pending") return undefined;
  const now = deps.clock.now();
  let after: repo.PageCursor;
  try {
    after = decodeCursor(deps.pageLinkKey, linkScope(consentId, accountId, query), query.page, now);
  } catch {
    return undefined;
  }
  const pageSize = deps.controls.get().pageSize;
  const { rows, account } = await repo.guardedNextBookedPage(
    deps.raw,
    bookedRange(accountId, query, pageSize),
    after,
    {
      consentId,
      tppId: params.tppId,
      today: berlinDate(now),
      // The full guard records the access when the last one is more than TOUCH_INTERVAL_MS old; the statement
      // serves only while it is not, so every access due to be recorded goes the full way.
      touchedSince: new Date(now.getTime() - TOUCH_INTERVAL_MS),
      scaSince: new Date(now.getTime() - SCA_RENEWAL_DAYS * 86_400_000),
    },
  );
  if (!account) return undefined;
  const { booked, next } = bookedPage(deps, {
    consentId,
    accountId,
    query,
    rows,
    maxSeq: after.maxSeq,
    pageSize,
  });
  return { account, booked, pending: undefined, links: links(deps, accountId, next) };
}

const linkScope = (consentId: string, accountId: string, query: TransactionQuery): PageLinkScope => ({
  consentId,
  accountId,
  dateFrom: query.dateFrom,
  dateTo: query.dateTo,
});

/**
 * The 90-day rule of a first transactions page: without a fresh SCA (`earliest`, consents.earliestReadableDate)
 * only bookings from `earliest` on can be read. Checked by the guard before the read is counted.
 */
export function checkPeriod(query: TransactionQuery, earliest: string | null) {
  if (!query.page && earliest && query.dateFrom < earliest) {
    throw periodRefused(earliest, "dateFrom");
  }
}

const periodRefused = (earliest: string, path: string) =>
  new AppError(
    "PERIOD_INVALID",
    `Without a fresh SCA only transactions from ${earliest} on can be read; authorise the consent again for older ones.`,
    { path },
  );

/** The booked rows of one page and, to tell whether more remain, one row beyond it. */
function bookedRange(accountId: string, query: TransactionQuery, pageSize: number) {
  return { accountId, dateFrom: query.dateFrom, dateTo: query.dateTo, limit: pageSize + 1 };
}

/** The page's transactions and, when more remain (the statement read one row beyond the page), its next link. */
function bookedPage(
  deps: BankDeps,
  page: {
    consentId: string;
    accountId: string;
    query: TransactionQuery;
    rows: repo.PageRow[];
    maxSeq: number;
    /** The page size the rows were read with (the sandbox may change it meanwhile). */
    pageSize: number;
  },
) {
  const { rows, query, pageSize } = page;
  const more = rows.length > pageSize;
  if (more) rows.length = pageSize;
  const last = rows[rows.length - 1];
  let next: string | undefined;
  if (more && last) {
    const nextQuery = new URLSearchParams({
      bookingStatus: query.bookingStatus === "both" ? "booked" : query.bookingStatus,
      dateFrom: query.dateFrom,
      dateTo: query.dateTo,
      page: encodeCursor(
        deps.pageLinkKey,
        linkScope(page.consentId, page.accountId, query),
        { ...repo.positionAfter(last), maxSeq: page.maxSeq },
        deps.clock.now(),
      ),
    });
    next = `${accountUrl(deps, page.accountId)}/transactions?${nextQuery}`;
  }
  return { booked: rows.map(repo.xs2aOf), next };
}

const accountUrl = (deps: BankDeps, accountId: string) => `${deps.publicUrl}/xs2a/v1/accounts/${accountId}`;

function links(deps: BankDeps, accountId: string, next: string | undefined) {
  const links: Record<string, { href: string }> = { account: { href: accountUrl(deps, accountId) } };
  if (next) links.next = { href: next };
  return links;
}

export interface TransactionsPage {
  account: { iban: string; currency: string };
  /** The stored XS2A JSON of each transaction, as UTF-8 bytes. */
  booked: Buffer[] | undefined;
  pending: Buffer[] | undefined;
  links: Record<string, { href: string }>;
}

/**
 * The response body, byte for byte what `JSON.stringify` of the object { account, transactions, balances? }
 * would write, with the stored transactions passed through as they came from the database.
 */
export function transactionsResponseBody(page: TransactionsPage, balances?: unknown): Buffer<ArrayBuffer> {
  const parts: Buffer[] = [];
  let text = `{"account":${JSON.stringify(page.account)},"transactions":{`;
  for (const [key, list] of [
    ["booked", page.booked],
    ["pending", page.pending],
  ] as const) {
    if (list === undefined) continue;
    parts.push(Buffer.from(`${text}"${key}":[`));
    for (let i = 0; i < list.length; i++) {
      if (i > 0) parts.push(COMMA);
      parts.push(list[i]!);
    }
    text = "],";
  }
  text += `"_links":${JSON.stringify(page.links)}}`;
  if (balances !== undefined) text += `,"balances":${JSON.stringify(balances)}`;
  parts.push(Buffer.from(`${text}}`));
  return Buffer.concat(parts);
}
const COMMA = Buffer.from(",");

/**
 * One transaction's details, within the same window as the transactions list: without a fresh SCA a booking
 * older than `earliest` (consents.earliestReadableDate) is refused as a list from that date would be.
 */
export async function readTransactionDetails(
  deps: BankDeps,
  params: { accountId: string; transactionId: string; earliest: string | null },
) {
  const row = await repo.findTransaction(deps.db, params.accountId, params.transactionId);
  if (!row) {
    // 403: the spec's status for an unknown resource in the path other than the account.
    throw new AppError("RESOURCE_UNKNOWN", "No such transaction on this account.", {
      path: "transactionId",
      status: 403,
    });
  }
  if (params.earliest && row.booking_date < params.earliest) {
    throw periodRefused(params.earliest, "transactionId");
  }
  // The schema nests the transaction twice (transactionsDetails.transactionDetails), unlike the spec's example.
  return `{"transactionsDetails":{"transactionDetails":${row.xs2a}}}`;
}

export function today(deps: BankDeps): string {
  return berlinDate(deps.clock.now());
}
