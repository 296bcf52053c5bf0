import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie } from "hono/cookie";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import type { Kysely } from "kysely";
import { accountsRoutes } from "./accounts/accounts.routes.ts";
import { auditRoutes } from "./audit/audit.routes.ts";
import { sessionMiddleware } from "./auth/auth.middleware.ts";
import { authRoutes, HOME_PATH } from "./auth/auth.routes.ts";
import { berlinDate } from "./calendar.ts";
import { sandboxBank } from "./connectors/bank-directory.ts";
import type { BankConnector } from "./connectors/connector.ts";
import { createXs2aConnector } from "./connectors/xs2a.connector.ts";
import type { BooksDatabase } from "./db/schema.ts";
import { AppError } from "./errors.ts";
import type { SyncQueue } from "./jobs/queue.ts";
import { createSecretBox } from "./security/secret-box.ts";
import {
  type AppConfig,
  type AppDeps,
  type AppEnv,
  type Clock,
  jsonLogger,
  type Logger,
} from "./web/context.ts";
import { csrfProtection } from "./web/csrf.ts";
import { handleError, handleNotFound } from "./web/error-boundary.ts";
import { negotiateLocale, translator } from "./web/i18n.ts";
import { staticAssets } from "./web/static.routes.ts";
import { LANG_COOKIE, webRoutes } from "./web/web.routes.ts";

export interface CreateAppDeps {
  db: Kysely<BooksDatabase>;
  clock: Clock;
  config: AppConfig;
  /** The started job queue (jobs/queue.ts startSyncQueue) on the same database. */
  jobs: SyncQueue;
  /** Defaults to JSON lines on stderr. */
  logger?: Logger;
}

/**
 * Request bodies are forms of a few fields. Document uploads, when they come, get their own route-level
 * limit mounted before this app's routes see the body.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the app and the sync worker share: database, clock, config, the secret box, the job queue and the bank connectors. */
export function createAppDeps(input: CreateAppDeps): AppDeps {
  const banks = [sandboxBank(input.config.bankBaseUrl), ...input.config.extraBanks];
  const connectors = new Map<string, BankConnector>();
  return {
    db: input.db,
    clock: input.clock,
    config: input.config,
    logger: input.logger ?? jsonLogger(),
    secretBox: createSecretBox(input.config.keys.atRest),
    jobs: input.jobs,
    banks,
    connectorFor(bankId) {
      let connector = connectors.get(bankId);
      if (!connector) {
        const bank = banks.find((b) => b.id === bankId);
        if (!bank) throw new AppError("not_found", { message: `bank ${bankId} is not in the directory` });
        connector = createXs2aConnector({
          baseUrl: bank.xs2aBaseUrl,
          tpp: input.config.tpp,
          client: input.config.xs2aClient ?? {},
          today: () => berlinDate(input.clock.now()),
        });
        connectors.set(bankId, connector);
      }
      return connector;
    },
  };
}

/** Builds the books web app. It never listens: server.ts serves it, tests call `app.request()`. */
export function createApp(input: CreateAppDeps): Hono<AppEnv> {
  const deps = createAppDeps(input);
  const { routes: staticRoutes, assets } = staticAssets();
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("assets", assets);
    const started = performance.now();
    await next();
    if (!c.req.path.startsWith("/static/")) {
      deps.logger.info("request", {
        requestId: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      });
    }
  });
  app.use(
    secureHeaders({
      // No inline script or style anywhere: the pages work without JavaScript and style comes from app.css.
      // form-action is left open on purpose: the XS2A connect flow redirects forms to the bank's SCA page.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "same-origin",
      xFrameOptions: "DENY",
    }),
  );
  app.use(async (c, next) => {
    const locale = negotiateLocale(getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
    c.set("locale", locale);
    c.set("t", translator(locale));
    c.header("Content-Language", locale);
    c.header("Vary", "Accept-Language, Cookie", { append: true });
    await next();
  });
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new AppError("payload_too_large");
      },
    }),
  );
  app.route("/", staticRoutes);
  app.use(sessionMiddleware());
  app.use(csrfProtection());

  app.route("/", webRoutes({ homePath: HOME_PATH }));
  app.route("/", authRoutes());
  app.route("/", accountsRoutes());
  app.route("/", auditRoutes());

  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}
