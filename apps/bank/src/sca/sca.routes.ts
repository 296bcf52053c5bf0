import { formatIban } from "@kontor/money";
import type { AccountAccessRequest } from "@kontor/xs2a";
import { type Context, Hono } from "hono";
import { html } from "hono/html";
import * as consents from "../consents/consents.service.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { clientAddress } from "../psus/client-address.ts";
import { retryAfterSeconds, throttledMessage } from "../psus/login.web.ts";
import { formatDate, type MessageKey, translator } from "../web/i18n.ts";
import { page } from "../web/layout.ts";
import { securityHeaders } from "../web/session.ts";

/**
 * Redirect SCA for consents: plain HTML forms that work without JavaScript and without cookies (a one-time
 * step token in a hidden field carries the PSU from the login to the TAN step), so any HTTP client can
 * complete them. Cancel returns the PSU to the TPP's nok URI.
 *
 * Whatever goes wrong is said on the page, in the PSU's language: where the PSU can act (a wrong TAN, a login
 * that is missing) on the form again; where the flow cannot go on (a used, failed or expired link, an account
 * the PSU cannot see, another user's approval) on a page of its own with a way back to the TPP.
 */
export function scaRoutes(deps: BankDeps) {
  const app = new Hono();

  /** The authorisation behind the link, or undefined for a link the bank does not know. */
  const load = async (c: Context) => {
    try {
      const pending = await consents.loadPendingSca(
        deps,
        c.req.param("consentId") ?? "",
        c.req.param("authorisationId") ?? "",
      );
      // Each form here may end in a redirect to the TPP, which form-action has to allow.
      const { redirect_uri, nok_redirect_uri } = pending.authorisation;
      securityHeaders(c, {
        formTargets: [redirect_uri, nok_redirect_uri].filter((u): u is string => u !== null),
      });
      return pending;
    } catch (error) {
      if (error instanceof AppError && error.code === "RESOURCE_UNKNOWN") return undefined;
      throw error;
    }
  };

  app.get("/consents/:consentId/:authorisationId", async (c) => {
    const pending = await load(c);
    if (!pending) return unknownLinkPage(c);
    const closed = await consents.scaClosedReason(deps, pending);
    if (closed) return closedPage(c, pending, closed);
    return c.html(loginPage(c, pending));
  });

  app.post("/consents/:consentId/:authorisationId", async (c) => {
    const pending = await load(c);
    if (!pending) return unknownLinkPage(c);
    const { t } = translator(c);
    const form = await c.req.parseBody({ all: true });
    const field = (name: string) => {
      const value = form[name];
      return typeof value === "string" ? value : "";
    };
    const step = field("step");
    if (step === "cancel") return c.redirect(await consents.scaCancel(deps, pending), 303);

    if (step === "login") {
      const attempt = await consents.scaLogin(deps, pending, {
        login: field("login"),
        password: field("password"),
        address: clientAddress(c),
      });
      const outcome = attempt.outcome;
      switch (outcome) {
        case "authenticated":
          return c.html(confirmPage(c, pending, attempt.token, attempt.accounts));
        case "throttled":
          c.header("Retry-After", retryAfterSeconds(deps, attempt.retryAt));
          return c.html(loginPage(c, pending, throttledMessage(c, attempt.retryAt)), 429);
        case "wrongCredentials":
          return c.html(loginPage(c, pending, t("login.failed")), 401);
        case "otherUser":
          return otherUserPage(c, pending);
        case "noAccess":
          return noAccessPage(c, pending, attempt.iban);
        case "closed":
          return closedPage(c, pending, attempt.reason);
        default: {
          const never: never = outcome;
          throw new Error(`unhandled outcome ${String(never)}`);
        }
      }
    }

    if (step === "confirm") {
      const raw = form.account;
      const accountIds = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
        (v): v is string => typeof v === "string",
      );
      const token = field("step_token");
      const result = await consents.scaConfirm(deps, pending, {
        stepToken: token,
        tan: field("tan"),
        accountIds,
      });
      const again = async (message: string) => {
        const accounts = await consents.viewableAccounts(deps, pending.authorisation.psu_id ?? "");
        return c.html(confirmPage(c, pending, token, accounts, { error: message, chosen: accountIds }), 400);
      };
      const outcome = result.outcome;
      switch (outcome) {
        case "finalised":
          return c.redirect(result.redirect, 303);
        case "tanWrong":
          return again(
            result.attemptsLeft === 1
              ? t("sca.tanWrong.one")
              : t("sca.tanWrong.other", { n: result.attemptsLeft }),
          );
        case "chooseAccount":
          return again(t("sca.chooseAccount"));
        case "loginFirst":
          return c.html(loginPage(c, pending, t("sca.loginFirst")), 401);
        case "tanFailed":
          return stopPage(c, pending, 400, {
            title: t("sca.stop.tanFailed.title"),
            message: t("sca.stop.tanFailed", { n: result.attempts, tpp: pending.tppName }),
            back: "nok",
          });
        case "noAccess":
          return noAccessPage(c, pending, result.iban);
        case "otherUser":
          return otherUserPage(c, pending);
        case "closed":
          return closedPage(c, pending, result.reason);
        default: {
          const never: never = outcome;
          throw new Error(`unhandled outcome ${String(never)}`);
        }
      }
    }

    if (step === "resume") {
      // The TAN step's language switch: the step token comes back in the body (it is a secret, never in a URL),
      // and the same step is shown in the language the form's ?lang= chose.
      const token = field("step_token");
      const result = await consents.scaResume(deps, pending, token);
      const outcome = result.outcome;
      switch (outcome) {
        case "tanStep":
          return c.html(confirmPage(c, pending, token, result.accounts));
        case "loginFirst":
          return c.html(loginPage(c, pending, t("sca.loginFirst")), 401);
        case "closed":
          return closedPage(c, pending, result.reason);
        default: {
          const never: never = outcome;
          throw new Error(`unhandled outcome ${String(never)}`);
        }
      }
    }

    // A form this page never sent (an old tab, a hand-made post): as long as the link is open, log in again.
    const closed = await consents.scaClosedReason(deps, pending);
    if (closed) return closedPage(c, pending, closed);
    return c.html(loginPage(c, pending, t("sca.unknownStep")), 400);
  });

  return app;
}

/** How each reason the flow cannot go on is answered: the page's status, its words, and where "back" leads. */
const CLOSED = {
  approved: { status: 409, key: "sca.closed.approved", back: "ok" },
  used: { status: 409, key: "sca.closed.used", back: "nok" },
  failed: { status: 409, key: "sca.closed.failed", back: "nok" },
  expired: { status: 410, key: "sca.closed.expired", back: "nok" },
  loginExpired: { status: 410, key: "sca.closed.loginExpired", back: "nok" },
  consentExpired: { status: 410, key: "sca.closed.consentExpired", back: "nok" },
  consentEnded: { status: 409, key: "sca.closed.consentEnded", back: "nok" },
} as const satisfies Record<consents.ScaClosed, { status: 409 | 410; key: MessageKey; back: "ok" | "nok" }>;

function closedPage(c: Context, pending: consents.PendingSca, reason: consents.ScaClosed) {
  const { t } = translator(c);
  const { status, key, back } = CLOSED[reason];
  const minutes =
    reason === "loginExpired" ? consents.SCA_STEP_LIFETIME_MINUTES : consents.SCA_LINK_LIFETIME_MINUTES;
  return stopPage(c, pending, status, {
    title: t(reason === "approved" ? "sca.closed.approved.title" : "sca.stop.title"),
    message: t(key, { tpp: pending.tppName, minutes }),
    back,
    good: reason === "approved",
  });
}

function noAccessPage(c: Context, pending: consents.PendingSca, iban: string) {
  const { t } = translator(c);
  return stopPage(c, pending, 403, {
    title: t("sca.stop.title"),
    message: t("sca.stop.noAccess", { tpp: pending.tppName, iban: formatIban(iban) }),
    back: "nok",
  });
}

/**
 * The PSU's password was right, but the consent is another PSU's. Said plainly, without naming whose it is;
 * the authorisation stays open for its owner, so the PSU may log in as someone else or go back (cancel).
 */
function otherUserPage(c: Context, pending: consents.PendingSca) {
  const { t } = translator(c);
  return c.html(
    page(
      c,
      t("sca.title"),
      html`<div class="card">
        <h1>${t("sca.otherUser.title")}</h1>
        <p class="error" role="alert">${t("sca.otherUser", { tpp: pending.tppName })}</p>
        <form method="post" action="${c.req.path}" class="actions">
          <input type="hidden" name="step" value="cancel" />
          <button type="submit">${t("sca.backToApp", { tpp: pending.tppName })}</button>
          <a class="button secondary" href="${c.req.path}">${t("sca.otherUser.relogin")}</a>
        </form>
      </div>`,
    ),
    403,
  );
}

/** A page where the flow ends: what happened, and a button back to the TPP (its ok or nok URI). */
function stopPage(
  c: Context,
  pending: consents.PendingSca,
  status: 400 | 403 | 409 | 410,
  content: { title: string; message: string; back: "ok" | "nok"; good?: boolean },
) {
  const { t } = translator(c);
  const back = consents.tppReturnUri(pending, content.back);
  return c.html(
    page(
      c,
      t("sca.title"),
      html`<div class="card">
        <h1>${content.title}</h1>
        ${
          content.good
            ? html`<p class="notice" role="status">${content.message}</p>`
            : html`<p class="error" role="alert">${content.message}</p>`
        }
        ${
          back
            ? html`<div class="actions"><a class="button" href="${back}">${t("sca.backToApp", { tpp: pending.tppName })}</a></div>`
            : html`<p class="muted">${t("sca.closeWindow")}</p>`
        }
      </div>`,
    ),
    status,
  );
}

/** A link the bank does not know: no TPP to send the PSU back to. */
function unknownLinkPage(c: Context) {
  const { t } = translator(c);
  return c.html(
    page(
      c,
      t("sca.title"),
      html`<div class="card">
        <h1>${t("sca.unknownLink.title")}</h1>
        <p class="error" role="alert">${t("sca.unknownLink")}</p>
        <p class="muted">${t("sca.closeWindow")}</p>
      </div>`,
    ),
    404,
  );
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
  accounts: consents.ViewableAccount[],
  /** After a failed try: the message, and the accounts the PSU had ticked (kept as they were). */
  retry?: { error: string; chosen: string[] },
) {
  const { t, lang } = translator(c);
  const { consent } = pending;
  const renewal = consent.status === "valid";
  const action = c.req.path;
  const choose = pending.needsAccountChoice && !renewal;
  const ticked = (id: string) => (retry ? retry.chosen.includes(id) : true);
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
      ${retry ? html`<p class="error" role="alert">${retry.error}</p>` : ""}
      <form method="post" action="${action}">
        <input type="hidden" name="step" value="confirm" />
        <input type="hidden" name="step_token" value="${token}" />
        ${
          choose
            ? html`<fieldset><legend>${t("sca.choose")}</legend>
                ${accounts.map(
                  (a) =>
                    html`<label><input type="checkbox" name="account" value="${a.id}"${ticked(a.id) ? " checked" : ""} /> ${a.name} · ${formatIban(a.iban)} (${a.currency})</label>`,
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
    undefined,
    // A GET of this path is the login step: switching the language must not throw the PSU's login away.
    { switchLanguageByPost: { step: "resume", step_token: token } },
  );
}
