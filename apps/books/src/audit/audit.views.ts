import { html } from "hono/html";
import type { AppContext } from "../web/context.ts";
import { formatDateTime, isMessageKey, type MessageKey } from "../web/i18n.ts";
import type { Html } from "../web/layout.ts";
import type { AuditAction } from "./audit.schemas.ts";
import type { AuditEntry, AuditPage } from "./audit.service.ts";

const ACTION_LABEL = {
  "auth.login": "audit.action.auth.login",
  "auth.login_failed": "audit.action.auth.login_failed",
  "auth.logout": "audit.action.auth.logout",
  "organisation.switched": "audit.action.organisation.switched",
  "bank.connected": "audit.action.bank.connected",
  "bank.reauthorised": "audit.action.bank.reauthorised",
  "bank.sync_requested": "audit.action.bank.sync_requested",
  "bank.disconnected": "audit.action.bank.disconnected",
  "bank.account_deleted": "audit.action.bank.account_deleted",
  "bank.consent_changed": "audit.action.bank.consent_changed",
} as const satisfies Record<AuditAction, MessageKey>;

export function auditPage(c: AppContext, page: AuditPage, isFirstPage: boolean): Html {
  const { t, locale } = c.var;
  const organisation = c.var.auth?.organisation.name ?? "";
  return html`<div class="page-header">
      <div>
        <h1>${t("audit.title")}</h1>
        <p class="lead">${t("audit.intro", { organisation })}</p>
      </div>
    </div>
    ${
      page.entries.length === 0
        ? html`<div class="card"><p class="muted">${t("audit.empty")}</p></div>`
        : html`<div class="card flush table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">${t("audit.column.when")}</th>
                  <th scope="col">${t("audit.column.who")}</th>
                  <th scope="col">${t("audit.column.what")}</th>
                  <th scope="col">${t("audit.column.details")}</th>
                </tr>
              </thead>
              <tbody>
                ${page.entries.map(
                  (entry) => html`<tr>
                    <td class="nowrap">
                      <time datetime="${entry.createdAt.toISOString()}">${formatDateTime(locale, entry.createdAt)}</time>
                    </td>
                    <td>${entry.actorLabel}</td>
                    <td>${actionLabel(c, entry.action)}</td>
                    <td class="muted">${details(c, entry)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${
      page.olderBefore !== null || !isFirstPage
        ? html`<nav class="pagination" aria-label="${t("audit.pagination")}">
            ${isFirstPage ? "" : html`<a href="/audit">${t("audit.newest")}</a>`}
            ${page.olderBefore !== null ? html`<a href="/audit?before=${page.olderBefore}">${t("audit.older")}</a>` : ""}
          </nav>`
        : ""
    }`;
}

/** An action written by a newer version of books (after a rollback) is shown as recorded. */
function actionLabel(c: AppContext, action: string): string {
  return Object.hasOwn(ACTION_LABEL, action) ? c.var.t(ACTION_LABEL[action as AuditAction]) : action;
}

/** Known detail values are translated; anything else is shown as it was recorded. */
function details(c: AppContext, entry: AuditEntry): string {
  const t = c.var.t;
  const parts = Object.entries(entry.details).map(([key, value]) => {
    const label = `audit.detail.${key}.${String(value)}`;
    return isMessageKey(label) ? t(label) : `${key}: ${String(value)}`;
  });
  if (entry.subject) parts.unshift(entry.subject);
  return parts.join(" · ");
}
