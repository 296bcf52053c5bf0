import type { MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AppError } from "../errors.ts";
import type { Permission } from "../organisations/permissions.ts";
import { type AppContext, type AppEnv, isHttps, wantsJson } from "../web/context.ts";
import { type AuthContext, resolveSession } from "./auth.service.ts";

export const SESSION_COOKIE = "kontor_session";

/** Loads the session named by the cookie into `c.var.auth` (null when logged out). Runs on every request. */
export function sessionMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const auth = token ? await resolveSession(c.var.deps, token) : null;
    if (token && !auth) clearSessionCookie(c);
    c.set("auth", auth);
    await next();
  };
}

/**
 * Lets only logged-in users through. A browser navigating (GET, wanting HTML) is sent to the login page and
 * back afterwards; everyone else gets 401.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.var.auth) {
    if (c.req.method === "GET" && !wantsJson(c)) {
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    throw new AppError("unauthenticated");
  }
  await next();
};

/**
 * Lets only members holding `permission` in their current organisation through; others get 403 with a
 * localized page (or JSON) naming the missing permission. Includes requireAuth.
 */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return async (c, next) =>
    requireAuth(c, async () => {
      if (!getAuth(c).permissions.has(permission)) {
        throw new AppError("permission_required", { details: { permission } });
      }
      await next();
    });
}

/** The logged-in user in a handler behind requireAuth / requirePermission. */
export function getAuth(c: AppContext): AuthContext {
  const auth = c.var.auth;
  if (!auth) throw new AppError("unauthenticated");
  return auth;
}

export function setSessionCookie(c: AppContext, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c),
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: AppContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: isHttps(c) });
}
