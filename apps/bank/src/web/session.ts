import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { BankDeps } from "../deps.ts";
import { type PsuSession, resumeSession, sameToken } from "../psus/sessions.service.ts";
import { tppRedirectOrigin } from "../tpps/redirect-uri.ts";
import { translator } from "./i18n.ts";
import { errorPage } from "./layout.ts";

/**
 * Session and CSRF handling of the bank's own pages (not of /sca, whose forms carry a one-time step token,
 * nor of the XS2A API). The cookie names carry "bank" because books runs on the same host in the demo, and
 * browsers share cookies across the ports of one host.
 */
export const SESSION_COOKIE = "kontor_bank_session";
export const LOGIN_CSRF_COOKIE = "kontor_bank_login";
export const CSRF_FIELD = "_csrf";

export interface WebEnv {
  Variables: { session: PsuSession };
}
export type WebContext = Context<WebEnv>;

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

export function isSecure(deps: BankDeps, c: Context) {
  return deps.publicUrl.startsWith("https:") || new URL(c.req.url).protocol === "https:";
}

export function setSessionCookie(deps: BankDeps, c: Context, token: string, expiresAt: Date) {
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isSecure(deps, c),
    expires: expiresAt,
  });
}

export function clearSessionCookie(deps: BankDeps, c: Context) {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isSecure(deps, c) });
}

export function sessionToken(c: Context): string {
  return getCookie(c, SESSION_COOKIE) ?? "";
}

/**
 * Headers every page of the bank gets: no framing (clickjacking on Approve/Revoke), no caching of account data.
 * `formTargets`: URIs a form may end up at besides the bank — browsers apply form-action to the redirect
 * that answers a post, and the SCA forms redirect to the TPP. Only plain origins go into the policy
 * (tppRedirectOrigin), so a stored URI can never add CSP syntax.
 */
export function securityHeaders(c: Context, options: { formTargets?: string[] } = {}) {
  const targets = (options.formTargets ?? [])
    .map((uri) => tppRedirectOrigin(uri))
    .filter((o) => o !== undefined);
  c.header("X-Frame-Options", "DENY");
  c.header(
    "Content-Security-Policy",
    `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action ${["'self'", ...new Set(targets)].join(" ")}; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("Referrer-Policy", "same-origin");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Cache-Control", "no-store");
}

/**
 * A state-changing request from another site is refused before its token is even looked at: browsers send
 * Origin on every cross-site POST and Sec-Fetch-Site on all requests. Clients that send neither (curl, tests)
 * are judged by the token alone.
 */
export function crossSite(deps: BankDeps, c: Context): boolean {
  if (c.req.header("Sec-Fetch-Site") === "cross-site") return true;
  const origin = c.req.header("Origin");
  if (origin === undefined || origin === "null") return origin === "null";
  return origin !== new URL(c.req.url).origin && origin !== new URL(deps.publicUrl).origin;
}

/** The `_csrf` field of a form post (hono caches the parsed body, so handlers read the same form). */
export async function postedCsrf(c: Context): Promise<string> {
  if (!FORM.test(c.req.header("Content-Type") ?? "")) return c.req.header("X-CSRF-Token") ?? "";
  const value = (await c.req.parseBody())[CSRF_FIELD];
  return typeof value === "string" ? value : "";
}

export function csrfRefused(c: Context) {
  const { t } = translator(c);
  return c.html(errorPage(c, 403, t("web.csrf.refused")), 403);
}

/** A local path to return to after login; anything else (absolute, protocol-relative, odd) becomes "/". */
export function safeNext(next: string | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/";
  return /^[\x21-\x7e]*$/.test(next) ? next : "/";
}

/**
 * Guards a page of online banking: a visitor without a live session is sent to the login (GET) or refused
 * (anything else, after the session ran out the form cannot be trusted); a POST must carry the session's
 * synchronizer token and come from our own origin, else it is answered 403 before the handler runs.
 */
export function requirePsu(deps: BankDeps): MiddlewareHandler<WebEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const session = await resumeSession(deps, token);
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    if (!session) {
      if (token) clearSessionCookie(deps, c);
      if (!safe) return c.redirect("/login?expired=1", 303);
      const url = new URL(c.req.url);
      const here = `${url.pathname}${url.search}`;
      return c.redirect(here === "/" ? "/login" : `/login?next=${encodeURIComponent(here)}`, 303);
    }
    if (!safe) {
      if (crossSite(deps, c)) return csrfRefused(c);
      const supplied = await postedCsrf(c);
      if (!supplied || !sameToken(supplied, session.csrfToken)) return csrfRefused(c);
    }
    c.set("session", session);
    await next();
  };
}
