import { formatIban } from "@kontor/money";
import { html, raw } from "hono/html";
import { formatDateTime, formatMoney, type Locale, type Translate } from "../web/i18n.ts";
import type { Html } from "../web/layout.ts";

/** One row of Finances > Accounts, as the connect flow will provide it. */
export interface AccountSummary {
  id: string;
  name: string;
  iban: string;
  currency: string;
  /** Booked balance in minor units as last reported by the bank; null before the first sync. */
  balanceMinor: number | null;
  lastSyncedAt: Date | null;
}

const BANK_ICON = raw(
  `<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M3 9.5 12 4l9 5.5"/><path d="M4.5 10v8M9 10v8M15 10v8M19.5 10v8"/><path d="M3 20.5h18"/></svg>`,
);

export interface AccountsView {
  t: Translate;
  locale: Locale;
  /** The member holds Financial Accounting. */
  canConnect: boolean;
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

function accountTable({ t, locale }: AccountsView, accounts: readonly AccountSummary[]): Html {
  return html`<div class="card flush table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">${t("accounts.column.name")}</th>
          <th scope="col">${t("accounts.column.iban")}</th>
          <th scope="col" class="number">${t("accounts.column.balance")}</th>
          <th scope="col">${t("accounts.column.lastSync")}</th>
        </tr>
      </thead>
      <tbody>
        ${accounts.map(
          (account) => html`<tr>
            <td>${account.name}</td>
            <td class="mono nowrap">${formatIban(account.iban)}</td>
            <td class="number nowrap">
              ${account.balanceMinor === null ? "–" : formatMoney(locale, account.balanceMinor, account.currency)}
            </td>
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
}

/**
 * The first step of "Add account" (Finances > Accounts > Add account > Bank account > Connect new account).
 * The bank search, the redirect to the bank's SCA and the choice of IBANs and start date come with the
 * XS2A connect flow; until then the step says so instead of pretending.
 */
export function addAccountPage({ t }: Pick<AccountsView, "t">): Html {
  const steps = [
    "accounts.new.step.type",
    "accounts.new.step.bank",
    "accounts.new.step.consent",
    "accounts.new.step.accounts",
  ] as const;
  return html`<div class="page-header">
      <div>
        <p class="eyebrow">${t("accounts.section")} › ${t("accounts.title")}</p>
        <h1>${t("accounts.new.title")}</h1>
      </div>
    </div>
    <ol class="steps" aria-label="${t("accounts.new.steps")}">
      ${steps.map((key, index) => html`<li ${index === 0 ? html`aria-current="step"` : ""}>${t(key)}</li>`)}
    </ol>
    <section class="card" aria-labelledby="bank-account-title">
      <div class="option-card">
        ${BANK_ICON}
        <div>
          <h2 id="bank-account-title">${t("accounts.new.bankAccount")}</h2>
          <p>${t("accounts.new.bankAccountText")}</p>
          <p class="notice info" role="status">${t("accounts.new.unavailable")}</p>
          <p>
            <button type="button" class="button primary" disabled>${t("accounts.new.connectNew")}</button>
            <a class="button secondary" href="/accounts">${t("accounts.new.back")}</a>
          </p>
        </div>
      </div>
    </section>`;
}
