import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { type AppEnv, safeLocalPath } from "../web/context.ts";
import { renderPage } from "../web/layout.ts";
import {
  clearSessionCookie,
  getAuth,
  requireAuth,
  SESSION_COOKIE,
  setSessionCookie,
} from "./auth.middleware.ts";
import { loginForm, switchOrganisationForm } from "./auth.schemas.ts";
import { login, logout, switchOrganisation } from "./auth.service.ts";
import { type LoginView, loginPage } from "./auth.views.ts";

export const HOME_PATH = "/accounts";

export function authRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/login", (c) => {
    const next = c.req.query("next");
    if (c.var.auth) return c.redirect(safeLocalPath(next, HOME_PATH), 303);
    return renderLogin(c, 200, { next: safeNext(next), loggedOut: c.req.query("loggedOut") === "1" });
  });

  routes.post("/login", async (c) => {
    const parsed = loginForm.safeParse(await c.req.parseBody());
    if (!parsed.success) return renderLogin(c, 400, { problem: { kind: "invalid" } });
    const { email, password } = parsed.data;
    const next = safeNext(parsed.data.next);
    const outcome = await login(c.var.deps, {
      email,
      password,
      requestId: c.var.requestId,
      replacesToken: getCookie(c, SESSION_COOKIE),
    });
    if (outcome.ok) {
      setSessionCookie(c, outcome.token, outcome.expiresAt);
      return c.redirect(next ?? HOME_PATH, 303);
    }
    switch (outcome.reason) {
      case "invalid_credentials":
        return renderLogin(c, 401, { email, next, problem: { kind: "invalid" } });
      case "throttled": {
        const seconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        c.header("Retry-After", String(seconds));
        return renderLogin(c, 429, {
          email,
          next,
          problem: { kind: "throttled", minutes: Math.ceil(seconds / 60) },
        });
      }
      case "no_organisation":
        return renderLogin(c, 403, { email, next, problem: { kind: "no_organisation" } });
      default:
        return outcome satisfies never;
    }
  });

  routes.post("/logout", requireAuth, async (c) => {
    await logout(c.var.deps, getAuth(c), c.var.requestId);
    clearSessionCookie(c);
    return c.redirect("/login?loggedOut=1", 303);
  });

  routes.post("/session/organisation", requireAuth, async (c) => {
    const form = switchOrganisationForm.parse(await c.req.parseBody());
    await switchOrganisation(c.var.deps, getAuth(c), form.organisationId, c.var.requestId);
    return c.redirect(HOME_PATH, 303);
  });

  return routes;
}

function safeNext(next: string | undefined): string | undefined {
  const path = safeLocalPath(next, "");
  return path === "" || path.startsWith("/login") ? undefined : path;
}

function renderLogin(
  c: Parameters<typeof renderPage>[0],
  status: 200 | 400 | 401 | 403 | 429,
  view: LoginView,
) {
  return renderPage(c, { title: c.var.t("login.title"), body: loginPage(c, view) }, status);
}
