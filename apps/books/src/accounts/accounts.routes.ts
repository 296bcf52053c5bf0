import { Hono } from "hono";
import { getAuth, requireAuth, requirePermission } from "../auth/auth.middleware.ts";
import type { AppEnv } from "../web/context.ts";
import { renderPage } from "../web/layout.ts";
import { type AccountSummary, accountsPage, addAccountPage } from "./accounts.views.ts";

/** Finances > Accounts. Every member may look; connecting needs Financial Accounting. */
export function accountsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/accounts", requireAuth, (c) => {
    // Bank accounts arrive with the XS2A connect flow (its own tables and service); until it lands no
    // organisation has one, and the page shows its empty state.
    const accounts: AccountSummary[] = [];
    const view = {
      t: c.var.t,
      locale: c.var.locale,
      canConnect: getAuth(c).permissions.has("financial_accounting"),
    };
    return renderPage(c, {
      title: c.var.t("accounts.title"),
      section: "accounts",
      body: accountsPage(view, accounts),
    });
  });

  routes.get("/accounts/new", requirePermission("financial_accounting"), (c) =>
    renderPage(c, { title: c.var.t("accounts.new.title"), section: "accounts", body: addAccountPage(c.var) }),
  );

  return routes;
}
