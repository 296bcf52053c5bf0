import { formatIban } from "@kontor/money";
import type { AccountAccessRequest } from "@kontor/xs2a";
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import * as consents from "../consents/consents.service.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { clientAddress } from "../psus/client-address.ts";
import { retryAfterSeconds, throttledMessage } from "../psus/login.web.ts";
import { formatDate, translator } from "../web/i18n.ts";
import { page } from "../web/layout.ts";

/**
 * Redirect SCA for consents: plain HTML forms that work without JavaScript and without cookies (a one-time
 * step token in a hidden field carries the PSU from the login to the TAN step), so any HTTP client can
 * complete them. Cancel returns the PSU to the TPP's nok URI.
 */
export function scaRoutes(deps: BankDeps) {
  const app = new Hono();

  app.get("/consents/:consentId/:authorisationId", async (c) => {
    const pending = await consents.loadPendingSca(
      deps,
      c.req.param("consentId"),
      c.req.param("authorisationId"),
    );
    return c.html(loginPage(c, pending));
  });

  app.post("/consents/:consentId/:authorisationId", async (c) => {
    const pending = await consents.loadPendingSca(
      deps,
      c.req.param("consentId"),
      c.req.param("authorisationId"),
    );
    const form = await c.req.parseBody({ all: true });
    const field = (name: string) => {
      const value = form[name];
      return typeof value === "string" ? value : "";
    };
    const step = field("step");
    if (step === "cancel") return c.redirect(await consents.scaCancel(deps, pending), 303);
    if (step === "login") {
      try {
        const attempt = await consents.scaLogin(deps, pending, {
          login: field("login"),
          password: field("password"),
          address: clientAddress(c),
        });
        if (attempt.outcome === "throttled") {
          c.header("Retry-After", retryAfterSeconds(deps, attempt.retryAt));
          return c.html(loginPage(c, pending, throttledMessage(c, attempt.retryAt)), 429);
        }
        const token = attempt.token;
        const accounts = await consents.viewableAccounts(deps, (await reload(pending)).authorisation.psu_id!);
        return c.html(confirmPage(c, await reload(pending), token, accounts));
      } catch (error) {
        if (error instanceof AppError && error.code === "PSU_CREDENTIALS_INVALID") {
          // The PSU reads the page in their language; the code and English text stay for XS2A errors.
          return c.html(loginPage(c, pending, translator(c).t("login.failed")), 401);
        }
        throw error;
      }
    }
    if (step === "confirm") {
      const raw = form.account;
      const accountIds = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
        (v): v is string => typeof v === "string",
      );
      try {
        const target = await consents.scaConfirm(deps, pending, {
          stepToken: field("step_token"),
          tan: field("tan"),
          accountIds,
        });
        return c.redirect(target, 303);
      } catch (error) {
        if (error instanceof AppError && (error.code === "SCA_INVALID" || error.code === "FORMAT_ERROR")) {
          const now = await reload(pending);
          if (now.authorisation.sca_status === "failed") {
            return c.redirect(
              now.authorisation.nok_redirect_uri ?? now.authorisation.redirect_uri ?? "/",
              303,
            );
          }
          const accounts = await consents.viewableAccounts(deps, now.authorisation.psu_id!);
          return c.html(confirmPage(c, now, field("step_token"), accounts, error.message), 400);
        }
        throw error;
      }
    }
    throw new AppError("FORMAT_ERROR", "Unknown step.");
  });

  const reload = (p: consents.PendingSca) => consents.loadPendingSca(deps, p.consent.id, p.authorisation.id);

  return app;
}

function cancelForm(c: Context) {
  const { t } = translator(c);
  return html`<input type="hidden" name="step" value="cancel" /><button class="secondary" type="submit">${t("sca.cancel")}</button>`;
}

function loginPage(c: Context, pending: consents.PendingSca, error?: string) {
  const { t } = translator(c);
  const action = c.req.path;
  return page(
    c,
    t("sca.title"),
    html`<div class="card">
      <h1>${t("sca.title")}</h1>
      <p>${t("sca.login.intro", { tpp: pending.tppName })}</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ""}
      <form method="post" action="${action}">
        <input type="hidden" name="step" value="login" />
        <label for="login">${t("sca.login.user")}</label>
        <input id="login" name="login" type="text" autocomplete="username" required autofocus />
        <label for="password">${t("sca.login.password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <div class="actions"><button type="submit">${t("sca.login.submit")}</button></div>
      </form>
      <form method="post" action="${action}" class="actions">${cancelForm(c)}</form>
    </div>`,
  );
}

function describeAccess(c: Context, access: AccountAccessRequest) {
  const { t } = translator(c);
  if (access.allPsd2) return html`<li>${t("sca.scope.allPsd2")}</li>`;
  if (access.availableAccounts || access.availableAccountsWithBalance)
    return html`<li>${t("sca.scope.allAccounts")}</li>`;
  const items = (["accounts", "balances", "transactions"] as const).flatMap((scope) =>
    (access[scope] ?? []).map(
      (ref) => html`<li>${t(`sca.scope.${scope}`)}: ${formatIban(ref.iban ?? "")}</li>`,
    ),
  );
  return html`${items}`;
}

function confirmPage(
  c: Context,
  pending: consents.PendingSca,
  token: string,
  accounts: { id: string; iban: string; name: string; currency: string }[],
  error?: string,
) {
  const { t, lang } = translator(c);
  const { consent } = pending;
  const renewal = consent.status === "valid";
  const action = c.req.path;
  const choose = pending.needsAccountChoice && !renewal;
  return page(
    c,
    t("sca.title"),
    html`<div class="card">
      <h1>${t("sca.title")}</h1>
      ${renewal ? html`<p>${t("sca.renewal")}</p>` : html`<p>${t("sca.consent.intro", { tpp: pending.tppName })}</p>`}
      ${choose ? "" : html`<ul>${describeAccess(c, consent.access as AccountAccessRequest)}</ul>`}
      <p>
        ${t("sca.consent.validUntil")}: <strong>${formatDate(lang, consent.valid_until)}</strong><br />
        ${t("sca.consent.frequency")}:
        ${consent.recurring ? t("sca.consent.perDay", { n: consent.frequency_per_day }) : t("sca.consent.oneOff")}
      </p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ""}
      <form method="post" action="${action}">
        <input type="hidden" name="step" value="confirm" />
        <input type="hidden" name="step_token" value="${token}" />
        ${
          choose
            ? html`<fieldset><legend>${t("sca.choose")}</legend>
                ${accounts.map(
                  (a) =>
                    html`<label><input type="checkbox" name="account" value="${a.id}" checked /> ${a.name} · ${formatIban(a.iban)} (${a.currency})</label>`,
                )}
              </fieldset>`
            : ""
        }
        <label for="tan">${t("sca.tan")}</label>
        <input id="tan" name="tan" type="text" inputmode="numeric" autocomplete="one-time-code" required />
        <p class="muted">${t("sca.tan.hint")}</p>
        <div class="actions"><button type="submit">${t("sca.submit")}</button></div>
      </form>
      <form method="post" action="${action}" class="actions">${cancelForm(c)}</form>
    </div>`,
  );
}
