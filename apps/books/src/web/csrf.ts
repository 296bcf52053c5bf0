import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { csrf as originCheck } from "hono/csrf";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../errors.ts";
import { hmacBase64url, randomToken, safeEqual } from "../security/keys.ts";
import { type AppContext, type AppEnv, isHttps } from "./context.ts";

/**
 * CSRF protection for every state-changing browser request (POST, PUT, PATCH, DELETE), in two layers:
 *
 * 1. hono's origin check: a form post must come from our own origin (Origin or Sec-Fetch-Site header).
 * 2. A synchronizer token in the hidden `_csrf` field or the `X-CSRF-Token` header:
 *    - with a session, the session's own random token (stored with the session, so it dies with it);
 *    - without one (the login form), a signed double-submit token: a random cookie plus its HMAC under a
 *      key only the server knows, so a cookie planted from a sibling domain cannot be paired with a token.
 *
 * A refused request throws AppError("csrf_failed") before any handler runs, so it changes nothing.
 */

export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "x-csrf-token";
export const PRE_SESSION_COOKIE = "kontor_csrf";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const FORM_CONTENT = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;

export function csrfProtection(): MiddlewareHandler<AppEnv> {
  const checkOrigin = originCheck({
    origin: (origin, c) => origin === new URL(c.req.url).origin || origin === c.var.deps.config.publicUrl,
  });
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    try {
      await checkOrigin(c, async () => {});
    } catch (error) {
      if (error instanceof HTTPException && error.status === 403) {
        throw new AppError("csrf_failed", { message: "origin check failed", cause: error });
      }
      throw error;
    }
    const supplied = await suppliedToken(c);
    const expected = expectedToken(c);
    if (!supplied || !expected || !safeEqual(supplied, expected)) {
      throw new AppError("csrf_failed", { message: supplied ? "CSRF token mismatch" : "CSRF token missing" });
    }
    await next();
  };
}

async function suppliedToken(c: AppContext): Promise<string | undefined> {
  const header = c.req.header(CSRF_HEADER);
  if (header) return header;
  if (!FORM_CONTENT.test(c.req.header("content-type") ?? "")) return undefined;
  // hono caches the parsed body, so the route's own parseBody() reads the same form.
  const field = (await c.req.parseBody())[CSRF_FIELD];
  return typeof field === "string" ? field : undefined;
}

function expectedToken(c: AppContext): string | undefined {
  const auth = c.var.auth;
  if (auth) return auth.session.csrfToken;
  const cookie = getCookie(c, PRE_SESSION_COOKIE);
  return cookie ? hmacBase64url(c.var.deps.config.keys.csrf, cookie) : undefined;
}

/** The token a form rendered in this response must carry; sets the pre-session cookie when needed. */
export function csrfToken(c: AppContext): string {
  const auth = c.var.auth;
  if (auth) return auth.session.csrfToken;
  let cookie = getCookie(c, PRE_SESSION_COOKIE);
  if (!cookie || cookie.length < 32) {
    cookie = randomToken();
    setCookie(c, PRE_SESSION_COOKIE, cookie, {
      path: "/",
      httpOnly: true,
      sameSite: "Lax",
      secure: isHttps(c),
    });
  }
  return hmacBase64url(c.var.deps.config.keys.csrf, cookie);
}

/** `<input type="hidden" name="_csrf">` for a form in this response. */
export function csrfField(c: AppContext) {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrfToken(c)}" />`;
}
