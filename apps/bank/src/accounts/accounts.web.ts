import { formatIban } from "@kontor/money";
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { isCalendarDate } from "../clock.ts";
import type { BankDeps } from "../deps.ts";
import { count, money } from "../web/format.ts";
import { formatDate, type Lang, type MessageKey, translator } from "../web/i18n.ts";
import { requirePsu, type WebContext, type WebEnv } from "../web/session.ts";
import { psuErrorPage, psuPage } from "../web/shell.ts";
import { productLabel } from "./products.ts";
import {
  type AccountGroup,
  accountOverview,
  findAccountOfPsu,
  type PsuAccount,
  type TransactionDetail,
  type TransactionFilter,
  type TransactionPage,
  type TransactionRow,
  transactionDetail,
  transactionsPage,
} from "./psu-accounts.service.ts";

/** Online banking: the PSU's accounts (start page), each account's transactions, and each transaction's details. */
export function accountsWeb(deps: BankDeps) {
  const app = new Hono<WebEnv>();
  const guard = requirePsu(deps);

  app.get("/", guard, async (c) => {
    const { t } = translator(c);
    const businesses = await accountOverview(deps, c.var.session.psuId);
    const body = html`<h1>${t("accounts.title")}</h1>
      ${businesses.length === 0 ? html`<div class="card"><p>${t("accounts.empty")}</p></div>` : ""}
      ${businesses.map(
        (b) => html`<section aria-labelledby="business-${b.businessId}">
          <h2 id="business-${b.businessId}">${b.businessName}</h2>
          ${b.groups.map((g) => accountGroup(c, g))}
        </section>`,
      )}`;
    return c.html(psuPage(c, t("accounts.title"), body, "accounts"));
  });

  app.get("/accounts/:id", guard, async (c) => {
    const { t } = translator(c);
    const account = await findAccountOfPsu(deps, c.var.session.psuId, c.req.param("id"));
    // One answer for "no such account" and "not yours": the page does not confirm that an id exists.
    if (!account) return c.html(psuErrorPage(c, 404, t("tx.notFound"), "accounts"), 404);
    const query = parseQuery(c.req.query());
    const result = await transactionsPage(deps, account, query.errors.length ? {} : query.filter, query.page);
    return c.html(
      psuPage(
        c,
        `${account.name} · ${t("tx.title")}`,
        transactionsView(c, account, query, result),
        "accounts",
      ),
      query.errors.length ? 400 : 200,
    );
  });

  app.get("/accounts/:id/transactions/:transactionId", guard, async (c) => {
    const { t } = translator(c);
    // The same check as the list: a transaction is shown only on an account the PSU may view, and only if it
    // belongs to that account (another account's transaction id finds nothing here).
    const account = await findAccountOfPsu(deps, c.var.session.psuId, c.req.param("id"));
    if (!account) return c.html(psuErrorPage(c, 404, t("tx.notFound"), "accounts"), 404);
    const transaction = await transactionDetail(deps, account, c.req.param("transactionId"));
    if (!transaction) return c.html(psuErrorPage(c, 404, t("tx.detail.notFound"), "accounts"), 404);
    // The list's filter and page ride along, so "back" returns to the very page the PSU came from.
    const query = parseQuery(c.req.query());
    return c.html(
      psuPage(
        c,
        `${t("tx.detail.title")} · ${account.name}`,
        transactionDetailView(c, account, transaction, pageLink(account, query, query.page)),
        "accounts",
      ),
    );
  });

  return app;
}

// ---------------------------------------------------------------------------------------------------------
// Start page

function accountGroup(c: WebContext, group: AccountGroup) {
  const { t } = translator(c);
  return html`${accountCard(c, group.main, group.main.parentId === null ? "accounts.mainAccount" : "accounts.subAccount")}
    ${
      group.subAccounts.length > 0
        ? html`<div class="subs" role="group" aria-label="${t("accounts.subAccounts", { name: group.main.name })}">
            ${group.subAccounts.map((s) => accountCard(c, s, "accounts.subAccount"))}
          </div>`
        : ""
    }`;
}

function accountBadges(c: WebContext, account: PsuAccount) {
  const { t } = translator(c);
  return html`${account.status === "blocked" ? html` <span class="pill bad">${t("accounts.blocked")}</span>` : ""}${
    account.debitBlocked ? html` <span class="pill warn">${t("accounts.debitBlocked")}</span>` : ""
  }`;
}

function rightsList(c: WebContext, account: PsuAccount) {
  const { t, lang } = translator(c);
  const { rights } = account;
  const items = [
    rights.view ? t("accounts.right.view") : null,
    rights.createPayments ? t("accounts.right.create") : null,
    rights.approvePayments ? t("accounts.right.approve") : null,
    rights.limitPerTransferMinor !== null
      ? t("accounts.limit.perTransfer", {
          amount: money(lang, rights.limitPerTransferMinor, account.currency),
        })
      : null,
    rights.limitPerMonthMinor !== null
      ? t("accounts.limit.perMonth", { amount: money(lang, rights.limitPerMonthMinor, account.currency) })
      : null,
  ].filter((x): x is string => x !== null);
  return html`<ul class="rights" aria-label="${t("accounts.rights")}">
    <li class="muted">${t("accounts.rights")}:</li>
    ${items.map((item) => html`<li class="pill">${item}</li>`)}
  </ul>`;
}

/** The booked balance with its label as visible text: a term and its value, read together by screen readers. */
function balanceFigure(c: WebContext, account: PsuAccount) {
  const { t, lang } = translator(c);
  const balance = account.bookedBalanceMinor;
  return html`<dl class="balance">
    <dt>${t("accounts.balance")}</dt>
    <dd${balance < 0 ? html` class="neg"` : ""}>${money(lang, balance, account.currency)}</dd>
  </dl>`;
}

function accountCard(c: WebContext, account: PsuAccount, kind: MessageKey) {
  const { t } = translator(c);
  return html`<article class="card" aria-labelledby="account-${account.id}">
    <div class="account">
      <div>
        <h3 id="account-${account.id}"><a href="/accounts/${account.id}">${account.name}</a>${accountBadges(c, account)}</h3>
        <div class="iban">${formatIban(account.iban)}</div>
        <small class="muted">${t(kind)} · ${productLabel(account.product, t)} · ${account.currency}</small>
      </div>
      ${balanceFigure(c, account)}
    </div>
    ${rightsList(c, account)}
  </article>`;
}

// ---------------------------------------------------------------------------------------------------------
// Transactions

interface ParsedQuery {
  /** What the PSU typed, to show it again in the form. */
  input: { q: string; from: string; to: string };
  filter: TransactionFilter;
  page: number;
  errors: MessageKey[];
}

const querySchema = z.object({
  q: z.string().trim().max(200).catch("").default(""),
  from: z.string().trim().max(20).catch("").default(""),
  to: z.string().trim().max(20).catch("").default(""),
  page: z.coerce.number().int().min(1).max(1_000_000).catch(1).default(1),
});

/** "2026-11-23", "23.11.2026" or "23/11/2026" → "2026-11-23"; null when it is no real calendar date. */
export function parseDateInput(text: string): string | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const local = /^(\d{1,2})[./](\d{1,2})[./](\d{4})$/.exec(text);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : local ? [local[3], local[2], local[1]] : [];
  if (!y || !m || !d) return null;
  const date = `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
  return isCalendarDate(date) ? date : null;
}

function parseQuery(raw: Record<string, string>): ParsedQuery {
  const input = querySchema.parse(raw);
  const errors: MessageKey[] = [];
  const from = input.from ? parseDateInput(input.from) : undefined;
  const to = input.to ? parseDateInput(input.to) : undefined;
  if (from === null || to === null) errors.push("tx.filter.badDate");
  else if (from && to && from > to) errors.push("tx.filter.badRange");
  return {
    input: { q: input.q, from: from ?? input.from, to: to ?? input.to },
    filter: { text: input.q || undefined, from: from ?? undefined, to: to ?? undefined },
    page: input.page,
    errors,
  };
}

/** "?q=…&page=2": the list's filter and page, for the list's own links and for the detail pages' way back. */
function listSearch(query: ParsedQuery, page: number) {
  const params = new URLSearchParams();
  if (query.input.q) params.set("q", query.input.q);
  if (query.input.from) params.set("from", query.input.from);
  if (query.input.to) params.set("to", query.input.to);
  if (page > 1) params.set("page", String(page));
  const search = params.toString();
  return search ? `?${search}` : "";
}

function pageLink(account: PsuAccount, query: ParsedQuery, page: number) {
  return `/accounts/${account.id}${listSearch(query, page)}`;
}

function detailLink(account: PsuAccount, query: ParsedQuery, page: number, transactionId: string) {
  return `/accounts/${account.id}/transactions/${encodeURIComponent(transactionId)}${listSearch(query, page)}`;
}

function filterForm(c: WebContext, account: PsuAccount, query: ParsedQuery) {
  const { t } = translator(c);
  const active = Boolean(query.input.q || query.input.from || query.input.to);
  return html`<form method="get" action="/accounts/${account.id}" class="card filters" role="search" aria-label="${t("tx.filter.legend")}">
    <div>
      <label for="q">${t("tx.filter.text")}</label>
      <input id="q" name="q" type="search" value="${query.input.q}" placeholder="${t("tx.filter.textHint")}" />
    </div>
    <div>
      <label for="from">${t("tx.filter.from")}</label>
      <input id="from" name="from" type="date" value="${query.input.from}" />
    </div>
    <div>
      <label for="to">${t("tx.filter.to")}</label>
      <input id="to" name="to" type="date" value="${query.input.to}" />
    </div>
    <div class="actions" style="margin:0">
      <button type="submit">${t("tx.filter.submit")}</button>
      ${active ? html`<a class="button secondary" href="/accounts/${account.id}">${t("tx.filter.reset")}</a>` : ""}
    </div>
  </form>`;
}

type T = (key: MessageKey, p?: Record<string, string | number>) => string;

function transactionRow(lang: Lang, t: T, row: TransactionRow, href: string) {
  const pending = row.status === "pending";
  return html`<tr class="${pending ? "pending" : "booked"}" data-status="${row.status}">
    <td>${formatDate(lang, row.bookingDate)}${
      row.valueDate !== row.bookingDate
        ? html`<br /><small>${t("tx.valueDate", { date: formatDate(lang, row.valueDate) })}</small>`
        : ""
    }</td>
    <td><a href="${href}">${row.counterpartyName ?? row.bookingText ?? t("tx.detail.link")}<span class="visually-hidden"> · ${t("tx.detail.title")}</span></a>${row.counterpartyIban ? html`<br /><small class="iban">${formatIban(row.counterpartyIban)}</small>` : ""}</td>
    <td>${row.remittance ?? ""}${row.bookingText ? html`<br /><small>${row.bookingText}</small>` : ""}</td>
    <td>${pending ? html`<span class="pill warn">${t("tx.pending")}</span>` : html`<span class="muted">${t("tx.booked")}</span>`}</td>
    <td class="num${row.amountMinor < 0 ? " neg" : ""}">${money(lang, row.amountMinor, row.currency)}</td>
  </tr>`;
}

function transactionsView(c: WebContext, account: PsuAccount, query: ParsedQuery, result: TransactionPage) {
  const { t, lang } = translator(c);
  const first = (result.page - 1) * result.perPage + 1;
  const last = first + result.rows.length - 1;
  const filtered = Boolean(query.filter.text || query.filter.from || query.filter.to);
  return html`<p><a href="/">← ${t("tx.back")}</a></p>
    <div class="card">
      <div class="account">
        <div>
          <h1 style="margin:0">${account.name}${accountBadges(c, account)}</h1>
          <div class="iban">${formatIban(account.iban)}</div>
          <small class="muted">${account.businessName} · ${productLabel(account.product, t)}</small>
        </div>
        ${balanceFigure(c, account)}
      </div>
    </div>
    ${filterForm(c, account, query)}
    ${query.errors.map((e) => html`<p class="notice bad" role="alert">${t(e)}</p>`)}
    <section class="card" aria-labelledby="tx-heading">
      <h2 id="tx-heading" style="margin-top:0">${t("tx.title")}</h2>
      ${
        result.rows.length === 0
          ? html`<p class="muted">${filtered ? t("tx.emptyFiltered") : t("tx.empty")}</p>`
          : html`<table class="tx">
              <thead><tr>
                <th scope="col">${t("tx.date")}</th><th scope="col">${t("tx.counterparty")}</th>
                <th scope="col">${t("tx.remittance")}</th><th scope="col">${t("tx.status")}</th>
                <th scope="col" class="num">${t("tx.amount")}</th>
              </tr></thead>
              <tbody>${result.rows.map((row) =>
                transactionRow(lang, t, row, detailLink(account, query, result.page, row.transactionId)),
              )}</tbody>
            </table>
            <nav class="pager" aria-label="${t("tx.pagination")}">
              <span>${result.page > 1 ? html`<a href="${pageLink(account, query, result.page - 1)}" rel="prev">${t("tx.newer")}</a>` : ""}</span>
              <span class="muted">${t("tx.range", { from: count(lang, first), to: count(lang, last), total: count(lang, result.total) })}</span>
              <span>${result.page < result.pages ? html`<a href="${pageLink(account, query, result.page + 1)}" rel="next">${t("tx.older")}</a>` : ""}</span>
            </nav>`
      }
    </section>`;
}

// ---------------------------------------------------------------------------------------------------------
// One transaction

/**
 * Every field of the transaction that a German bank statement prints, as a definition list; fields the
 * transaction does not have are left out rather than shown empty.
 */
function transactionDetailView(c: WebContext, account: PsuAccount, tx: TransactionDetail, back: string) {
  const { t, lang } = translator(c);
  const pending = tx.status === "pending";
  const fact = (key: MessageKey, value: unknown, className = "") =>
    value === null || value === ""
      ? ""
      : html`<dt>${t(key)}</dt><dd${className ? html` class="${className}"` : ""}>${value}</dd>`;
  return html`<p><a href="${back}">← ${t("tx.detail.back")}</a></p>
    <article class="card" aria-labelledby="tx-detail-heading">
      <h1 id="tx-detail-heading">${t("tx.detail.title")}</h1>
      <p class="muted">${account.name} · <span class="iban">${formatIban(account.iban)}</span></p>
      <dl class="facts tx-detail">
        ${fact("tx.detail.bookingDate", formatDate(lang, tx.bookingDate))}
        ${fact("tx.detail.valueDate", formatDate(lang, tx.valueDate))}
        ${fact("tx.status", pending ? html`<span class="pill warn">${t("tx.pending")}</span>` : t("tx.booked"))}
        ${fact("tx.amount", money(lang, tx.amountMinor, tx.currency), tx.amountMinor < 0 ? "amount neg" : "amount")}
        ${fact("tx.counterparty", tx.counterpartyName)}
        ${fact("tx.detail.iban", tx.counterpartyIban && formatIban(tx.counterpartyIban), "iban")}
        ${fact("tx.detail.bic", tx.counterpartyBic, "iban")}
        ${fact("tx.remittance", tx.remittance, "text")}
        ${fact("tx.detail.bookingText", tx.bookingText)}
        ${fact("tx.detail.gvc", tx.proprietaryCode)}
        ${fact("tx.detail.bankTransactionCode", tx.bankTransactionCode)}
        ${fact("tx.detail.endToEnd", tx.endToEndId)}
        ${fact("tx.detail.mandate", tx.mandateId)}
        ${fact("tx.detail.creditorId", tx.creditorId)}
        ${fact("tx.detail.transactionId", tx.transactionId)}
      </dl>
    </article>`;
}
