import { z } from "zod";
import { berlinDate } from "../clock.ts";
import type { Account } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import * as repo from "./transactions.repository.ts";

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

const cursorSchema = z.object({ c: z.string(), d: isoDate, s: z.number().int(), m: z.number().int() });

export function encodeCursor(consentId: string, cursor: repo.PageCursor): string {
  return Buffer.from(
    JSON.stringify({ c: consentId, d: cursor.date, s: cursor.seq, m: cursor.maxSeq }),
  ).toString("base64url");
}

/** A page link only works with the consent it was issued for. */
export function decodeCursor(consentId: string, text: string): repo.PageCursor {
  let parsed: z.infer<typeof cursorSchema>;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
  } catch {
    throw new AppError("FORMAT_ERROR", "The page parameter is not one this bank issued.", { path: "page" });
  }
  if (parsed.c !== consentId) {
    throw new AppError("FORMAT_ERROR", "The page link belongs to another consent.", { path: "page" });
  }
  return { date: parsed.d, seq: parsed.s, maxSeq: parsed.m };
}

function validDate(text: string): boolean {
  return (
    isoDate.safeParse(text).success &&
    !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) &&
    new Date(`${text}T00:00:00Z`).toISOString().startsWith(text)
  );
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
    if (!validDate(value))
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
 * JSON text stored with each row; `transactionsResponseText` puts the response together around them.
 */
export async function readTransactions(
  deps: BankDeps,
  params: { consentId: string; account: Account; query: TransactionQuery; earliest: string | null },
): Promise<TransactionsPage> {
  const { account, query, consentId } = params;
  const after = query.page ? decodeCursor(consentId, query.page) : null;
  if (!after && params.earliest && query.dateFrom < params.earliest) {
    throw new AppError(
      "PERIOD_INVALID",
      `Without a fresh SCA only transactions from ${params.earliest} on can be read; authorise the consent again for older ones.`,
      { path: "dateFrom" },
    );
  }
  const pageSize = deps.controls.get().pageSize;
  const base = `${deps.publicUrl}/xs2a/v1/accounts/${account.id}`;
  let booked: string | undefined;
  let next: string | undefined;
  if (query.bookingStatus !== "pending") {
    const range = {
      accountId: account.id,
      dateFrom: query.dateFrom,
      dateTo: query.dateTo,
      limit: pageSize + 1,
    };
    const { rows, maxSeq } = after
      ? { rows: await repo.nextBookedPage(deps.db, range, after), maxSeq: after.maxSeq }
      : await repo.firstBookedPage(deps.db, range);
    const more = rows.length > pageSize;
    if (more) rows.pop();
    const last = rows[rows.length - 1];
    if (more && last) {
      const nextQuery = new URLSearchParams({
        bookingStatus: query.bookingStatus === "both" ? "booked" : query.bookingStatus,
        dateFrom: query.dateFrom,
        dateTo: query.dateTo,
        page: encodeCursor(consentId, { date: last.booking_date, seq: last.seq, maxSeq }),
      });
      next = `${base}/transactions?${nextQuery}`;
    }
    booked = jsonArray(rows);
  }
  let pending: string | undefined;
  if (query.bookingStatus !== "booked" && !after) {
    const rows = await repo.pendingTransactions(deps.db, account.id, 10_000);
    pending = jsonArray(rows);
  }
  const links: Record<string, { href: string }> = { account: { href: base } };
  if (next) links.next = { href: next };
  return { account: { iban: account.iban, currency: account.currency }, booked, pending, links };
}

export interface TransactionsPage {
  account: { iban: string; currency: string };
  /** JSON array texts of XS2A transaction objects. */
  booked: string | undefined;
  pending: string | undefined;
  links: Record<string, { href: string }>;
}

function jsonArray(rows: repo.PageRow[]): string {
  let text = "[";
  for (let i = 0; i < rows.length; i++) text += i === 0 ? rows[i]!.xs2a : `,${rows[i]!.xs2a}`;
  return `${text}]`;
}

/** The response body, key for key as `JSON.stringify` of the object { account, transactions, balances? } would write it. */
export function transactionsResponseText(page: TransactionsPage, balances?: unknown): string {
  let text = `{"account":${JSON.stringify(page.account)},"transactions":{`;
  if (page.booked !== undefined) text += `"booked":${page.booked},`;
  if (page.pending !== undefined) text += `"pending":${page.pending},`;
  text += `"_links":${JSON.stringify(page.links)}}`;
  if (balances !== undefined) text += `,"balances":${JSON.stringify(balances)}`;
  return `${text}}`;
}

export async function readTransactionDetails(deps: BankDeps, account: Account, transactionId: string) {
  const row = await repo.findTransaction(deps.db, account.id, transactionId);
  if (!row) {
    throw new AppError("RESOURCE_UNKNOWN", "No such transaction on this account.", { path: "transactionId" });
  }
  // The schema nests the transaction twice (transactionsDetails.transactionDetails), unlike the spec's example.
  return `{"transactionsDetails":{"transactionDetails":${row.xs2a}}}`;
}

export function today(deps: BankDeps): string {
  return berlinDate(deps.clock.now());
}
