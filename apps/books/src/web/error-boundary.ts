import type { ErrorHandler, NotFoundHandler } from "hono";
import { html } from "hono/html";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { AppError, type ErrorCode } from "../errors.ts";
import { type AppContext, type AppEnv, wantsJson } from "./context.ts";
import { isMessageKey, type MessageKey, type MessageParams, negotiateLocale, translator } from "./i18n.ts";
import { renderPage } from "./layout.ts";

/** The only place errors become responses: a localized page, or JSON for `Accept: application/json`. */
export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  const appError = toAppError(error);
  const requestId = c.var.requestId ?? "-";
  if (appError.code === "internal") {
    c.var.deps?.logger.error("unhandled error", { requestId, method: c.req.method, path: c.req.path, error });
  } else if (appError.status >= 500) {
    c.var.deps?.logger.error(appError.message, { requestId, code: appError.code, error: appError.cause });
  }
  return renderError(c, appError);
};

export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
  renderError(c, new AppError("not_found", { message: `${c.req.method} ${c.req.path}` }));

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof z.ZodError) {
    return new AppError("validation_failed", {
      issues: error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
      cause: error,
    });
  }
  if (error instanceof HTTPException) {
    const code: ErrorCode =
      error.status === 400
        ? "bad_request"
        : error.status === 401
          ? "unauthenticated"
          : error.status === 403
            ? "forbidden"
            : error.status === 404
              ? "not_found"
              : error.status === 413
                ? "payload_too_large"
                : error.status === 429
                  ? "too_many_requests"
                  : "internal";
    return new AppError(code, { message: error.message, cause: error });
  }
  return new AppError("internal", {
    message: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}

function messageParams(c: AppContext, error: AppError): MessageParams {
  const t = c.var.t;
  const permission = error.details.permission;
  return typeof permission === "string" && isMessageKey(`permission.${permission}`)
    ? { permission: t(`permission.${permission}` as MessageKey) }
    : {};
}

function renderError(c: AppContext, error: AppError): Response | Promise<Response> {
  // Errors thrown before the locale middleware ran still answer in the user's language.
  if (!c.var.t) {
    const locale = negotiateLocale(undefined, c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", translator(locale));
  }
  if (c.var.auth === undefined) c.set("auth", null);
  const t = c.var.t;
  const title = t(`error.${error.code}.title`);
  const message = t(`error.${error.code}.message`, messageParams(c, error));
  const requestId = c.var.requestId ?? "-";
  c.header("Cache-Control", "no-store");
  if (wantsJson(c) || !c.var.deps) {
    return c.json(
      {
        error: {
          code: error.code,
          message,
          requestId,
          ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}),
          ...(error.issues.length > 0 ? { issues: error.issues } : {}),
        },
      },
      error.status,
    );
  }
  // Field-level issues go to API clients; forms show their own errors beside the fields.
  const auth = c.var.auth;
  const body = html`<section class="error-page card" aria-labelledby="error-title">
    <h1 id="error-title">${title}</h1>
    <p>${message}</p>
    <p>
      ${
        auth || error.code !== "unauthenticated"
          ? html`<a class="button primary" href="/">${t("error.home")}</a>`
          : html`<a class="button primary" href="/login">${t("error.login")}</a>`
      }
    </p>
    <p class="code">${t("error.requestId", { requestId })}</p>
  </section>`;
  return renderPage(c, { title, body }, error.status);
}
