import { Hono } from "hono";
import type { BankDeps } from "./deps.ts";
import { AppError } from "./errors.ts";
import { sandboxRoutes } from "./sandbox/sandbox.routes.ts";
import { scaRoutes } from "./sca/sca.routes.ts";
import { errorPage } from "./web/layout.ts";
import { webRoutes } from "./web/web.routes.ts";
import { tppMessages } from "./xs2a/xs2a.middleware.ts";
import { xs2aRoutes } from "./xs2a/xs2a.routes.ts";

/** Builds the bank; never listens (server.ts does), so tests call app.request() in process. */
export function createApp(deps: BankDeps) {
  const app = new Hono();

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.route("/xs2a/v1", xs2aRoutes(deps));
  app.route("/sca", scaRoutes(deps));
  if (deps.sandboxApi) app.route("/sandbox", sandboxRoutes(deps));
  app.route("/", webRoutes(deps));

  app.notFound((c) => {
    if (c.req.path.startsWith("/xs2a/")) {
      return c.json(tppMessages("SERVICE_INVALID", "This endpoint does not exist."), 405);
    }
    return c.html(errorPage(c, 404, "Not found"), 404);
  });

  // The one error boundary: AppErrors become tppMessages (XS2A) or a page (web); anything else is logged
  // with the request id and answered without details.
  app.onError((error, c) => {
    const xs2a = c.req.path.startsWith("/xs2a/");
    if (xs2a && !c.res.headers.get("X-Request-ID")) {
      c.header("X-Request-ID", c.req.header("X-Request-ID") ?? crypto.randomUUID());
    }
    if (error instanceof AppError) {
      if (xs2a) {
        return c.json(tppMessages(error.code, error.message, error.path), error.status as 400);
      }
      return c.html(errorPage(c, error.status, error.message), error.status as 400);
    }
    deps.log({
      level: "error",
      path: c.req.path,
      requestId: c.req.header("X-Request-ID"),
      error: String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    if (xs2a) return c.body(null, 500);
    return c.html(errorPage(c, 500, "Internal error"), 500);
  });

  return app;
}
