import { randomBytes } from "node:crypto";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import type { BankDeps } from "../deps.ts";
import { formatDateTime } from "../web/format.ts";
import { type MessageKey, translator } from "../web/i18n.ts";
import { page } from "../web/layout.ts";
import {
  CSRF_FIELD,
  clearSessionCookie,
  crossSite,
  csrfRefused,
  isSecure,
  LOGIN_CSRF_COOKIE,
  postedCsrf,
  requirePsu,
  safeNext,
  sessionToken,
  setSessionCookie,
  type WebEnv,
} from "../web/session.ts";
import { clientAddress } from "./client-address.ts";
import { attemptLogin } from "./login-throttle.service.ts";
import { endSession, resumeSession, sameToken, startSession } from "./sessions.service.ts";

/**
 * Online-banking login and logout. Before there is a session, the login form is protected against login CSRF
 * (a foreign site logging the browser into the attacker's account) by a double-submit token: a random
 * HttpOnly cookie that the form repeats in its hidden field; another site can neither read nor set it.
 */
export function loginRoutes(deps: BankDeps) {
  const app = new Hono<WebEnv>();

  app.get("/login", async (c) => {
    if (await resumeSession(deps, sessionToken(c))) return c.redirect(safeNext(c.req.query("next")), 303);
    const notice = c.req.query("loggedOut")
      ? "login.loggedOut"
      : c.req.query("expired")
        ? "login.expired"
        : c.req.query("next")
          ? "login.required"
          : undefined;
    return c.html(loginPage(c, deps, { next: safeNext(c.req.query("next")), notice }));
  });

  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const field = (name: string) => {
      const value = form[name];
      return typeof value === "string" ? value : "";
    };
    const cookie = getCookie(c, LOGIN_CSRF_COOKIE) ?? "";
    const supplied = await postedCsrf(c);
    if (crossSite(deps, c) || !cookie || !supplied || !sameToken(cookie, supplied)) return csrfRefused(c);
    const next = safeNext(field("next"));
    const login = field("login").trim();
    const attempt = await attemptLogin(deps, {
      login,
      password: field("password"),
      address: clientAddress(c),
    });
    if (attempt.outcome === "throttled") {
      c.header("Retry-After", retryAfterSeconds(deps, attempt.retryAt));
      return c.html(loginPage(c, deps, { next, error: throttledMessage(c, attempt.retryAt), login }), 429);
    }
    if (attempt.outcome === "wrong") {
      return c.html(loginPage(c, deps, { next, error: translator(c).t("login.failed"), login }), 401);
    }
    const { psu } = attempt;
    // A fresh token at every login (no session fixation); a session the browser still held ends here.
    await endSession(deps, sessionToken(c));
    const session = await startSession(deps, psu.id);
    setSessionCookie(deps, c, session.token, session.expiresAt);
    return c.redirect(next, 303);
  });

  app.post("/logout", requirePsu(deps), async (c) => {
    await endSession(deps, sessionToken(c));
    clearSessionCookie(deps, c);
    return c.redirect("/login?loggedOut=1", 303);
  });

  return app;
}

function loginCsrf(c: Context, deps: BankDeps): string {
  let token = getCookie(c, LOGIN_CSRF_COOKIE);
  if (!token || token.length < 32) {
    token = randomBytes(32).toString("base64url");
    setCookie(c, LOGIN_CSRF_COOKIE, token, {
      path: "/login",
      httpOnly: true,
      sameSite: "Strict",
      secure: isSecure(deps, c),
    });
  }
  return token;
}

function loginPage(
  c: Context,
  deps: BankDeps,
  options: { next: string; notice?: MessageKey | undefined; error?: string; login?: string },
) {
  const { t } = translator(c);
  const csrf = loginCsrf(c, deps);
  return page(
    c,
    t("login.title"),
    html`<div class="card narrow">
      <h1>${t("login.heading")}</h1>
      ${options.notice ? html`<p class="notice" role="status">${t(options.notice)}</p>` : ""}
      ${options.error ? html`<p class="notice bad" role="alert">${options.error}</p>` : ""}
      <form method="post" action="/login">
        <input type="hidden" name="${CSRF_FIELD}" value="${csrf}" />
        <input type="hidden" name="next" value="${options.next}" />
        <label for="login">${t("login.user")}</label>
        <input id="login" name="login" type="text" autocomplete="username" autocapitalize="none"
          spellcheck="false" required value="${options.login ?? ""}"${options.login ? "" : html` autofocus`} />
        <label for="password">${t("login.password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required${
          options.login ? html` autofocus` : ""
        } />
        <div class="actions"><button type="submit">${t("login.submit")}</button></div>
      </form>
      ${deps.sandboxApi ? html`<p class="muted">${t("login.sandboxHint")}</p>` : ""}
    </div>`,
  );
}

/** The refusal while a login or address is locked, with the time (in Berlin) from which to try again. */
export function throttledMessage(c: Context, retryAt: Date): string {
  const { t, lang } = translator(c);
  return t("login.throttled", { until: formatDateTime(lang, retryAt) });
}

export function retryAfterSeconds(deps: BankDeps, retryAt: Date): string {
  return String(Math.max(1, Math.ceil((retryAt.getTime() - deps.clock.now().getTime()) / 1000)));
}
