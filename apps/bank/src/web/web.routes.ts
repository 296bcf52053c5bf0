import { Hono } from "hono";
import { accountsWeb } from "../accounts/accounts.web.ts";
import { bankingAppWeb } from "../banking-app/banking-app.web.ts";
import { connectedAppsWeb } from "../connected-apps/connected-apps.web.ts";
import type { BankDeps } from "../deps.ts";
import { loginRoutes } from "../psus/login.web.ts";
import type { WebEnv } from "./session.ts";

/**
 * The bank's own pages for its customers (online banking). Each feature guards its routes itself
 * (requirePsu per route, not a catch-all "*" middleware), so mounting at "/" never touches /xs2a or /sca.
 */
export function webRoutes(deps: BankDeps) {
  const app = new Hono<WebEnv>();
  app.route("/", loginRoutes(deps));
  app.route("/", accountsWeb(deps));
  app.route("/", connectedAppsWeb(deps));
  app.route("/", bankingAppWeb(deps));
  return app;
}
