import { createHash, randomBytes } from "node:crypto";
import { normalizeIban } from "@kontor/money";
import type { AccountAccessRequest as AccountAccess, ConsentsRequest } from "@kontor/xs2a";
import type { Kysely, Transaction } from "kysely";
import { addDays, berlinDate } from "../clock.ts";
import type { Account, BankDB, Consent, ConsentScope, ConsentStatus } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { attemptLogin } from "../psus/login-throttle.service.ts";
import type { Tpp } from "../tpps/tpps.service.ts";
import * as repo from "./consents.repository.ts";

/** PSD2 RTS Art. 10a / 36(5): consents live at most 180 days, and unattended reads are limited to 4 a day. */
export const MAX_VALIDITY_DAYS = 180;
export const MAX_UNATTENDED_READS_PER_DAY = 4;
/** Without SCA within this window, only the last 90 days of transactions may be read (RTS Art. 10a). */
export const HISTORY_WITHOUT_SCA_DAYS = 90;
export const FRESH_SCA_MINUTES = 60;
export const SCA_RENEWAL_DAYS = 180;
const MAX_TAN_ATTEMPTS = 3;

export interface ScaPreferences {
  psuId?: string | undefined;
  psuIpAddress?: string | undefined;
  redirectPreferred?: boolean | undefined;
  decoupledPreferred?: boolean | undefined;
  explicitAuthorisation?: boolean | undefined;
  redirectUri?: string | undefined;
  nokRedirectUri?: string | undefined;
}

type Links = Record<string, { href: string }>;
type Db = Kysely<BankDB> | Transaction<BankDB>;

const newId = (bytes = 18) => randomBytes(bytes).toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function consentUrl(deps: BankDeps, id: string) {
  return `${deps.publicUrl}/xs2a/v1/consents/${id}`;
}

function scaRedirectUrl(deps: BankDeps, consentId: string, authorisationId: string) {
  return `${deps.publicUrl}/sca/consents/${consentId}/${authorisationId}`;
}

function chooseApproach(prefs: ScaPreferences): "REDIRECT" | "DECOUPLED" {
  if (prefs.decoupledPreferred === true || prefs.redirectPreferred === false) return "DECOUPLED";
  return "REDIRECT";
}

async function findPsuIdByLogin(deps: BankDeps, login: string): Promise<string> {
  const psu = await deps.db.selectFrom("psus").select("id").where("login", "=", login).executeTakeFirst();
  if (!psu)
    throw new AppError("PSU_CREDENTIALS_INVALID", `No PSU with PSU-ID "${login}".`, { path: "PSU-ID" });
  return psu.id;
}

function validateRedirect(prefs: ScaPreferences) {
  if (!prefs.redirectUri) {
    throw new AppError("FORMAT_ERROR", "TPP-Redirect-URI is required for the redirect SCA approach.", {
      path: "TPP-Redirect-URI",
    });
  }
  for (const [name, uri] of [
    ["TPP-Redirect-URI", prefs.redirectUri],
    ["TPP-Nok-Redirect-URI", prefs.nokRedirectUri],
  ] as const) {
    if (uri !== undefined && !URL.canParse(uri)) {
      throw new AppError("FORMAT_ERROR", `${name} is not an absolute URI.`, { path: name });
    }
  }
}

/** Checks the SCA preferences before anything is written, so a bad header leaves no half-made consent. */
async function prepareAuthorisation(deps: BankDeps, prefs: ScaPreferences) {
  const approach = chooseApproach(prefs);
  if (approach === "REDIRECT") {
    validateRedirect(prefs);
    return { approach, psuId: null };
  }
  if (!prefs.psuId) {
    throw new AppError("FORMAT_ERROR", "PSU-ID is required for the decoupled SCA approach.", {
      path: "PSU-ID",
    });
  }
  return { approach, psuId: await findPsuIdByLogin(deps, prefs.psuId) };
}

/** Creates the authorisation sub-resource and the links that tell the TPP how to continue. */
async function createAuthorisation(
  deps: BankDeps,
  db: Db,
  consentId: string,
  prefs: ScaPreferences,
  prepared: Awaited<ReturnType<typeof prepareAuthorisation>>,
) {
  const id = newId(12);
  await repo.insertAuthorisation(db, {
    id,
    consent_id: consentId,
    sca_approach: prepared.approach,
    psu_id: prepared.psuId,
    redirect_uri: prefs.redirectUri ?? null,
    nok_redirect_uri: prefs.nokRedirectUri ?? null,
    now: deps.clock.now(),
  });
  const links: Links = {
    scaStatus: { href: `${consentUrl(deps, consentId)}/authorisations/${id}` },
  };
  if (prepared.approach === "REDIRECT") links.scaRedirect = { href: scaRedirectUrl(deps, consentId, id) };
  const psuMessage =
    prepared.approach === "DECOUPLED"
      ? "Please confirm the request in your Kontor Sandbox Bank app."
      : undefined;
  return { id, approach: prepared.approach, links, psuMessage };
}

function checkAccessShape(access: AccountAccess) {
  const lists = [access.accounts, access.balances, access.transactions];
  const global = [access.availableAccounts, access.availableAccountsWithBalance, access.allPsd2].filter(
    Boolean,
  );
  if (global.length > 1) {
    throw new AppError(
      "FORMAT_ERROR",
      "Use only one of availableAccounts, availableAccountsWithBalance, allPsd2.",
      {
        path: "access",
      },
    );
  }
  if (global.length === 1 && lists.some((l) => l && l.length > 0)) {
    throw new AppError(
      "FORMAT_ERROR",
      "Account lists cannot be combined with availableAccounts or allPsd2.",
      {
        path: "access",
      },
    );
  }
  if (global.length === 0 && lists.every((l) => l === undefined)) {
    throw new AppError(
      "FORMAT_ERROR",
      "access must name accounts, balances, transactions, or a global scope.",
      {
        path: "access",
      },
    );
  }
  for (const [key, list] of [
    ["accounts", access.accounts],
    ["balances", access.balances],
    ["transactions", access.transactions],
  ] as const) {
    for (const [i, ref] of (list ?? []).entries()) {
      if (!ref.iban) {
        throw new AppError("PARAMETER_NOT_SUPPORTED", "This bank addresses accounts by IBAN only.", {
          path: `access.${key}[${i}]`,
        });
      }
      if (!normalizeIban(ref.iban)) {
        throw new AppError("FORMAT_ERROR", `"${ref.iban}" is not a valid IBAN.`, {
          path: `access.${key}[${i}].iban`,
        });
      }
    }
  }
}

export async function createConsent(deps: BankDeps, tpp: Tpp, body: ConsentsRequest, prefs: ScaPreferences) {
  checkAccessShape(body.access);
  const now = deps.clock.now();
  const today = berlinDate(now);
  if (body.validUntil < today) {
    throw new AppError("FORMAT_ERROR", "validUntil lies in the past.", { path: "validUntil" });
  }
  if (!body.recurringIndicator && body.frequencyPerDay !== 1) {
    throw new AppError(
      "FORMAT_ERROR",
      "A one-off consent (recurringIndicator false) has frequencyPerDay 1.",
      {
        path: "frequencyPerDay",
      },
    );
  }
  // The bank may shorten what the TPP asks for; GET /consents/{id} then shows what was granted.
  const validUntil = [body.validUntil, addDays(today, MAX_VALIDITY_DAYS)].sort()[0]!;
  const frequency = Math.min(body.frequencyPerDay, MAX_UNATTENDED_READS_PER_DAY);
  const id = newId();
  const prepared = prefs.explicitAuthorisation ? null : await prepareAuthorisation(deps, prefs);
  return deps.db.transaction().execute(async (trx) => {
    await repo.insertConsent(trx, {
      id,
      tpp_id: tpp.id,
      psu_id: null,
      access: body.access,
      recurring: body.recurringIndicator,
      valid_until: validUntil,
      frequency_per_day: frequency,
      combined: body.combinedServiceIndicator,
      now,
    });
    const links: Links = {
      self: { href: consentUrl(deps, id) },
      status: { href: `${consentUrl(deps, id)}/status` },
    };
    if (!prepared) {
      links.startAuthorisation = { href: `${consentUrl(deps, id)}/authorisations` };
      return {
        consentId: id,
        consentStatus: "received" as const,
        approach: chooseApproach(prefs),
        links,
        psuMessage: undefined,
      };
    }
    const authorisation = await createAuthorisation(deps, trx, id, prefs, prepared);
    return {
      consentId: id,
      consentStatus: "received" as const,
      approach: authorisation.approach,
      links: { ...links, ...authorisation.links },
      psuMessage: authorisation.psuMessage,
    };
  });
}

/** Loads a consent of this TPP, applying expiry on the way (validUntil is inclusive). */
export async function loadConsent(deps: BankDeps, tpp: Tpp, id: string): Promise<Consent> {
  const consent = await repo.findConsent(deps.db, id);
  if (!consent || consent.tpp_id !== tpp.id) {
    throw new AppError("CONSENT_UNKNOWN", "No consent with this id for this TPP.", { path: "consentId" });
  }
  return expireIfDue(deps, consent);
}

async function expireIfDue(deps: BankDeps, consent: Consent): Promise<Consent> {
  const now = deps.clock.now();
  if (
    (consent.status === "valid" || consent.status === "received") &&
    consent.valid_until < berlinDate(now)
  ) {
    await repo.setConsentStatus(deps.db, consent.id, "expired", now);
    return { ...consent, status: "expired" };
  }
  return consent;
}

export async function getConsentInformation(deps: BankDeps, tpp: Tpp, id: string) {
  const consent = await loadConsent(deps, tpp, id);
  // The spec's last action is one "having an impact on the status", so reads do not move it.
  const lastAction = consent.status_changed_at;
  return {
    access: consent.access as AccountAccess,
    recurringIndicator: consent.recurring,
    validUntil: consent.valid_until,
    frequencyPerDay: consent.frequency_per_day,
    lastActionDate: berlinDate(lastAction),
    consentStatus: consent.status,
    _links: { account: { href: `${deps.publicUrl}/xs2a/v1/accounts` } },
  };
}

export async function getConsentStatus(deps: BankDeps, tpp: Tpp, id: string) {
  const consent = await loadConsent(deps, tpp, id);
  return { consentStatus: consent.status };
}

const FINAL: ReadonlySet<ConsentStatus> = new Set(["rejected", "revokedByPsu", "expired", "terminatedByTpp"]);

export async function deleteConsent(deps: BankDeps, tpp: Tpp, id: string) {
  const consent = await loadConsent(deps, tpp, id);
  if (!FINAL.has(consent.status))
    await repo.setConsentStatus(deps.db, id, "terminatedByTpp", deps.clock.now());
}

export async function startAuthorisation(deps: BankDeps, tpp: Tpp, consentId: string, prefs: ScaPreferences) {
  const consent = await loadConsent(deps, tpp, consentId);
  // A valid consent may be authorised again: that is how a TPP renews SCA (90-day history, 180-day rule).
  if (
    consent.status !== "received" &&
    consent.status !== "valid" &&
    consent.status !== "partiallyAuthorised"
  ) {
    throw new AppError("STATUS_INVALID", `The consent is ${consent.status}; it cannot be authorised.`);
  }
  const prepared = await prepareAuthorisation(deps, prefs);
  // A consent belongs to the PSU who first authorised it: a renewal sent to another PSU's app is refused
  // here, before anyone is asked to approve it.
  if (prepared.psuId && consent.psu_id && prepared.psuId !== consent.psu_id) {
    throw new AppError("PSU_CREDENTIALS_INVALID", "This consent belongs to another user.", {
      path: "PSU-ID",
    });
  }
  const authorisation = await createAuthorisation(deps, deps.db, consentId, prefs, prepared);
  return {
    scaStatus: "received" as const,
    authorisationId: authorisation.id,
    approach: authorisation.approach,
    _links: authorisation.links,
    psuMessage: authorisation.psuMessage,
  };
}

export async function listAuthorisations(deps: BankDeps, tpp: Tpp, consentId: string) {
  await loadConsent(deps, tpp, consentId);
  const rows = await repo.listAuthorisationIds(deps.db, consentId);
  return { authorisationIds: rows.map((r) => r.id) };
}

export async function getAuthorisationStatus(
  deps: BankDeps,
  tpp: Tpp,
  consentId: string,
  authorisationId: string,
) {
  await loadConsent(deps, tpp, consentId);
  const authorisation = await repo.findAuthorisation(deps.db, consentId, authorisationId);
  if (!authorisation) {
    throw new AppError("RESOURCE_UNKNOWN", "No such authorisation.", {
      status: 403,
      path: "authorisationId",
    });
  }
  return { scaStatus: authorisation.sca_status };
}

// ---------------------------------------------------------------------------------------------------------
// The PSU's side: redirect pages and the mobile app.

export interface PendingSca {
  consent: Consent;
  authorisation: NonNullable<Awaited<ReturnType<typeof repo.findAuthorisation>>>;
  tppName: string;
  /** Accounts the PSU may choose from (their viewable accounts), when the consent lets the PSU choose. */
  needsAccountChoice: boolean;
}

export async function loadPendingSca(
  deps: BankDeps,
  consentId: string,
  authorisationId: string,
): Promise<PendingSca> {
  const consent = await repo.findConsent(deps.db, consentId);
  const authorisation = consent
    ? await repo.findAuthorisation(deps.db, consentId, authorisationId)
    : undefined;
  if (!consent || !authorisation)
    throw new AppError("RESOURCE_UNKNOWN", "This authorisation link is not valid.");
  const tpp = await deps.db
    .selectFrom("tpps")
    .select("name")
    .where("id", "=", consent.tpp_id)
    .executeTakeFirstOrThrow();
  const access = consent.access as AccountAccess;
  const lists = [access.accounts, access.balances, access.transactions];
  const needsAccountChoice =
    !access.availableAccounts &&
    !access.availableAccountsWithBalance &&
    !access.allPsd2 &&
    lists.every((l) => !l?.length);
  return { consent: await expireIfDue(deps, consent), authorisation, tppName: tpp.name, needsAccountChoice };
}

function assertOpen(pending: PendingSca) {
  const status = pending.authorisation.sca_status;
  if (status === "finalised" || status === "failed" || status === "exempted") {
    throw new AppError("STATUS_INVALID", `This authorisation is already ${status}.`);
  }
  if (pending.consent.status !== "received" && pending.consent.status !== "valid") {
    throw new AppError("STATUS_INVALID", `The consent is ${pending.consent.status}.`);
  }
}

/**
 * The SCA page's login, under the same password throttle as the online-banking login. A throttled attempt
 * changes nothing on the authorisation: the PSU is told on the bank's page, the TPP's consent waits as it is.
 */
export async function scaLogin(
  deps: BankDeps,
  pending: PendingSca,
  credentials: { login: string; password: string; address: string },
): Promise<{ outcome: "authenticated"; token: string } | { outcome: "throttled"; retryAt: Date }> {
  assertOpen(pending);
  const attempt = await attemptLogin(deps, credentials);
  if (attempt.outcome === "throttled") return attempt;
  if (attempt.outcome === "wrong")
    throw new AppError("PSU_CREDENTIALS_INVALID", "Login or password is wrong.");
  const psu = attempt.psu;
  if (pending.consent.psu_id && pending.consent.psu_id !== psu.id) {
    throw new AppError("PSU_CREDENTIALS_INVALID", "This consent belongs to another user.");
  }
  const token = newId(24);
  await repo.updateAuthorisation(deps.db, pending.authorisation.id, {
    sca_status: "psuAuthenticated",
    psu_id: psu.id,
    step_token_hash: sha256(token),
    now: deps.clock.now(),
  });
  return { outcome: "authenticated", token };
}

export async function viewableAccounts(deps: BankDeps, psuId: string) {
  return deps.db
    .selectFrom("memberships")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .select(["accounts.id", "accounts.iban", "accounts.name", "accounts.currency", "accounts.parent_id"])
    .where("memberships.psu_id", "=", psuId)
    .where("memberships.can_view", "=", true)
    .where("accounts.status", "=", "enabled")
    .orderBy("accounts.parent_id", (ob) => ob.nullsFirst())
    .orderBy("accounts.iban")
    .execute();
}

/** Resolves what the consent grants on which of the PSU's accounts; an IBAN the PSU cannot see fails SCA. */
function resolveGrant(
  access: AccountAccess,
  accounts: { id: string; iban: string; currency: string }[],
  chosenIds: string[] | undefined,
): { rows: { account_id: string; scope: ConsentScope }[]; access: AccountAccess } {
  const byIban = new Map(accounts.map((a) => [a.iban, a]));
  const all = (scopes: ConsentScope[], list = accounts) =>
    list.flatMap((a) => scopes.map((scope) => ({ account_id: a.id, scope })));
  if (access.allPsd2) return { rows: all(["accounts", "balances", "transactions"]), access };
  if (access.availableAccountsWithBalance) return { rows: all(["accounts", "balances"]), access };
  if (access.availableAccounts) return { rows: all(["accounts"]), access };
  const lists = {
    accounts: access.accounts ?? [],
    balances: access.balances ?? [],
    transactions: access.transactions ?? [],
  };
  if (chosenIds !== undefined) {
    // A bank-offered consent: the PSU picked the accounts; the TPP gets all three kinds of access to them.
    const chosen = accounts.filter((a) => chosenIds.includes(a.id));
    if (chosen.length === 0) throw new AppError("FORMAT_ERROR", "Choose at least one account.");
    const refs = chosen.map((a) => ({ iban: a.iban, currency: a.currency }));
    return {
      rows: all(["accounts", "balances", "transactions"], chosen),
      access: { accounts: refs, balances: refs, transactions: refs },
    };
  }
  const rows: { account_id: string; scope: ConsentScope }[] = [];
  const seen = new Set<string>();
  for (const scope of ["accounts", "balances", "transactions"] as const) {
    for (const ref of lists[scope]) {
      const account = byIban.get(normalizeIban(ref.iban ?? "") ?? "");
      if (!account) throw new AppError("CONSENT_INVALID", `You have no access to the account ${ref.iban}.`);
      // Balances and transactions imply the account itself may be listed.
      for (const s of scope === "accounts" ? (["accounts"] as const) : ([scope, "accounts"] as const)) {
        const key = `${account.id}:${s}`;
        if (!seen.has(key)) {
          seen.add(key);
          rows.push({ account_id: account.id, scope: s });
        }
      }
    }
  }
  return { rows, access };
}

/** Step 2 of redirect SCA: the TAN (and, for a bank-offered consent, the chosen accounts). Returns where to go. */
export async function scaConfirm(
  deps: BankDeps,
  pending: PendingSca,
  input: { stepToken: string; tan: string; accountIds?: string[] | undefined },
): Promise<string> {
  assertOpen(pending);
  const { authorisation } = pending;
  if (!authorisation.psu_id || authorisation.step_token_hash !== sha256(input.stepToken)) {
    throw new AppError("STATUS_INVALID", "Please log in first.");
  }
  await finishSca(deps, pending, authorisation.psu_id, input.tan, input.accountIds);
  return authorisation.redirect_uri ?? deps.publicUrl;
}

async function finishSca(
  deps: BankDeps,
  pending: PendingSca,
  psuId: string,
  tan: string,
  accountIds: string[] | undefined,
) {
  const { authorisation, consent } = pending;
  const now = deps.clock.now();
  // The last line of defence for the rule above and scaLogin's: another PSU never takes a consent over.
  if (consent.psu_id && consent.psu_id !== psuId) {
    throw new AppError("PSU_CREDENTIALS_INVALID", "This consent belongs to another user.");
  }
  const psu = await deps.db
    .selectFrom("psus")
    .select("tan")
    .where("id", "=", psuId)
    .executeTakeFirstOrThrow();
  if (tan.trim() !== psu.tan) {
    const attempts = authorisation.failed_attempts + 1;
    const failed = attempts >= MAX_TAN_ATTEMPTS;
    await repo.updateAuthorisation(deps.db, authorisation.id, {
      failed_attempts: attempts,
      ...(failed ? { sca_status: "failed" as const } : {}),
      now,
    });
    if (failed && consent.status === "received")
      await repo.setConsentStatus(deps.db, consent.id, "rejected", now);
    throw new AppError(
      "SCA_INVALID",
      failed ? "The TAN was wrong three times; the authorisation failed." : "The TAN is wrong.",
    );
  }
  const accounts = await viewableAccounts(deps, psuId);
  await deps.db.transaction().execute(async (trx) => {
    if (consent.status === "valid" && consent.psu_id === psuId) {
      // Renewal of SCA on a consent already in force: the grant stays as it is.
      await repo.renewConsentSca(trx, consent.id, now);
    } else {
      const grant = resolveGrant(
        consent.access as AccountAccess,
        accounts,
        pending.needsAccountChoice ? (accountIds ?? []) : undefined,
      );
      await repo.replaceConsentAccounts(trx, consent.id, grant.rows);
      await repo.markConsentAuthorised(trx, consent.id, { psuId, access: grant.access, now });
    }
    await repo.updateAuthorisation(trx, authorisation.id, {
      sca_status: "finalised",
      step_token_hash: null,
      now,
    });
  });
}

/** The PSU cancels (or the bank gives up): the TPP's nok URI, else its redirect URI. */
export async function scaCancel(deps: BankDeps, pending: PendingSca): Promise<string> {
  const now = deps.clock.now();
  const { authorisation, consent } = pending;
  if (authorisation.sca_status !== "finalised") {
    await repo.updateAuthorisation(deps.db, authorisation.id, {
      sca_status: "failed",
      step_token_hash: null,
      now,
    });
    if (consent.status === "received") await repo.setConsentStatus(deps.db, consent.id, "rejected", now);
  }
  return authorisation.nok_redirect_uri ?? authorisation.redirect_uri ?? deps.publicUrl;
}

/** Decoupled SCA, confirmed in the bank's app by the logged-in PSU. */
export async function approveDecoupled(
  deps: BankDeps,
  psuId: string,
  consentId: string,
  authorisationId: string,
  input: { tan: string; accountIds?: string[] | undefined },
) {
  const pending = await loadPendingSca(deps, consentId, authorisationId);
  assertOpen(pending);
  if (pending.authorisation.sca_approach !== "DECOUPLED" || pending.authorisation.psu_id !== psuId) {
    throw new AppError("RESOURCE_UNKNOWN", "No such request for you.");
  }
  await finishSca(deps, pending, psuId, input.tan, input.accountIds);
}

export async function listDecoupledRequests(deps: BankDeps, psuId: string) {
  return deps.db
    .selectFrom("authorisations")
    .innerJoin("consents", "consents.id", "authorisations.consent_id")
    .innerJoin("tpps", "tpps.id", "consents.tpp_id")
    .select([
      "authorisations.id as authorisation_id",
      "consents.id as consent_id",
      "tpps.name as tpp_name",
      "authorisations.created_at",
    ])
    .where("authorisations.psu_id", "=", psuId)
    .where("authorisations.sca_approach", "=", "DECOUPLED")
    .where("authorisations.sca_status", "in", ["received", "psuIdentified", "started"])
    .orderBy("authorisations.created_at")
    .execute();
}

export async function rejectDecoupled(
  deps: BankDeps,
  psuId: string,
  consentId: string,
  authorisationId: string,
) {
  const pending = await loadPendingSca(deps, consentId, authorisationId);
  if (pending.authorisation.psu_id !== psuId)
    throw new AppError("RESOURCE_UNKNOWN", "No such request for you.");
  await scaCancel(deps, pending);
}

export function listConsentsOfPsu(deps: BankDeps, psuId: string) {
  return repo.listConsentsOfPsu(deps.db, psuId);
}

/** "Connected apps" → revoke. Takes effect on the TPP's next request. */
export async function revokeByPsu(deps: BankDeps, psuId: string, consentId: string) {
  const consent = await repo.findConsent(deps.db, consentId);
  if (!consent || consent.psu_id !== psuId) throw new AppError("RESOURCE_UNKNOWN", "No such connection.");
  if (!FINAL.has(consent.status))
    await repo.setConsentStatus(deps.db, consentId, "revokedByPsu", deps.clock.now());
}

// ---------------------------------------------------------------------------------------------------------
// The guard every account-information read passes.

export interface AccessRequest {
  tpp: Tpp;
  consentId: string;
  /** null for the account list. */
  accountId: string | null;
  scope: ConsentScope;
  /** The request carries PSU-IP-Address: the PSU is present, so the daily limit does not apply. */
  attended: boolean;
  /** Usage key within the consent, e.g. "list" or "<accountId>:transactions"; null for a continuation page. */
  usageResource: string | null;
  /**
   * The read's own checks that depend on the consent (the 90-day window): run once the consent allows the read,
   * before it is counted, so a refused read does not use up the daily limit.
   */
  beforeCount?: (consent: Consent) => void | Promise<void>;
}

export interface GrantedAccess {
  consent: Consent;
  /** The accounts this read may touch (one for an account endpoint), each with the scopes granted on it. */
  accounts: Map<string, { account: Account; scopes: Set<ConsentScope> }>;
}

/** Touching last_accessed_at on every read would serialise concurrent reads on one row; once a minute is enough. */
export const TOUCH_INTERVAL_MS = 60_000;

/**
 * The guard of every account-information read. A continuation transactions page is first tried with one
 * statement that carries this guard's checks for such a page in SQL (transactions.repository.ts
 * guardedNextBookedPage): a rule added here that applies to continuation pages belongs there too, or the
 * statement would serve pages this guard refuses.
 */
export async function authorizeAccess(deps: BankDeps, request: AccessRequest): Promise<GrantedAccess> {
  const found = await repo.findConsentWithGrants(deps.db, request.consentId, request.accountId);
  if (!found || found.consent.tpp_id !== request.tpp.id) {
    throw new AppError("CONSENT_UNKNOWN", "No consent with this id for this TPP.", { path: "consentId" });
  }
  const consent = await expireIfDue(deps, found.consent);
  const status = consent.status;
  switch (status) {
    case "valid":
      break;
    case "expired":
      throw new AppError("CONSENT_EXPIRED", "The consent has expired; ask the PSU for a new one.");
    case "received":
    case "partiallyAuthorised":
      throw new AppError("CONSENT_INVALID", "The consent is not authorised yet.");
    case "rejected":
      throw new AppError("CONSENT_INVALID", "The PSU rejected this consent.");
    case "revokedByPsu":
      throw new AppError("CONSENT_INVALID", "The PSU revoked this consent.");
    case "terminatedByTpp":
      throw new AppError("CONSENT_INVALID", "The TPP terminated this consent.");
    default: {
      const never: never = status;
      throw new Error(`unhandled consent status ${String(never)}`);
    }
  }
  const now = deps.clock.now();
  const scaAgeDays = consent.last_sca_at
    ? (now.getTime() - consent.last_sca_at.getTime()) / 86_400_000
    : Infinity;
  const firstRead = request.usageResource !== null;
  // Continuation pages too: a page link kept from before must not outlive the SCA it was read under.
  if (!consent.sca_required && scaAgeDays > SCA_RENEWAL_DAYS) {
    await repo.requireConsentSca(deps.db, consent.id);
    consent.sca_required = true;
  }
  if (!consent.sca_required && firstRead && deps.controls.get().scaAgainRate > 0) {
    if (deps.controls.random() < deps.controls.get().scaAgainRate) {
      await repo.requireConsentSca(deps.db, consent.id);
      consent.sca_required = true;
    }
  }
  if (consent.sca_required) {
    throw new AppError(
      "CONSENT_INVALID",
      "The bank asks for strong customer authentication again: start a new authorisation of this consent.",
    );
  }
  const access = consent.access as AccountAccess;
  if (request.accountId !== null && (access.availableAccounts || access.availableAccountsWithBalance)) {
    // Grants no transactions, so a continuation page never gets this far on such a consent.
    throw new AppError(
      "CONSENT_INVALID",
      "This consent lists the available accounts only (GET /accounts); ask the PSU for access to the account.",
    );
  }
  // Granted accounts the PSU can still see: a PSU who lost access at the bank takes the TPP's access along.
  const accounts = found.accounts;
  if (request.accountId !== null && !accounts.get(request.accountId)?.scopes.has(request.scope)) {
    throw new AppError(
      "CONSENT_INVALID",
      await denialReason(deps, consent, request.accountId, request.scope),
    );
  }
  await request.beforeCount?.(consent);
  if (!request.attended && request.usageResource !== null) {
    const count = await repo.countUsage(deps.db, consent.id, request.usageResource, berlinDate(now));
    if (count > consent.frequency_per_day) {
      throw new AppError(
        "ACCESS_EXCEEDED",
        `Unattended access exceeded: ${consent.frequency_per_day} reads per day for this account and consent.`,
      );
    }
  }
  if (!consent.last_accessed_at || now.getTime() - consent.last_accessed_at.getTime() > TOUCH_INTERVAL_MS) {
    await repo.touchConsent(deps.db, consent.id, now);
  }
  return { consent, accounts };
}

/** Only on the error path: say precisely why an account read is refused. */
async function denialReason(deps: BankDeps, consent: Consent, accountId: string, scope: ConsentScope) {
  const granted = await repo.listConsentAccounts(deps.db, consent.id);
  const onAccount = granted.filter((g) => g.account_id === accountId);
  if (onAccount.length === 0) return "The consent does not cover this account.";
  if (!onAccount.some((g) => g.scope === scope))
    return `The consent does not grant ${scope} for this account.`;
  return "The PSU no longer has access to this account.";
}

/** The oldest booking date readable now: 90 days back, or any date within FRESH_SCA_MINUTES of an SCA. */
export function earliestReadableDate(deps: BankDeps, consent: Consent): string | null {
  const now = deps.clock.now();
  const fresh =
    consent.last_sca_at && now.getTime() - consent.last_sca_at.getTime() <= FRESH_SCA_MINUTES * 60_000;
  return fresh ? null : addDays(berlinDate(now), -HISTORY_WITHOUT_SCA_DAYS);
}
