import { consentsRequestSchema } from "@kontor/xs2a";
import { type Context, Hono } from "hono";
import { accountDetails, balancesOf, isAccountId } from "../accounts/accounts.service.ts";
import * as consents from "../consents/consents.service.ts";
import type { ConsentScope } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { requireRole } from "../tpps/tpps.service.ts";
import {
  checkPeriod,
  parseTransactionQuery,
  readGuardedContinuationPage,
  readTransactionDetails,
  readTransactions,
  today,
  transactionsResponseBody,
} from "../transactions/transactions.service.ts";
import {
  booleanHeader,
  checkHeaders,
  identifyTpp,
  maybeTruncate,
  psuIpAddress,
  requestId,
  sandboxFaults,
  type Xs2aEnv,
} from "./xs2a.middleware.ts";

/** The Berlin Group NextGenPSD2 1.3.12 account-information interface, mounted at /xs2a/v1. */
export function xs2aRoutes(deps: BankDeps) {
  const app = new Hono<Xs2aEnv>();
  app.use("*", requestId(), checkHeaders(), sandboxFaults(deps), identifyTpp(deps));
  // Every endpoint here is account information: consents and their authorisations as much as the reads.
  app.use("*", async (c, next) => {
    requireRole(c.get("tpp"), "PSP_AI");
    await next();
  });

  const scaPreferences = (c: Context<Xs2aEnv>) => ({
    psuId: c.req.header("PSU-ID") || undefined,
    psuIpAddress: psuIpAddress(c),
    redirectPreferred: booleanHeader(c, "TPP-Redirect-Preferred"),
    decoupledPreferred: booleanHeader(c, "TPP-Decoupled-Preferred"),
    explicitAuthorisation: booleanHeader(c, "TPP-Explicit-Authorisation-Preferred"),
    redirectUri: c.req.header("TPP-Redirect-URI") || undefined,
    nokRedirectUri: c.req.header("TPP-Nok-Redirect-URI") || undefined,
  });

  app.post("/consents", async (c) => {
    const prefs = scaPreferences(c);
    if (!prefs.psuIpAddress) {
      throw new AppError("FORMAT_ERROR", "The header PSU-IP-Address is missing.", { path: "PSU-IP-Address" });
    }
    const body = consentsRequestSchema.safeParse(await jsonBody(c.req.raw));
    if (!body.success) {
      const issue = body.error.issues[0]!;
      throw new AppError("FORMAT_ERROR", issue.message, { path: issue.path.join(".") || "body" });
    }
    const created = await consents.createConsent(deps, c.get("tpp"), body.data, prefs);
    c.header("Location", created.links.self!.href);
    c.header("ASPSP-SCA-Approach", created.approach);
    return c.json(
      {
        consentStatus: created.consentStatus,
        consentId: created.consentId,
        _links: created.links,
        ...(created.psuMessage ? { psuMessage: created.psuMessage } : {}),
      },
      201,
    );
  });

  app.get("/consents/:consentId", async (c) =>
    c.json(await consents.getConsentInformation(deps, c.get("tpp"), c.req.param("consentId"))),
  );
  app.get("/consents/:consentId/status", async (c) =>
    c.json(await consents.getConsentStatus(deps, c.get("tpp"), c.req.param("consentId"))),
  );
  app.delete("/consents/:consentId", async (c) => {
    await consents.deleteConsent(deps, c.get("tpp"), c.req.param("consentId"));
    return c.body(null, 204);
  });

  app.post("/consents/:consentId/authorisations", async (c) => {
    const started = await consents.startAuthorisation(
      deps,
      c.get("tpp"),
      c.req.param("consentId"),
      scaPreferences(c),
    );
    c.header("Location", started._links.scaStatus!.href);
    c.header("ASPSP-SCA-Approach", started.approach);
    const { approach: _, psuMessage, ...body } = started;
    return c.json({ ...body, ...(psuMessage ? { psuMessage } : {}) }, 201);
  });
  app.get("/consents/:consentId/authorisations", async (c) =>
    c.json(await consents.listAuthorisations(deps, c.get("tpp"), c.req.param("consentId"))),
  );
  app.get("/consents/:consentId/authorisations/:authorisationId", async (c) =>
    c.json(
      await consents.getAuthorisationStatus(
        deps,
        c.get("tpp"),
        c.req.param("consentId"),
        c.req.param("authorisationId"),
      ),
    ),
  );

  /** The guard and the account lookup shared by every read. */
  async function access(
    c: Context<Xs2aEnv>,
    accountId: string | null,
    scope: ConsentScope,
    usage: string | null,
    beforeCount?: consents.AccessRequest["beforeCount"],
  ) {
    const consentId = c.req.header("Consent-ID");
    if (!consentId)
      throw new AppError("FORMAT_ERROR", "The header Consent-ID is missing.", { path: "Consent-ID" });
    if (accountId !== null && !isAccountId(accountId)) {
      throw new AppError("RESOURCE_UNKNOWN", "No account with this id.", { path: "account-id" });
    }
    const granted = await consents.authorizeAccess(deps, {
      tpp: c.get("tpp"),
      consentId,
      accountId,
      scope,
      attended: psuIpAddress(c) !== undefined,
      usageResource: usage,
      beforeCount,
    });
    const entry = accountId === null ? undefined : granted.accounts.get(accountId);
    return { granted, account: entry?.account, scopes: entry?.scopes ?? new Set<ConsentScope>() };
  }

  app.get("/accounts", async (c) => {
    const withBalance = c.req.query("withBalance") === "true";
    const { granted } = await access(c, null, "accounts", "list");
    const list = await Promise.all(
      [...granted.accounts.values()].map(async ({ account: a, scopes: s }) =>
        accountDetails(deps, a, s, withBalance && s.has("balances") ? await balancesOf(deps, a) : undefined),
      ),
    );
    return c.json({ accounts: list });
  });

  app.get("/accounts/:accountId", async (c) => {
    const id = accountIdParam(c);
    const { account, scopes } = await access(c, id, "accounts", `${id}:details`);
    const withBalance = c.req.query("withBalance") === "true" && scopes.has("balances");
    return c.json({
      account: accountDetails(
        deps,
        account!,
        scopes,
        withBalance ? await balancesOf(deps, account!) : undefined,
      ),
    });
  });

  app.get("/accounts/:accountId/balances", async (c) => {
    const id = accountIdParam(c);
    const { account } = await access(c, id, "balances", `${id}:balances`);
    return c.json({
      account: { iban: account!.iban, currency: account!.currency },
      balances: await balancesOf(deps, account!),
    });
  });

  app.get("/accounts/:accountId/transactions", async (c) => {
    const id = accountIdParam(c);
    const query = parseTransactionQuery(c.req.query(), today(deps));
    // A continuation page is read with its access check in one statement; anything else, or a continuation
    // page that statement does not serve, takes the full guard.
    const consentId = c.req.header("Consent-ID");
    if (query.page && consentId && isAccountId(id)) {
      const page = await readGuardedContinuationPage(deps, {
        tppId: c.get("tpp").id,
        consentId,
        accountId: id,
        query,
      });
      if (page) return maybeTruncate(deps, c, jsonBytes(c, transactionsResponseBody(page)));
    }
    // A continuation page is part of the read that began with the first page: it does not count again.
    const { granted, account, scopes } = await access(
      c,
      id,
      "transactions",
      query.page ? null : `${id}:transactions`,
      (consent) => checkPeriod(query, consents.earliestReadableDate(deps, consent)),
    );
    const page = await readTransactions(deps, { consentId: granted.consent.id, account: account!, query });
    const balances =
      query.withBalance && !query.page && scopes.has("balances")
        ? await balancesOf(deps, account!)
        : undefined;
    return maybeTruncate(deps, c, jsonBytes(c, transactionsResponseBody(page, balances)));
  });

  app.get("/accounts/:accountId/transactions/:transactionId", async (c) => {
    const id = accountIdParam(c);
    let details: string | undefined;
    // Found and inside the 90-day window before the read is counted.
    await access(c, id, "transactions", `${id}:transactions`, async (consent) => {
      details = await readTransactionDetails(deps, {
        accountId: id,
        transactionId: c.req.param("transactionId"),
        earliest: consents.earliestReadableDate(deps, consent),
      });
    });
    return jsonText(c, details!);
  });

  return app;
}

/**
 * The account id of the path, in the form the bank issues it: an account id is a UUID, and a UUID in capitals
 * is the same id (PostgreSQL compares them so; the guard's lookups and the `_links` use the lower-case form).
 */
const accountIdParam = (c: Context<Xs2aEnv>) => (c.req.param("accountId") ?? "").toLowerCase();

/** A body that is JSON text already (the transactions are stored rendered). */
function jsonText(c: Context<Xs2aEnv>, text: string) {
  return c.body(text, 200, { "Content-Type": "application/json" });
}

/** The same, as UTF-8 bytes (the transactions pages pass the stored bytes on). */
function jsonBytes(c: Context<Xs2aEnv>, bytes: Uint8Array<ArrayBuffer>) {
  return c.body(bytes, 200, { "Content-Type": "application/json" });
}

async function jsonBody(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("json")) {
    throw new AppError("FORMAT_ERROR", "The body must be JSON (Content-Type: application/json).", {
      path: "body",
    });
  }
  try {
    return await request.json();
  } catch {
    throw new AppError("FORMAT_ERROR", "The body is not valid JSON.", { path: "body" });
  }
}
