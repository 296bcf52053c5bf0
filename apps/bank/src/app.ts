import { type Context, Hono } from "hono";
import type { BankDeps } from "./deps.ts";
import { AppError } from "./errors.ts";
import { sandboxRoutes } from "./sandbox/sandbox.routes.ts";
import { scaRoutes } from "./sca/sca.routes.ts";
import { translator } from "./web/i18n.ts";
import { errorPage } from "./web/layout.ts";
import { securityHeaders } from "./web/session.ts";
import { webRoutes } from "./web/web.routes.ts";
import { tppMessages } from "./xs2a/xs2a.middleware.ts";
import { xs2aRoutes } from "./xs2a/xs2a.routes.ts";

/** Builds the bank; never listens (server.ts does), so tests call app.request() in process. */
export function createApp(deps: BankDeps) {
  const app = new Hono();

  // The sandbox API is JSON both ways: its errors too, with the field they are about.
  const isSandboxApi = (c: Context) =>
    deps.sandboxApi && (c.req.path === "/sandbox" || c.req.path.startsWith("/sandbox/"));
  // Every page of the bank (online banking, SCA, error pages) gets the online-banking headers; the JSON
  // interfaces do not. The SCA pages widen form-action for their TPP (sca.routes.ts).
  app.use("*", async (c, next) => {
    if (!c.req.path.startsWith("/xs2a/") && c.req.path !== "/health" && !isSandboxApi(c)) securityHeaders(c);
    await next();
  });
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.route("/xs2a/v1", xs2aRoutes(deps));
  app.route("/sca", scaRoutes(deps));
  if (deps.sandboxApi) app.route("/sandbox", sandboxRoutes(deps));
  app.route("/", webRoutes(deps));

  app.notFound((c) => {
    if (c.req.path.startsWith("/xs2a/")) {
      return c.json(tppMessages("SERVICE_INVALID", "This endpoint does not exist."), 405);
    }
    if (isSandboxApi(c)) return c.json(sandboxError("RESOURCE_UNKNOWN", "No such sandbox endpoint."), 404);
    return c.html(errorPage(c, 404, translator(c).t("web.notFound")), 404);
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
      if (isSandboxApi(c)) {
        return c.json(sandboxError(error.code, error.message, error.path), error.status as 400);
      }
      // The service's text is English, written for TPPs; a page says what happened in the PSU's language.
      const { t } = translator(c);
      const text = error.status === 404 ? t("web.notFound") : t("web.requestFailed");
      return c.html(errorPage(c, error.status, text), error.status as 400);
    }
    deps.log({
      level: "error",
      path: c.req.path,
      requestId: c.req.header("X-Request-ID"),
      error: String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    if (xs2a) return c.body(null, 500);
    if (isSandboxApi(c)) return c.json(sandboxError("INTERNAL_ERROR", "Internal error."), 500);
    return c.html(errorPage(c, 500, translator(c).t("web.internalError")), 500);
  });

  return app;
}

function sandboxError(code: string, message: string, path?: string) {
  return { error: { code, message, ...(path ? { path } : {}) } };
}
