import { Hono } from "hono";
import { setCookie } from "hono/cookie";
import { sql } from "kysely";
import { type AppEnv, isHttps, safeLocalPath } from "./context.ts";
import { isLocale } from "./i18n.ts";

export const LANG_COOKIE = "lang";

export function webRoutes(options: { homePath: string }): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/", (c) => c.redirect(c.var.auth ? options.homePath : "/login", 303));

  /**
   * The language switch is a plain link, so it works on every page without JavaScript and before login.
   * A GET that sets a cookie is fine here: it only changes how pages are worded, and `next` must be local.
   */
  routes.get("/lang/:locale", (c) => {
    const locale = c.req.param("locale");
    const next = safeLocalPath(c.req.query("next"), "/");
    if (!isLocale(locale)) return c.notFound();
    setCookie(c, LANG_COOKIE, locale, {
      path: "/",
      maxAge: 365 * 24 * 60 * 60,
      sameSite: "Lax",
      httpOnly: true,
      secure: isHttps(c),
    });
    return c.redirect(next, 303);
  });

  /** For load balancers and `npm start`'s readiness wait: up when the database answers. */
  routes.get("/healthz", async (c) => {
    await sql`select 1`.execute(c.var.deps.db);
    c.header("Cache-Control", "no-store");
    return c.json({ status: "ok" });
  });

  return routes;
}
