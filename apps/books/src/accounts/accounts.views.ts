import { formatIban } from "@kontor/money";
import { html, raw } from "hono/html";
import {
  type BankDirectoryEntry,
  canConnect as bankCanBeConnected,
  offersApproach,
} from "../connectors/bank-directory.ts";
import type { ConnectionStatus } from "../db/schema.ts";
import type { SyncJob } from "../jobs/jobs.repository.ts";
import {
  formatDate,
  formatDateTime,
  formatMoney,
  type Locale,
  type MessageKey,
  type Translate,
} from "../web/i18n.ts";
import type { Html } from "../web/layout.ts";
import type { TransactionFilter, TransactionRow } from "./accounts.repository.ts";
import type { ChooserView, WaitState } from "./accounts.service.ts";

/** One row of Finances > Accounts. */
export interface AccountSummary {
  id: string;
  name: string;
  iban: string;
  currency: string;
  /** Booked balance in minor units as last reported by the bank; null before the first sync. */
  balanceMinor: number | null;
  lastSyncedAt: Date | null;
  bankName?: string;
  status?: "active" | "disconnected";
  connectionStatus?: ConnectionStatus;
  validUntil?: string | null;
  gapMinor?: number | null;
}

const BANK_ICON = raw(
  `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M3 9.5 12 4l9 5.5"/><path d="M4.5 10v8M9 10v8M15 10v8M19.5 10v8"/><path d="M3 20.5h18"/></svg>`,
);

export interface AccountsView {
  t: Translate;
  locale: Locale;
  /** The member holds Financial Accounting. */
  canConnect: boolean;
  /** The hidden CSRF field for the sync form. */
  csrf?: Html;
  notice?: { kind: "info" | "error"; text: string } | undefined;
}

export function noticeBox(notice: AccountsView["notice"]): Html | string {
  if (!notice) return "";
  return html`<p class="notice ${notice.kind}" role="${notice.kind === "error" ? "alert" : "status"}">${notice.text}</p>`;
}

/** The state a user sees for an account: its own, or its consent's. */
export function accountState(account: Pick<AccountSummary, "status" | "connectionStatus">): MessageKey {
  if (account.status === "disconnected") return "accounts.state.disconnected";
  switch (account.connectionStatus ?? "valid") {
    case "valid":
      return "accounts.state.connected";
    case "pending":
      return "accounts.state.pending";
    case "sca_required":
      return "accounts.state.sca_required";
    case "expired":
      return "accounts.state.expired";
    case "revoked":
    case "rejected":
      return "accounts.state.revoked";
    case "disconnected":
      return "accounts.state.disconnected";
  }
}

function stateBadge(t: Translate, account: AccountSummary): Html {
  const key = accountState(account);
  const ok = key === "accounts.state.connected";
  return html`<span class="badge ${ok ? "ok" : "warn"}">${t(key)}</span>`;
}

export function accountsPage(view: AccountsView, accounts: readonly AccountSummary[]): Html {
  const { t, canConnect } = view;
  const addButton = canConnect
    ? html`<a class="button primary" href="/accounts/new">${t("accounts.add")}</a>`
    : html`<p class="muted">${t("accounts.addNeedsPermission", { permission: t("permission.financial_accounting") })}</p>`;
  return html`<div class="page-header">
      <div>
        <p class="eyebrow">${t("accounts.section")}</p>
        <h1>${t("accounts.title")}</h1>
        <p class="lead">${t("accounts.intro")}</p>
      </div>
      ${accounts.length > 0 && canConnect ? addButton : ""}
    </div>
    ${noticeBox(view.notice)}
    ${accounts.length === 0 ? emptyState(view, addButton) : accountTable(view, accounts)}`;
}

function emptyState({ t }: AccountsView, action: Html): Html {
  return html`<section class="card empty-state" aria-labelledby="accounts-empty-title">
    ${BANK_ICON}
    <h2 id="accounts-empty-title">${t("accounts.empty.title")}</h2>
    <p>${t("accounts.empty.text")}</p>
    ${action}
  </section>`;
}

function accountTable(view: AccountsView, accounts: readonly AccountSummary[]): Html {
  const { t, locale } = view;
  const selectable = view.canConnect && view.csrf !== undefined;
  const table = html`<div class="card flush table-wrap">
    <table>
      <thead>
        <tr>
          ${selectable ? html`<th scope="col"><span class="visually-hidden">${t("accounts.select")}</span></th>` : ""}
          <th scope="col">${t("accounts.column.name")}</th>
          <th scope="col">${t("accounts.column.iban")}</th>
          <th scope="col" class="number">${t("accounts.column.balance")}</th>
          <th scope="col">${t("accounts.column.state")}</th>
          <th scope="col">${t("accounts.column.lastSync")}</th>
        </tr>
      </thead>
      <tbody>
        ${accounts.map(
          (account) => html`<tr>
            ${
              selectable
                ? html`<td>
                    <input
                      type="checkbox"
                      name="account"
                      value="${account.id}"
                      id="select-${account.id}"
                      aria-label="${t("accounts.selectOne", { name: account.name })}"
                      ${account.status === "disconnected" || (account.connectionStatus ?? "valid") !== "valid" ? "disabled" : ""}
                    />
                  </td>`
                : ""
            }
            <td><a href="/accounts/${account.id}">${account.name}</a>${account.bankName ? html`<br /><span class="muted">${account.bankName}</span>` : ""}</td>
            <td class="mono nowrap">${formatIban(account.iban)}</td>
            <td class="number nowrap">
              ${account.balanceMinor === null ? "–" : formatMoney(locale, account.balanceMinor, account.currency)}
              ${account.gapMinor ? html`<br /><span class="badge warn">${t("accounts.gap.short")}</span>` : ""}
            </td>
            <td>${stateBadge(t, account)}${account.validUntil ? html`<br /><span class="muted">${t("accounts.validUntil", { date: formatDate(locale, account.validUntil) })}</span>` : ""}</td>
            <td class="nowrap">
              ${
                account.lastSyncedAt
                  ? html`<time datetime="${account.lastSyncedAt.toISOString()}"
                      >${formatDateTime(locale, account.lastSyncedAt)}</time
                    >`
                  : html`<span class="muted">${t("accounts.neverSynced")}</span>`
              }
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
  if (!selectable) return table;
  return html`<form method="post" action="/accounts/sync" class="stack">
    ${view.csrf}
    ${table}
    <p><button type="submit" class="button primary">${t("accounts.sync")}</button> <span class="muted">${t("accounts.syncHint")}</span></p>
  </form>`;
}

/** Finances > Accounts > Add account: the account type. */
export function addAccountPage({ t }: Pick<AccountsView, "t">): Html {
  return html`${flowHeader(t, "accounts.new.title", 0)}
    <section class="card" aria-labelledby="bank-account-title">
      <div class="option-card">
        ${BANK_ICON}
        <div>
          <h2 id="bank-account-title">${t("accounts.new.bankAccount")}</h2>
          <p>${t("accounts.new.bankAccountText")}</p>
          <p>
            <a class="button primary" href="/accounts/connect">${t("accounts.new.connectNew")}</a>
            <a class="button secondary" href="/accounts">${t("accounts.new.back")}</a>
          </p>
        </div>
      </div>
    </section>`;
}

function flowHeader(t: Translate, title: MessageKey, step: number): Html {
  const steps = [
    "accounts.new.step.type",
    "accounts.new.step.bank",
    "accounts.new.step.consent",
    "accounts.new.step.accounts",
  ] as const;
  return html`<div class="page-header">
      <div>
        <p class="eyebrow">${t("accounts.section")} › ${t("accounts.title")}</p>
        <h1>${t(title)}</h1>
      </div>
    </div>
    <ol class="steps" aria-label="${t("accounts.new.steps")}">
      ${steps.map((key, index) => html`<li ${index === step ? html`aria-current="step"` : ""}>${t(key)}</li>`)}
    </ol>`;
}

/** Step 2: search the bank directory, then Connect (redirect) or approve in the banking app (decoupled). */
export function bankSearchPage(
  view: AccountsView & { csrf: Html },
  input: {
    q: string;
    banks: readonly BankDirectoryEntry[];
    /** The decoupled form of this bank was sent with a problem in the user id. */
    psuIdError?: PsuIdError | undefined;
  },
): Html {
  const { t } = view;
  return html`${flowHeader(t, "accounts.connect.title", 1)}
    ${noticeBox(view.notice)}
    <section class="card">
      <form method="get" action="/accounts/connect" role="search" class="search-row">
        <label for="q">${t("accounts.connect.search")}</label>
        <input id="q" name="q" type="search" value="${input.q}" placeholder="${t("accounts.connect.searchPlaceholder")}" autofocus />
        <button type="submit" class="button secondary">${t("accounts.connect.searchButton")}</button>
      </form>
      ${
        input.banks.length === 0
          ? html`<p class="muted">${t("accounts.connect.noResults")}</p>`
          : html`<ul class="bank-list">
              ${input.banks.map((bank) => bankEntry(view, bank, input.psuIdError))}
            </ul>`
      }
      <p class="hint">${t("accounts.connect.hint")}</p>
    </section>`;
}

function bankEntry(
  view: AccountsView & { csrf: Html },
  bank: BankDirectoryEntry,
  psuIdError: PsuIdError | undefined,
): Html {
  const { t } = view;
  return html`<li>
    <div>
      <strong>${bank.name}</strong><br />
      <span class="muted mono">${bank.bic}</span>
      <span class="muted">· ${t("accounts.connect.sca", { approaches: bank.scaApproaches.join(", ") })}</span>
    </div>
    ${scaChoice(view, {
      action: "/accounts/connect",
      bank,
      hidden: html`<input type="hidden" name="bankId" value="${bank.id}" />`,
      redirect: {
        text: t("accounts.connect.connect"),
        label: t("accounts.connect.connectBank", { bank: bank.name }),
      },
      decoupledLabel: t("accounts.connect.decoupledBank", { bank: bank.name }),
      fieldId: `psuId-${bank.id}`,
      error: psuIdError?.bankId === bank.id ? psuIdError : undefined,
    })}
    ${bankCanBeConnected(bank) ? "" : html`<span class="muted">${t("accounts.connect.noRedirect")}</span>`}
  </li>`;
}

/** A decoupled form sent with a problem in the user id: what was typed and the message for the field. */
export interface PsuIdError {
  bankId: string;
  psuId: string;
  key: MessageKey;
}

/**
 * The SCA approaches a bank offers, as forms posting to `action`: redirect (a button) and "approve in your
 * banking app" (the user's id at the bank and a button). Connect and re-authentication share it.
 */
function scaChoice(
  view: AccountsView & { csrf: Html },
  input: {
    action: string;
    bank: BankDirectoryEntry;
    /** The hidden fields that say what the forms are for. */
    hidden: Html;
    redirect: { text: string; label: string };
    decoupledLabel: string;
    fieldId: string;
    error: PsuIdError | undefined;
    /** What the user id field holds when no error says what was typed. */
    value?: string | undefined;
  },
): Html {
  const { t } = view;
  const { bank, error, fieldId } = input;
  const redirect = offersApproach(bank, "REDIRECT");
  const decoupled = offersApproach(bank, "DECOUPLED");
  return html`${
    redirect
      ? html`<form method="post" action="${input.action}">
          ${view.csrf}
          ${input.hidden}
          <button type="submit" class="button primary" aria-label="${input.redirect.label}">${input.redirect.text}</button>
        </form>`
      : ""
  }
    ${redirect && decoupled ? html`<span class="muted">${t("accounts.connect.or")}</span>` : ""}
    ${
      decoupled
        ? html`<form method="post" action="${input.action}" class="decoupled">
            ${view.csrf}
            ${input.hidden}
            <input type="hidden" name="approach" value="DECOUPLED" />
            <div class="field">
              <label for="${fieldId}">${t("accounts.connect.psuId", { bank: bank.name })}</label>
              <input id="${fieldId}" name="psuId" value="${error?.psuId ?? input.value ?? ""}" maxlength="70" autocomplete="username" required
                aria-describedby="${fieldId}-hint${error ? html` ${fieldId}-error` : ""}" ${error ? html`aria-invalid="true"` : ""} />
              <span id="${fieldId}-hint" class="hint">${t("accounts.connect.psuIdHint")}</span>
              ${error ? html`<span id="${fieldId}-error" class="field-error" role="alert">${t(error.key)}</span>` : ""}
            </div>
            <button type="submit" class="button ${redirect ? "secondary" : "primary"}" aria-label="${input.decoupledLabel}">${t("accounts.connect.decoupled")}</button>
          </form>`
        : ""
    }`;
}

/**
 * Step 3 of a decoupled connect, or a decoupled re-authentication: waiting for the approval in the bank's
 * app. The bank's psuMessage (its own text, escaped like every value) is shown where it said something;
 * sca-wait.js keeps it current from the JSON it polls.
 */
export function waitPage(
  view: AccountsView,
  input: { flowId: string; state: WaitState & { kind: "waiting" | "failed" | "expired" } },
): Html {
  const { t, locale } = view;
  const url = `/accounts/connect/${input.flowId}/wait`;
  const { state } = input;
  const connect = state.purpose === "connect";
  const header = connect
    ? flowHeader(t, "accounts.wait.title", 2)
    : html`<div class="page-header">
        <div>
          <p class="eyebrow"><a href="/accounts">${t("accounts.section")} › ${t("accounts.title")}</a></p>
          <h1>${t("accounts.wait.title")}</h1>
        </div>
      </div>`;
  if (state.kind !== "waiting") {
    const message: MessageKey =
      state.kind === "failed"
        ? connect
          ? "accounts.wait.failed"
          : "accounts.wait.reauthFailed"
        : connect
          ? "accounts.wait.expired"
          : "accounts.wait.reauthExpired";
    return html`${header}
      <section class="card">
        <p class="notice error" role="alert">${t(message)}</p>
        <p>${
          connect
            ? html`<a class="button primary" href="/accounts/connect">${t("accounts.wait.restart")}</a>
              <a class="button secondary" href="/accounts">${t("accounts.new.back")}</a>`
            : html`<a class="button primary" href="/accounts">${t("accounts.new.back")}</a>`
        }</p>
      </section>`;
  }
  const total = state.expiresAt.getTime() - state.startedAt.getTime();
  const left = Math.max(0, state.expiresAt.getTime() - state.now.getTime());
  return html`${header}
    <section class="card" data-sca-wait="${url}">
      <p>${t(connect ? "accounts.wait.text" : "accounts.wait.reauthText", { bank: state.bankName })}</p>
      <figure class="psu-message" data-psu-message ${state.psuMessage ? "" : "hidden"}>
        <figcaption>${t("accounts.wait.psuMessage", { bank: state.bankName })}</figcaption>
        <blockquote><p data-psu-message-text>${state.psuMessage ?? ""}</p></blockquote>
      </figure>
      <label for="sca-wait-progress">${t("accounts.wait.progress")}</label>
      <progress id="sca-wait-progress" max="${total}" value="${left}">${Math.round((left / Math.max(1, total)) * 100)} %</progress>
      <p class="muted" role="status">${t("accounts.wait.until", {
        since: formatDateTime(locale, state.startedAt),
        until: formatDateTime(locale, state.expiresAt),
      })}</p>
      <form method="get" action="${url}">
        <button type="submit" class="button secondary">${t("accounts.wait.check")}</button>
      </form>
      <p class="hint">${t("accounts.wait.noScript")}</p>
    </section>`;
}

/** Step 4: the IBANs the bank granted; for each a name and an import start date. */
export function chooserPage(view: AccountsView & { csrf: Html }, chooser: ChooserView): Html {
  const { t, locale } = view;
  return html`${flowHeader(t, "accounts.choose.title", 3)}
    ${noticeBox(view.notice)}
    <form method="post" action="/accounts/connect/${chooser.flowId}" class="card">
      ${view.csrf}
      <p>${t("accounts.choose.intro", { bank: chooser.bankName })}</p>
      <p class="notice info">${t("accounts.choose.why90", { date: formatDate(locale, chooser.earliest) })}</p>
      ${chooser.accounts.map((account) =>
        account.alreadyConnected
          ? html`<fieldset class="choice">
              <legend>
                <span class="mono">${formatIban(account.iban)}</span> (${account.currency})
                <span class="badge ok">${t("accounts.choose.moves", { name: account.nameInBooks ?? "" })}</span>
              </legend>
            </fieldset>`
          : html`<fieldset class="choice">
          <legend>
            <label>
              <input type="checkbox" name="iban" value="${account.iban}" checked />
              <span class="mono">${formatIban(account.iban)}</span> (${account.currency})
            </label>
            ${account.known ? html`<span class="badge warn">${t("accounts.choose.already")}</span>` : ""}
          </legend>
          <div class="field">
            <label for="name_${account.iban}">${t("accounts.choose.name")}</label>
            <input id="name_${account.iban}" name="name_${account.iban}" value="${account.nameInBooks ?? account.name ?? account.iban}" maxlength="100" required />
          </div>
          <div class="field">
            <label for="importFrom_${account.iban}">${t("accounts.choose.importFrom")}</label>
            <input
              id="importFrom_${account.iban}"
              name="importFrom_${account.iban}"
              type="date"
              value="${chooser.earliest}"
              min="${chooser.earliest}"
              max="${chooser.today}"
              required
            />
          </div>
        </fieldset>`,
      )}
      <p><button type="submit" class="button primary">${t("accounts.choose.submit")}</button></p>
    </form>`;
}

export interface JobView {
  job: SyncJob;
  accountName: string;
}

export function jobLabel(t: Translate, job: SyncJob): string {
  switch (job.status) {
    case "queued":
      return job.errorCode ? t("sync.state.retrying") : t("sync.state.queued");
    case "running":
      return t("sync.state.running", { pages: job.pages, imported: job.imported });
    case "succeeded":
      return t("sync.state.succeeded", { imported: job.imported, seen: job.seen });
    case "failed":
      return t("sync.state.failed", { reason: reasonText(t, job.errorCode) });
    case "cancelled":
      return t("sync.state.cancelled");
  }
}

export function reasonText(t: Translate, code: string | null): string {
  switch (code) {
    case "consent_expired":
      return t("sync.reason.consent_expired");
    case "sca_required":
      return t("sync.reason.sca_required");
    case "consent_revoked":
      return t("sync.reason.consent_revoked");
    case "access_exceeded":
      return t("sync.reason.access_exceeded");
    case "unavailable":
    case "aborted":
      return t("sync.reason.unavailable");
    default:
      return t("sync.reason.other");
  }
}

/** The progress of one or several syncs: <progress> bars; refreshes itself, and a script polls the JSON. */
export function syncStatusPage(view: AccountsView & { statusUrl: string }, jobs: readonly JobView[]): Html {
  const { t } = view;
  const done = jobs.every((j) => j.job.status !== "queued" && j.job.status !== "running");
  return html`<div class="page-header">
      <div>
        <p class="eyebrow">${t("accounts.section")} › ${t("accounts.title")}</p>
        <h1>${t("sync.title")}</h1>
        <p class="lead">${done ? t("sync.done") : t("sync.running")}</p>
      </div>
    </div>
    <section class="card" data-sync-status="${view.statusUrl}">
      <ul class="progress-list">
        ${jobs.map(
          ({ job, accountName }) => html`<li data-job="${job.id}">
            <label for="job-${job.id}"><a href="/accounts/${job.bankAccountId}">${accountName}</a></label>
            <progress id="job-${job.id}" max="1000" value="${job.progress}">${Math.round(job.progress / 10)} %</progress>
            <span data-label class="muted" role="status">${jobLabel(t, job)}</span>
          </li>`,
        )}
      </ul>
      <p><a class="button secondary" href="/accounts">${t("accounts.new.back")}</a></p>
    </section>`;
}

export interface AccountPageView extends AccountsView {
  csrf: Html;
  account: AccountSummary & {
    importFrom: string;
    connectionId: string;
    nextSyncAt: Date | null;
    lastError: string | null;
    balanceDate: string | null;
    gapFrom: string | null;
    gapTo: string | null;
  };
  transactions: { rows: TransactionRow[]; total: number };
  filter: TransactionFilter;
  pending: ReadonlyArray<{
    valueDate: string | null;
    amountMinor: number;
    currency: string;
    counterpartyName: string | null;
    remittance: string | null;
  }>;
  series: ReadonlyArray<{ date: string; balanceMinor: number }>;
  lastJob: SyncJob | undefined;
  /** The account's bank in the directory: which SCA approaches re-authentication offers. */
  bank: BankDirectoryEntry | undefined;
  /** The decoupled re-authentication was sent with a problem in the user id. */
  psuIdError?: PsuIdError | undefined;
  /**
   * The user's id at the bank from the connection's last decoupled SCA, which the form offers again; a getter,
   * so it is unsealed only when the page shows the form.
   */
  rememberedPsuId?: (() => string | undefined) | undefined;
}

/**
 * Re-authentication on the account page: the bank's SCA again, by redirect or, where the bank's directory
 * entry lists it, approved in the banking app: the same choice and forms as when connecting.
 */
function reauthBox(view: AccountPageView, explain: string): Html {
  const { t, account } = view;
  const hidden = html`<input type="hidden" name="accountId" value="${account.id}" />`;
  const action = `/accounts/connections/${account.connectionId}/reauth`;
  const bank = view.bank;
  return html`<div class="notice error reauth" role="alert">
    <p>${explain}</p>
    ${
      bank
        ? html`<div class="sca-choice">${scaChoice(view, {
            action,
            bank,
            hidden,
            redirect: { text: t("accounts.reauth"), label: t("accounts.reauth") },
            decoupledLabel: t("accounts.reauth.decoupled", { bank: bank.name }),
            fieldId: `psuId-reauth-${account.connectionId}`,
            error: view.psuIdError,
            value: view.rememberedPsuId?.(),
          })}</div>`
        : // The bank left the directory: the redirect form alone, which the service refuses with a clear error.
          html`<form method="post" action="${action}">
            ${view.csrf}${hidden}
            <button type="submit" class="button primary">${t("accounts.reauth")}</button>
          </form>`
    }
  </div>`;
}

export function accountPage(view: AccountPageView): Html {
  const { t, locale, account } = view;
  const state = accountState(account);
  const needsReauth =
    account.status === "active" &&
    account.connectionStatus !== undefined &&
    account.connectionStatus !== "valid";
  return html`<div class="page-header">
      <div>
        <p class="eyebrow"><a href="/accounts">${t("accounts.section")} › ${t("accounts.title")}</a></p>
        <h1>${account.name}</h1>
        <p class="lead mono">${formatIban(account.iban)} · ${account.bankName ?? ""}</p>
      </div>
    </div>
    ${noticeBox(view.notice)}
    ${needsReauth && view.canConnect ? reauthBox(view, t(`${state}.explain` as MessageKey)) : ""}
    ${
      account.gapMinor
        ? html`<p class="notice error" role="alert">${t("accounts.gap.text", {
            amount: formatMoney(locale, account.gapMinor, account.currency),
            from: account.gapFrom ? formatDate(locale, account.gapFrom) : "–",
            to: account.gapTo ? formatDate(locale, account.gapTo) : "–",
          })}</p>`
        : ""
    }
    <section class="card facts">
      <dl>
        <div><dt>${t("accounts.column.balance")}</dt><dd class="number">${account.balanceMinor === null ? "–" : formatMoney(locale, account.balanceMinor, account.currency)}${account.balanceDate ? html` <span class="muted">(${formatDate(locale, account.balanceDate)})</span>` : ""}</dd></div>
        <div><dt>${t("accounts.column.state")}</dt><dd>${stateBadge(t, account)}</dd></div>
        <div><dt>${t("accounts.fact.validUntil")}</dt><dd>${account.validUntil ? formatDate(locale, account.validUntil) : "–"}</dd></div>
        <div><dt>${t("accounts.column.lastSync")}</dt><dd>${account.lastSyncedAt ? formatDateTime(locale, account.lastSyncedAt) : t("accounts.neverSynced")}</dd></div>
        <div><dt>${t("accounts.fact.nextSync")}</dt><dd>${account.nextSyncAt ? formatDateTime(locale, account.nextSyncAt) : "–"}</dd></div>
        <div><dt>${t("accounts.fact.importFrom")}</dt><dd>${formatDate(locale, account.importFrom)}</dd></div>
        ${view.lastJob ? html`<div><dt>${t("accounts.fact.lastRun")}</dt><dd>${jobLabel(t, view.lastJob)}</dd></div>` : ""}
      </dl>
      ${
        view.canConnect && account.status === "active"
          ? html`<div class="actions">
              ${
                account.connectionStatus === "valid"
                  ? html`<form method="post" action="/accounts/${account.id}/sync">${view.csrf}<button type="submit" class="button primary">${t("accounts.sync")}</button></form>`
                  : ""
              }
              <a class="button secondary" href="/accounts/${account.id}/disconnect">${t("accounts.disconnect")}</a>
              <a class="button secondary danger" href="/accounts/${account.id}/delete">${t("accounts.delete")}</a>
            </div>`
          : view.canConnect
            ? html`<div class="actions"><a class="button secondary danger" href="/accounts/${account.id}/delete">${t("accounts.delete")}</a></div>`
            : ""
      }
    </section>
    <section class="card" aria-labelledby="chart-title">
      <h2 id="chart-title">${t("accounts.chart.title")}</h2>
      ${balanceChart(t, locale, account.currency, view.series)}
    </section>
    ${
      view.pending.length > 0
        ? html`<section class="card flush table-wrap" aria-labelledby="pending-title">
            <h2 id="pending-title" class="card-title">${t("accounts.pending.title")}</h2>
            <p class="muted card-title">${t("accounts.pending.hint")}</p>
            <table>
              <tbody>
                ${view.pending.map(
                  (p) => html`<tr>
                    <td class="nowrap">${p.valueDate ? formatDate(locale, p.valueDate) : "–"}</td>
                    <td>${p.counterpartyName ?? ""}<br /><span class="muted">${p.remittance ?? ""}</span></td>
                    <td class="number nowrap">${formatMoney(locale, p.amountMinor, p.currency)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </section>`
        : ""
    }
    <section class="card flush" aria-labelledby="transactions-title">
      <h2 id="transactions-title" class="card-title">${t("accounts.transactions.title")}</h2>
      ${filterForm(view)}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">${t("accounts.transactions.date")}</th>
              <th scope="col">${t("accounts.transactions.counterparty")}</th>
              <th scope="col">${t("accounts.transactions.remittance")}</th>
              <th scope="col" class="number">${t("accounts.transactions.amount")}</th>
            </tr>
          </thead>
          <tbody>
            ${
              view.transactions.rows.length === 0
                ? html`<tr><td colspan="4" class="muted">${t("accounts.transactions.none")}</td></tr>`
                : view.transactions.rows.map(
                    (row) => html`<tr>
                      <td class="nowrap">${formatDate(locale, row.bookingDate)}</td>
                      <td>${row.counterpartyName ?? ""}${row.counterpartyIban ? html`<br /><span class="muted mono">${formatIban(row.counterpartyIban)}</span>` : ""}</td>
                      <td>${row.remittance ?? ""}${row.bookingText ? html`<br /><span class="muted">${row.bookingText}</span>` : ""}</td>
                      <td class="number nowrap ${row.amountMinor < 0 ? "debit" : "credit"}">${formatMoney(locale, row.amountMinor, row.currency)}</td>
                    </tr>`,
                  )
            }
          </tbody>
        </table>
      </div>
      ${pager(view)}
    </section>`;
}

function filterForm(view: AccountPageView): Html {
  const { t, filter } = view;
  const sorts = [
    ["date_desc", "accounts.sort.date_desc"],
    ["date_asc", "accounts.sort.date_asc"],
    ["amount_desc", "accounts.sort.amount_desc"],
    ["amount_asc", "accounts.sort.amount_asc"],
  ] as const;
  return html`<form method="get" action="/accounts/${view.account.id}" class="filters" role="search">
    <div class="field"><label for="q">${t("accounts.filter.q")}</label><input id="q" name="q" type="search" value="${filter.q ?? ""}" /></div>
    <div class="field">
      <label for="direction">${t("accounts.filter.direction")}</label>
      <select id="direction" name="direction">
        <option value="" ${filter.direction ? "" : "selected"}>${t("accounts.filter.all")}</option>
        <option value="in" ${filter.direction === "in" ? "selected" : ""}>${t("accounts.filter.in")}</option>
        <option value="out" ${filter.direction === "out" ? "selected" : ""}>${t("accounts.filter.out")}</option>
      </select>
    </div>
    <div class="field"><label for="from">${t("accounts.filter.from")}</label><input id="from" name="from" type="date" value="${filter.from ?? ""}" /></div>
    <div class="field"><label for="to">${t("accounts.filter.to")}</label><input id="to" name="to" type="date" value="${filter.to ?? ""}" /></div>
    <div class="field">
      <label for="sort">${t("accounts.filter.sort")}</label>
      <select id="sort" name="sort">
        ${sorts.map(([value, key]) => html`<option value="${value}" ${filter.sort === value ? "selected" : ""}>${t(key)}</option>`)}
      </select>
    </div>
    <div class="field"><span>&nbsp;</span><button type="submit" class="button secondary">${t("accounts.filter.apply")}</button></div>
  </form>`;
}

function pager(view: AccountPageView): Html | string {
  const { t, filter, transactions } = view;
  const params = (offset: number) => {
    const p = new URLSearchParams();
    if (filter.q) p.set("q", filter.q);
    if (filter.direction) p.set("direction", filter.direction);
    if (filter.from) p.set("from", filter.from);
    if (filter.to) p.set("to", filter.to);
    p.set("sort", filter.sort);
    p.set("offset", String(offset));
    return `/accounts/${view.account.id}?${p}`;
  };
  const first = transactions.total === 0 ? 0 : filter.offset + 1;
  const last = Math.min(filter.offset + filter.limit, transactions.total);
  return html`<nav class="pagination card-title" aria-label="${t("accounts.transactions.pages")}">
    <span class="muted">${t("accounts.transactions.range", { first, last, total: transactions.total })}</span>
    ${filter.offset > 0 ? html`<a href="${params(Math.max(0, filter.offset - filter.limit))}">${t("accounts.transactions.newer")}</a>` : ""}
    ${last < transactions.total ? html`<a href="${params(filter.offset + filter.limit)}">${t("accounts.transactions.older")}</a>` : ""}
  </nav>`;
}

/** The end-of-day booked balance over time as an inline SVG line (no script, no external library). */
export function balanceChart(
  t: Translate,
  locale: Locale,
  currency: string,
  series: ReadonlyArray<{ date: string; balanceMinor: number }>,
): Html {
  const first = series[0];
  const last = series.at(-1);
  if (!first || !last || series.length < 2) return html`<p class="muted">${t("accounts.chart.empty")}</p>`;
  const width = 640;
  const height = 180;
  const pad = 8;
  const values = series.map((p) => p.balanceMinor);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const start = Date.parse(first.date);
  const spanX = Math.max(1, Date.parse(last.date) - start);
  const spanY = Math.max(1, max - min);
  const x = (date: string) => pad + ((Date.parse(date) - start) / spanX) * (width - 2 * pad);
  const y = (value: number) => height - pad - ((value - min) / spanY) * (height - 2 * pad);
  const points = series.map((p) => `${x(p.date).toFixed(1)},${y(p.balanceMinor).toFixed(1)}`).join(" ");
  const zero =
    min < 0 && max > 0
      ? html`<line x1="${pad}" x2="${width - pad}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" class="chart-zero" />`
      : "";
  const label = t("accounts.chart.label", {
    from: formatDate(locale, first.date),
    to: formatDate(locale, last.date),
    start: formatMoney(locale, first.balanceMinor, currency),
    end: formatMoney(locale, last.balanceMinor, currency),
    min: formatMoney(locale, min, currency),
    max: formatMoney(locale, max, currency),
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${label}" preserveAspectRatio="none">
      ${zero}
      <polyline points="${points}" class="chart-line" fill="none" />
    </svg>
    <figcaption class="muted">${label}</figcaption>
  </figure>`;
}

export function disconnectPage(
  view: AccountsView & { csrf: Html },
  account: AccountSummary,
  others: readonly string[],
): Html {
  const { t } = view;
  return html`<section class="card narrow" aria-labelledby="disconnect-title">
    <h1 id="disconnect-title">${t("accounts.disconnect.title", { name: account.name })}</h1>
    <p>${t("accounts.disconnect.text")}</p>
    ${others.length > 0 ? html`<p class="notice info">${t("accounts.disconnect.others", { names: others.join(", ") })}</p>` : ""}
    <form method="post" action="/accounts/${account.id}/disconnect">
      ${view.csrf}
      <button type="submit" class="button primary">${t("accounts.disconnect.confirm")}</button>
      <a class="button secondary" href="/accounts/${account.id}">${t("accounts.cancel")}</a>
    </form>
  </section>`;
}

export function deletePage(
  view: AccountsView & { csrf: Html },
  account: AccountSummary,
  count: number,
  invalid: boolean,
): Html {
  const { t } = view;
  return html`<section class="card narrow" aria-labelledby="delete-title">
    <h1 id="delete-title">${t("accounts.delete.title", { name: account.name })}</h1>
    <p class="notice error" role="alert">${t("accounts.delete.warning", { count })}</p>
    <p>${t("accounts.delete.instead")}</p>
    <form method="post" action="/accounts/${account.id}/delete">
      ${view.csrf}
      <div class="field">
        <label for="confirmation">${t("accounts.delete.type", { name: account.name })}</label>
        <input id="confirmation" name="confirmation" autocomplete="off" required ${invalid ? html`aria-invalid="true" aria-describedby="confirmation-error"` : ""} />
        ${invalid ? html`<span id="confirmation-error" class="field-error">${t("accounts.delete.mismatch")}</span>` : ""}
      </div>
      <button type="submit" class="button primary danger">${t("accounts.delete.confirm")}</button>
      <a class="button secondary" href="/accounts/${account.id}">${t("accounts.cancel")}</a>
    </form>
  </section>`;
}
