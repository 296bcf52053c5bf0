import { Hono } from "hono";
import { getAuth, requireAuth } from "../auth/auth.middleware.ts";
import { type AppEnv, wantsJson } from "../web/context.ts";
import { renderPage } from "../web/layout.ts";
import { auditPageQuery } from "./audit.schemas.ts";
import { listAuditEntries } from "./audit.service.ts";
import { auditPage } from "./audit.views.ts";

/** The audit log of the current organisation; every member may read it. */
export function auditRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/audit", requireAuth, async (c) => {
    const query = auditPageQuery.parse(c.req.query());
    const auth = getAuth(c);
    const page = await listAuditEntries(c.var.deps.db, auth.organisation.id, { before: query.before });
    if (wantsJson(c)) {
      return c.json({
        entries: page.entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
        olderBefore: page.olderBefore,
      });
    }
    return renderPage(c, {
      title: c.var.t("audit.title"),
      section: "audit",
      body: auditPage(c, page, query.before === undefined),
    });
  });
  return routes;
}
