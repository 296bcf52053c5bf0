import { formatIban } from "@kontor/money";
import { Hono } from "hono";
import { html } from "hono/html";
import { viewableAccounts } from "../consents/consents.service.ts";
import type { ConsentStatus } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { formatDateTime } from "../web/format.ts";
import { formatDate, type MessageKey, translator } from "../web/i18n.ts";
import { requirePsu, type WebContext, type WebEnv } from "../web/session.ts";
import { csrfField, psuErrorPage, psuPage } from "../web/shell.ts";
import {
  type AppScope,
  type ConnectedApp,
  findConnectedApp,
  listConnectedApps,
  revokeConnectedApp,
} from "./connected-apps.service.ts";

const STATUS_KEYS = {
  valid: "apps.status.valid",
  received: "apps.status.received",
  partiallyAuthorised: "apps.status.partiallyAuthorised",
  rejected: "apps.status.rejected",
  revokedByPsu: "apps.status.revokedByPsu",
  expired: "apps.status.expired",
  terminatedByTpp: "apps.status.terminatedByTpp",
} as const satisfies Record<ConsentStatus, MessageKey>;

/** IBAN → the account's name, for the PSU's own accounts. */
export type AccountNames = Map<string, string>;

/**
 * Connected apps: every consent of the PSU with a two-step revoke (the list links to a confirmation page whose
 * form posts the revocation), so it works without JavaScript and no stray click ends an app's access.
 */
export function connectedAppsWeb(deps: BankDeps) {
  const app = new Hono<WebEnv>();
  const guard = requirePsu(deps);

  const accountNames = async (psuId: string): Promise<AccountNames> =>
    new Map((await viewableAccounts(deps, psuId)).map((a) => [a.iban, a.name]));

  app.get("/connected-apps", guard, async (c) => {
    const { t } = translator(c);
    const psuId = c.var.session.psuId;
    const [apps, names] = await Promise.all([listConnectedApps(deps, psuId), accountNames(psuId)]);
    const revoked = apps.find((a) => a.consentId === c.req.query("revoked"));
    const body = html`<h1>${t("apps.title")}</h1>
      <p class="muted">${t("apps.intro")}</p>
      ${revoked ? html`<p class="notice" role="status">${t("apps.revoked", { tpp: revoked.tppName })}</p>` : ""}
      ${apps.length === 0 ? html`<div class="card"><p>${t("apps.empty")}</p></div>` : ""}
      ${apps.map((a) => appCard(c, a, names))}`;
    return c.html(psuPage(c, t("apps.title"), body, "connected-apps"));
  });

  app.get("/connected-apps/:consentId/revoke", guard, async (c) => {
    const { t } = translator(c);
    const psuId = c.var.session.psuId;
    const found = await findConnectedApp(deps, psuId, c.req.param("consentId"));
    if (!found) return c.html(psuErrorPage(c, 404, t("apps.notFound"), "connected-apps"), 404);
    if (!found.active) return c.redirect("/connected-apps", 303);
    const body = html`<p><a href="/connected-apps">← ${t("apps.title")}</a></p>
      <div class="card">
        <h1>${t("apps.revoke.title", { tpp: found.tppName })}</h1>
        <p>${t("apps.revoke.confirm", { tpp: found.tppName })}</p>
        ${appFacts(c, found, await accountNames(psuId))}
        <form method="post" action="/connected-apps/${found.consentId}/revoke" class="actions">
          ${csrfField(c)}
          <button type="submit" class="danger">${t("apps.revoke")}</button>
          <a class="button secondary" href="/connected-apps">${t("apps.revoke.cancel")}</a>
        </form>
      </div>`;
    return c.html(psuPage(c, t("apps.revoke.title", { tpp: found.tppName }), body, "connected-apps"));
  });

  app.post("/connected-apps/:consentId/revoke", guard, async (c) => {
    const { t } = translator(c);
    const psuId = c.var.session.psuId;
    const consentId = c.req.param("consentId");
    const found = await findConnectedApp(deps, psuId, consentId);
    if (!found) return c.html(psuErrorPage(c, 404, t("apps.notFound"), "connected-apps"), 404);
    if (found.active) await revokeConnectedApp(deps, psuId, consentId);
    return c.redirect(`/connected-apps?revoked=${encodeURIComponent(consentId)}`, 303);
  });

  return app;
}

/** What an app may read, in the PSU's words: per IBAN (with the account's name) or "all your accounts". */
export function scopeList(c: WebContext, scope: AppScope, names: AccountNames) {
  const { t } = translator(c);
  switch (scope.kind) {
    case "allPsd2":
      return html`<ul><li>${t("sca.scope.allPsd2")}</li></ul>`;
    case "allAccounts":
      return html`<ul><li>${t("sca.scope.allAccounts")}${scope.withBalances ? html` · ${t("sca.scope.balances")}` : ""}</li></ul>`;
    case "accounts":
      if (scope.accounts.length === 0) return html`<p class="muted">${t("apps.scope.none")}</p>`;
      return html`<ul>
        ${scope.accounts.map(
          (acc) =>
            html`<li><span class="iban">${formatIban(acc.iban)}</span>${
              names.has(acc.iban) ? html` <small>(${names.get(acc.iban)})</small>` : ""
            }: ${acc.scopes.map((s) => t(`sca.scope.${s}`)).join(", ")}</li>`,
        )}
      </ul>`;
    default: {
      const never: never = scope;
      throw new Error(`unhandled scope ${String(never)}`);
    }
  }
}

function appFacts(c: WebContext, a: ConnectedApp, names: AccountNames) {
  const { t, lang } = translator(c);
  return html`<dl class="facts">
    <dt>${t("apps.scope")}</dt><dd>${scopeList(c, a.scope, names)}</dd>
    ${
      a.since
        ? html`<dt>${t("apps.since")}</dt><dd>${formatDateTime(lang, a.since)}</dd>`
        : html`<dt>${t("apps.requested")}</dt><dd>${formatDateTime(lang, a.requestedAt)}</dd>`
    }
    <dt>${t("apps.validUntil")}</dt><dd>${formatDate(lang, a.validUntil)}</dd>
    <dt>${t("sca.consent.frequency")}</dt>
    <dd>${a.recurring ? t("sca.consent.perDay", { n: a.frequencyPerDay }) : t("sca.consent.oneOff")}</dd>
    <dt>${t("apps.lastAccess")}</dt><dd>${a.lastAccess ? formatDateTime(lang, a.lastAccess) : t("apps.never")}</dd>
  </dl>`;
}

function appCard(c: WebContext, a: ConnectedApp, names: AccountNames) {
  const { t } = translator(c);
  const pill = a.status === "valid" ? "pill" : a.active ? "pill warn" : "pill off";
  return html`<article class="card${a.active ? "" : " ended"}" aria-labelledby="app-${a.consentId}" data-consent="${a.consentId}">
    <div class="account">
      <h2 id="app-${a.consentId}" style="margin:0">${a.tppName}</h2>
      <span class="${pill}">${t(STATUS_KEYS[a.status])}</span>
    </div>
    ${appFacts(c, a, names)}
    ${
      a.active
        ? html`<div class="actions"><a class="button danger" href="/connected-apps/${a.consentId}/revoke">${t("apps.revoke")}</a></div>`
        : ""
    }
  </article>`;
}
