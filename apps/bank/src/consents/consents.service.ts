import { createHash, randomBytes } from "node:crypto";
import { normalizeIban } from "@kontor/money";
import type { AccountAccessRequest as AccountAccess, ConsentsRequest } from "@kontor/xs2a";
import type { Kysely, Transaction } from "kysely";
import { addDays, berlinDate } from "../clock.ts";
import type { Account, BankDB, Consent, ConsentScope, ConsentStatus, ScaStatus } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { attemptLogin } from "../psus/login-throttle.service.ts";
import { tppRedirectOrigin } from "../tpps/redirect-uri.ts";
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
}

/**
 * The TPP's redirect URIs, wherever they are sent (whatever the approach): the bank sends the PSU to them and
 * allows their origins in the SCA pages' policy, so a URI it could not do that with is refused when it
 * arrives, not filtered out later (tppRedirectOrigin).
 */
function checkTppUris(prefs: ScaPreferences) {
  for (const [name, uri] of [
    ["TPP-Redirect-URI", prefs.redirectUri],
    ["TPP-Nok-Redirect-URI", prefs.nokRedirectUri],
  ] as const) {
    if (uri !== undefined && tppRedirectOrigin(uri) === undefined) {
      throw new AppError(
        "FORMAT_ERROR",
        `${name} must be an absolute http(s) URI with a plain host name, such as https://tpp.example/callback.`,
        { path: name },
      );
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
  checkTppUris(prefs);
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

/** Loads a consent of this TPP, applying expiry on the way (validUntil is inclusive; see expireIfDue). */
export async function loadConsent(deps: BankDeps, tpp: Tpp, id: string): Promise<Consent> {
  const consent = await repo.findConsent(deps.db, id);
  if (!consent || consent.tpp_id !== tpp.id) {
    throw new AppError("CONSENT_UNKNOWN", "No consent with this id for this TPP.", { path: "consentId" });
  }
  return expireIfDue(deps, consent);
}

/**
 * Every read of a consent passes here (the XS2A consent endpoints, the SCA pages, the guard of account reads),
 * so they all tell the same: a consent past its validUntil has expired, and one waiting for SCA whose redirect
 * links have all outlived their lifetime is rejected (giveUp) — GET /consents/{id} says so as soon as
 * /status does, not only once someone opens a link or asks for an authorisation's status.
 */
async function expireIfDue(deps: BankDeps, consent: Consent): Promise<Consent> {
  const now = deps.clock.now();
  if (
    (consent.status === "valid" || consent.status === "received") &&
    consent.valid_until < berlinDate(now)
  ) {
    await repo.setConsentStatus(deps.db, consent.id, "expired", now);
    return { ...consent, status: "expired" };
  }
  if (consent.status !== "received") return consent;
  let gaveUp = false;
  for (const authorisation of await repo.listOpenAuthorisations(deps.db, consent.id, OPEN_SCA_STATUSES)) {
    if (linkExpired(deps, authorisation)) gaveUp = (await giveUp(deps, { consent, authorisation })) || gaveUp;
  }
  return gaveUp ? ((await repo.findConsent(deps.db, consent.id)) ?? consent) : consent;
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
  // A consent that waits for redirect links past their lifetime is rejected on the way (expireIfDue).
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
  checkTppUris(prefs);
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
  const consent = await loadConsent(deps, tpp, consentId);
  const authorisation = await repo.findAuthorisation(deps.db, consentId, authorisationId);
  if (!authorisation) {
    throw new AppError("RESOURCE_UNKNOWN", "No such authorisation.", {
      status: 403,
      path: "authorisationId",
    });
  }
  // A redirect link past its lifetime fails here too, so the TPP need not wait for the PSU to open it (an open
  // authorisation that cannot go on is failed by scaClosedReason); the answer is the status it has now, which a
  // concurrent post may have set instead.
  if (isOpen(authorisation.sca_status) && (await scaClosedReason(deps, { consent, authorisation }))) {
    const current = await repo.findAuthorisation(deps.db, consentId, authorisationId);
    return { scaStatus: current?.sca_status ?? ("failed" as const) };
  }
  return { scaStatus: authorisation.sca_status };
}

// ---------------------------------------------------------------------------------------------------------
// The PSU's side: redirect pages and the mobile app.

/**
 * A redirect-SCA link is good for this long from the moment the TPP started the authorisation (measured with
 * the bank's clock, so the sandbox's clock offset moves it): long enough to log in and find the TAN, short
 * enough that a link left in a browser history or an e-mail is worth nothing later. Banks use minutes; 30
 * leaves room for a PSU who first has to look up their login. A decoupled request in the banking app lasts
 * as long. After it the authorisation fails (scaStatus failed, as the spec's lifecycle lets the bank end it) and
 * a consent still waiting for it is rejected.
 */
export const SCA_LINK_LIFETIME_MINUTES = 30;
/** The login step's token carries the PSU to the TAN step for this long; after it, as above. */
export const SCA_STEP_LIFETIME_MINUTES = 10;

const minutes = (n: number) => n * 60_000;

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
  const found = await repo.findConsent(deps.db, consentId);
  // Expiry first: it may fail this very authorisation, which is then read as it is after that.
  const consent = found && (await expireIfDue(deps, found));
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
  return { consent, authorisation, tppName: tpp.name, needsAccountChoice };
}

/** Why the PSU cannot go on with an authorisation; the SCA pages say it in the PSU's language. */
export type ScaClosed =
  /** Finalised, and the consent is in force: the link has done its job. */
  | "approved"
  /** Finalised, but the consent has ended since. */
  | "used"
  /** Cancelled, three wrong TANs, or given up by the bank. */
  | "failed"
  /** The link outlived SCA_LINK_LIFETIME_MINUTES. */
  | "expired"
  /** The TAN did not come within SCA_STEP_LIFETIME_MINUTES of the login (only scaConfirm says this). */
  | "loginExpired"
  | "consentExpired"
  /** Rejected, revoked by the PSU or terminated by the TPP. */
  | "consentEnded";

type ScaRecords = Pick<PendingSca, "consent" | "authorisation">;

/** The authorisation (a redirect link, or a request in the banking app) outlived SCA_LINK_LIFETIME_MINUTES. */
function linkExpired(deps: BankDeps, authorisation: PendingSca["authorisation"]): boolean {
  return deps.clock.now().getTime() > authorisation.created_at.getTime() + minutes(SCA_LINK_LIFETIME_MINUTES);
}

/** Whether the PSU may still act on an authorisation in each status (a record: a new status must be placed). */
const SCA_OPEN = {
  received: true,
  psuIdentified: true,
  psuAuthenticated: true,
  scaMethodSelected: true,
  started: true,
  unconfirmed: true,
  finalised: false,
  exempted: false,
  failed: false,
} as const satisfies Record<ScaStatus, boolean>;

const isOpen = (status: ScaStatus): boolean => SCA_OPEN[status];

/** The open statuses, for the writes that only act on an authorisation still open. */
const OPEN_SCA_STATUSES: readonly ScaStatus[] = (Object.keys(SCA_OPEN) as ScaStatus[]).filter(isOpen);

/**
 * The PSU cancels, or the bank gives up: the authorisation fails, and a consent still waiting for it is rejected
 * — unless another authorisation of it is still open and within its lifetime (a TPP may start several, and the
 * PSU may be on the newer link: an older link running out must not end the consent under them).
 *
 * Only an authorisation still open is failed: false when it had closed meanwhile (a concurrent post finalised
 * or failed it), and then nothing is written; the caller answers as the closed state does (closedMeanwhile).
 */
async function giveUp(deps: BankDeps, { consent, authorisation }: ScaRecords): Promise<boolean> {
  return deps.db.transaction().execute((trx) => failAuthorisation(deps, trx, consent.id, authorisation.id));
}

/** giveUp's writes, in the caller's transaction: both or neither, under the consent's lock (repo.lockConsent). */
async function failAuthorisation(
  deps: BankDeps,
  trx: Transaction<BankDB>,
  consentId: string,
  authorisationId: string,
): Promise<boolean> {
  const now = deps.clock.now();
  const consent = await repo.lockConsent(trx, consentId);
  const failed = await repo.updateOpenAuthorisation(trx, authorisationId, OPEN_SCA_STATUSES, {
    sca_status: "failed",
    step_token_hash: null,
    now,
  });
  if (!failed) return false;
  if (consent?.status === "received") {
    const open = await repo.listOpenAuthorisations(trx, consentId, OPEN_SCA_STATUSES);
    if (!open.some((other) => !linkExpired(deps, other))) {
      await repo.setConsentStatus(trx, consentId, "rejected", now);
    }
  }
  return true;
}

/**
 * null while the PSU may act on the authorisation, else why not. An open authorisation past its lifetime, or of
 * a consent that has ended, is failed on the way, so the TPP's status request says so as well.
 */
export async function scaClosedReason(deps: BankDeps, pending: ScaRecords): Promise<ScaClosed | null> {
  if (!isOpen(pending.authorisation.sca_status)) return settledReason(deps, pending);
  const reason = openEndReason(deps, pending);
  if (reason === null || (await giveUp(deps, pending))) return reason;
  return closedMeanwhile(deps, pending, reason);
}

/** Why an authorisation still open cannot go on (and is to be given up), or null while it can. */
function openEndReason(deps: BankDeps, { authorisation, consent }: ScaRecords): ScaClosed | null {
  const status = consent.status;
  switch (status) {
    case "received":
    case "partiallyAuthorised":
    case "valid":
      return linkExpired(deps, authorisation) ? "expired" : null;
    case "expired":
      return "consentExpired";
    case "rejected":
    case "revokedByPsu":
    case "terminatedByTpp":
      return "consentEnded";
    default: {
      const never: never = status;
      throw new Error(`unhandled consent status ${String(never)}`);
    }
  }
}

/** Why the PSU cannot go on with an authorisation that is no longer open. */
function settledReason(deps: BankDeps, { authorisation, consent }: ScaRecords): ScaClosed {
  if (authorisation.sca_status !== "failed") return consent.status === "valid" ? "approved" : "used";
  if (consent.status === "expired") return "consentExpired";
  return linkExpired(deps, authorisation) ? "expired" : "failed";
}

/**
 * A write found the authorisation no longer open, or its consent no longer authorisable: a concurrent post got
 * there first. The answer is what the records say now (a cancel that lost to the TAN goes to the ok URI, a TAN
 * that lost to the cancel gets the "failed" page), `fallback` only if they cannot say.
 */
async function closedMeanwhile(deps: BankDeps, pending: ScaRecords, fallback: ScaClosed): Promise<ScaClosed> {
  const consent = await repo.findConsent(deps.db, pending.consent.id);
  const authorisation = await repo.findAuthorisation(deps.db, pending.consent.id, pending.authorisation.id);
  if (!consent || !authorisation) return fallback;
  if (!isOpen(authorisation.sca_status)) return settledReason(deps, { consent, authorisation });
  // Still open, so its consent moved on (ended, expired): given up as a fresh look at it would. Not a second
  // time round if yet another post closed it meanwhile: then the fallback.
  const reason = openEndReason(deps, { consent, authorisation });
  return reason !== null && (await giveUp(deps, { consent, authorisation })) ? reason : fallback;
}

/**
 * Where the PSU goes back to the TPP: its redirect URI after success, its nok URI (else the redirect URI)
 * otherwise. Only a URI the SCA pages' CSP allows as a form target (tppRedirectOrigin): the URIs come from the
 * TPP, and anything else never becomes a link or a redirect.
 */
export function tppReturnUri(pending: ScaRecords, outcome: "ok" | "nok"): string | undefined {
  const { redirect_uri: ok, nok_redirect_uri: nok } = pending.authorisation;
  const uri = outcome === "ok" ? ok : (nok ?? ok);
  return uri && tppRedirectOrigin(uri) ? uri : undefined;
}

const returnUri = (deps: BankDeps, pending: ScaRecords, outcome: "ok" | "nok") =>
  tppReturnUri(pending, outcome) ?? deps.publicUrl;

/** The decoupled approval's words for why an authorisation is closed (the redirect pages have their own). */
function closedError(reason: ScaClosed): AppError {
  return new AppError(
    "STATUS_INVALID",
    reason === "approved" || reason === "used"
      ? "This authorisation has already been completed."
      : "This authorisation is no longer open.",
  );
}

export type ViewableAccount = Awaited<ReturnType<typeof viewableAccounts>>[number];

export type ScaLoginOutcome =
  | { outcome: "authenticated"; token: string; accounts: ViewableAccount[] }
  | { outcome: "throttled"; retryAt: Date }
  | { outcome: "wrongCredentials" }
  /** The password was right, but the consent is another PSU's. */
  | { outcome: "otherUser" }
  /** The consent names an account this PSU cannot see; the authorisation has failed. */
  | { outcome: "noAccess"; iban: string }
  | { outcome: "closed"; reason: ScaClosed };

/**
 * The SCA page's login, under the same password throttle as the online-banking login. A throttled attempt
 * changes nothing on the authorisation: the PSU is told on the bank's page, the TPP's consent waits as it is.
 */
export async function scaLogin(
  deps: BankDeps,
  pending: PendingSca,
  credentials: { login: string; password: string; address: string },
): Promise<ScaLoginOutcome> {
  const closed = await scaClosedReason(deps, pending);
  if (closed) return { outcome: "closed", reason: closed };
  const attempt = await attemptLogin(deps, credentials);
  if (attempt.outcome === "throttled") return attempt;
  if (attempt.outcome === "wrong") return { outcome: "wrongCredentials" };
  const psu = attempt.psu;
  if (pending.consent.psu_id && pending.consent.psu_id !== psu.id) return { outcome: "otherUser" };
  const accounts = await viewableAccounts(deps, psu.id);
  // An account the PSU cannot see used to surface only after the TAN; no TAN of this PSU can ever grant it, so
  // the PSU learns it now, and the TPP gets its answer (a renewal keeps the grant as it is, so it is not asked).
  if (pending.consent.status !== "valid") {
    // The grant as it would be resolved after the TAN (the PSU's choice of accounts comes later, so none yet).
    const grant = resolveGrant(pending.consent.access as AccountAccess, accounts, undefined);
    if ("problem" in grant && grant.problem === "noAccess") {
      if (await giveUp(deps, pending)) return { outcome: "noAccess", iban: grant.iban };
      return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "failed") };
    }
  }
  // The token carries when it was issued; its hash is stored, so a token whose time was changed matches nothing.
  const token = `${deps.clock.now().getTime().toString(36)}.${newId(24)}`;
  // Only while still open: a login that raced a cancel must not bring the failed authorisation back.
  const authenticated = await repo.updateOpenAuthorisation(
    deps.db,
    pending.authorisation.id,
    OPEN_SCA_STATUSES,
    {
      sca_status: "psuAuthenticated",
      psu_id: psu.id,
      step_token_hash: sha256(token),
      now: deps.clock.now(),
    },
  );
  if (!authenticated) return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "failed") };
  return { outcome: "authenticated", token, accounts };
}

function stepTokenIssuedAt(token: string): number | undefined {
  const [time, random] = token.split(".");
  const ms = Number.parseInt(time ?? "", 36);
  return random && Number.isSafeInteger(ms) ? ms : undefined;
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

type Grant = { rows: { account_id: string; scope: ConsentScope }[]; access: AccountAccess };

/** Resolves what the consent grants on which of the PSU's accounts; an IBAN the PSU cannot see fails SCA. */
function resolveGrant(
  access: AccountAccess,
  accounts: { id: string; iban: string; currency: string }[],
  chosenIds: string[] | undefined,
): Grant | { problem: "chooseAccount" } | { problem: "noAccess"; iban: string } {
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
    if (chosen.length === 0) return { problem: "chooseAccount" };
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
      if (!account) return { problem: "noAccess", iban: ref.iban ?? "" };
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

type FinishOutcome =
  | { outcome: "finalised" }
  | { outcome: "otherUser" }
  | { outcome: "tanWrong"; attemptsLeft: number }
  /** The last allowed wrong TAN: the authorisation has failed. */
  | { outcome: "tanFailed"; attempts: number }
  | { outcome: "chooseAccount" }
  | { outcome: "noAccess"; iban: string }
  /** The authorisation closed, or its consent ended, while this post was on its way. */
  | { outcome: "closed"; reason: ScaClosed };

export type ScaConfirmOutcome =
  | { outcome: "finalised"; redirect: string }
  /** No valid step token: the login step first. */
  | { outcome: "loginFirst" }
  | { outcome: "tanWrong"; attemptsLeft: number }
  | { outcome: "tanFailed"; attempts: number }
  | { outcome: "chooseAccount" }
  | { outcome: "noAccess"; iban: string }
  | { outcome: "otherUser" }
  | { outcome: "closed"; reason: ScaClosed };

/**
 * The step token the login issued, within its lifetime: who logged in. A token past its lifetime ends the
 * authorisation, whatever the PSU asked for with it.
 */
async function checkStepToken(
  deps: BankDeps,
  pending: PendingSca,
  stepToken: string,
): Promise<
  { outcome: "valid"; psuId: string } | { outcome: "loginFirst" } | { outcome: "closed"; reason: ScaClosed }
> {
  const { authorisation } = pending;
  if (!authorisation.psu_id || authorisation.step_token_hash !== sha256(stepToken)) {
    return { outcome: "loginFirst" };
  }
  const issuedAt = stepTokenIssuedAt(stepToken);
  if (issuedAt === undefined || deps.clock.now().getTime() - issuedAt > minutes(SCA_STEP_LIFETIME_MINUTES)) {
    if (await giveUp(deps, pending)) return { outcome: "closed", reason: "loginExpired" };
    return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "loginExpired") };
  }
  return { outcome: "valid", psuId: authorisation.psu_id };
}

export type ScaResumeOutcome =
  | { outcome: "tanStep"; accounts: ViewableAccount[] }
  | { outcome: "loginFirst" }
  | { outcome: "closed"; reason: ScaClosed };

/**
 * The TAN step once more, as the login left it (the PSU switched the page's language): the same step token,
 * no TAN try used up. Only what would end the step anyway (a closed link, an expired token) changes anything.
 */
export async function scaResume(
  deps: BankDeps,
  pending: PendingSca,
  stepToken: string,
): Promise<ScaResumeOutcome> {
  const closed = await scaClosedReason(deps, pending);
  if (closed) return { outcome: "closed", reason: closed };
  const step = await checkStepToken(deps, pending, stepToken);
  if (step.outcome !== "valid") return step;
  return { outcome: "tanStep", accounts: await viewableAccounts(deps, step.psuId) };
}

/** Step 2 of redirect SCA: the TAN (and, for a bank-offered consent, the chosen accounts). */
export async function scaConfirm(
  deps: BankDeps,
  pending: PendingSca,
  input: { stepToken: string; tan: string; accountIds?: string[] | undefined },
): Promise<ScaConfirmOutcome> {
  const closed = await scaClosedReason(deps, pending);
  // A second submit of the TAN form (a double click, a reload) after success goes where the first one went.
  if (closed === "approved") return { outcome: "finalised", redirect: returnUri(deps, pending, "ok") };
  if (closed) return { outcome: "closed", reason: closed };
  const step = await checkStepToken(deps, pending, input.stepToken);
  if (step.outcome !== "valid") return step;
  const finished = await finishSca(deps, pending, step.psuId, input.tan, input.accountIds);
  const outcome = finished.outcome;
  switch (outcome) {
    case "finalised":
      return { outcome, redirect: returnUri(deps, pending, "ok") };
    case "noAccess":
      // The PSU lost access to an account between the login and the TAN: as at the login.
      if (await giveUp(deps, pending)) return finished;
      return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "failed") };
    case "closed":
      // Finalised by a concurrent submit of the same TAN form: where that one went, as above.
      if (finished.reason === "approved")
        return { outcome: "finalised", redirect: returnUri(deps, pending, "ok") };
      return finished;
    case "tanFailed":
    case "otherUser":
    case "tanWrong":
    case "chooseAccount":
      return finished;
    default: {
      const never: never = outcome;
      throw new Error(`unhandled outcome ${String(never)}`);
    }
  }
}

async function finishSca(
  deps: BankDeps,
  pending: PendingSca,
  psuId: string,
  tan: string,
  accountIds: string[] | undefined,
): Promise<FinishOutcome> {
  const { authorisation, consent } = pending;
  const now = deps.clock.now();
  // The last line of defence for the rule above and scaLogin's: another PSU never takes a consent over.
  if (consent.psu_id && consent.psu_id !== psuId) return { outcome: "otherUser" };
  // Renewal of SCA on a consent already in force: the grant stays as it is.
  const renewal = consent.status === "valid";
  const grant = renewal
    ? undefined
    : resolveGrant(
        consent.access as AccountAccess,
        await viewableAccounts(deps, psuId),
        pending.needsAccountChoice ? (accountIds ?? []) : undefined,
      );
  if (grant && "problem" in grant) {
    return grant.problem === "noAccess"
      ? { outcome: "noAccess", iban: grant.iban }
      : { outcome: "chooseAccount" };
  }
  const psu = await deps.db
    .selectFrom("psus")
    .select("tan")
    .where("id", "=", psuId)
    .executeTakeFirstOrThrow();
  if (tan.trim() !== psu.tan) {
    // Counted in the database, and the authorisation failed at the last try in the same transaction, under the
    // consent's lock: so concurrent wrong TANs each count, and a right TAN cannot slip in between.
    const attempts = await deps.db.transaction().execute(async (trx) => {
      await repo.lockConsent(trx, consent.id);
      const count = await repo.countWrongTan(trx, authorisation.id, OPEN_SCA_STATUSES, now);
      if (count !== undefined && count >= MAX_TAN_ATTEMPTS) {
        await failAuthorisation(deps, trx, consent.id, authorisation.id);
      }
      return count;
    });
    if (attempts === undefined) {
      return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "failed") };
    }
    return attempts >= MAX_TAN_ATTEMPTS
      ? { outcome: "tanFailed", attempts }
      : { outcome: "tanWrong", attemptsLeft: MAX_TAN_ATTEMPTS - attempts };
  }
  const result = await deps.db.transaction().execute(async (trx) => {
    // The consent as it is now, not as the page loaded it: a concurrent post may have moved it.
    const current = await repo.lockConsent(trx, consent.id);
    if (!current) return "closed" as const;
    if (current.psu_id && current.psu_id !== psuId) return "otherUser" as const;
    const status = current.status;
    let asRenewal: boolean;
    switch (status) {
      case "received":
      case "partiallyAuthorised":
        if (!grant) return "closed" as const; // loaded valid, now back to received: cannot happen
        asRenewal = false;
        break;
      case "valid":
        // Another authorisation of it was finalised meanwhile: this one renews SCA, the grant stays.
        asRenewal = true;
        break;
      case "rejected":
      case "revokedByPsu":
      case "expired":
      case "terminatedByTpp":
        return "closed" as const;
      default: {
        const never: never = status;
        throw new Error(`unhandled consent status ${String(never)}`);
      }
    }
    const finalised = await repo.updateOpenAuthorisation(trx, authorisation.id, OPEN_SCA_STATUSES, {
      sca_status: "finalised",
      step_token_hash: null,
      now,
    });
    if (!finalised) return "closed" as const;
    if (asRenewal || !grant) {
      await repo.renewConsentSca(trx, consent.id, now);
    } else {
      await repo.replaceConsentAccounts(trx, consent.id, grant.rows);
      await repo.markConsentAuthorised(trx, consent.id, { psuId, access: grant.access, now });
    }
    return "finalised" as const;
  });
  switch (result) {
    case "finalised":
    case "otherUser":
      return { outcome: result };
    case "closed":
      return { outcome: "closed", reason: await closedMeanwhile(deps, pending, "failed") };
    default: {
      const never: never = result;
      throw new Error(`unhandled outcome ${String(never)}`);
    }
  }
}

/**
 * The PSU cancels: the TPP's nok URI, else its redirect URI. An authorisation that already succeeded is not
 * undone, nor reported as a failure: the PSU goes to the redirect URI, as the consent stands.
 */
export async function scaCancel(deps: BankDeps, pending: PendingSca): Promise<string> {
  let closed = await scaClosedReason(deps, pending);
  // A cancel that loses the race to the TAN (sent together) finds it finalised: the ok URI, as above.
  if (!closed)
    closed = (await giveUp(deps, pending)) ? "failed" : await closedMeanwhile(deps, pending, "failed");
  return returnUri(deps, pending, closed === "approved" ? "ok" : "nok");
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
  const closed = await scaClosedReason(deps, pending);
  if (closed) throw closedError(closed);
  if (pending.authorisation.sca_approach !== "DECOUPLED" || pending.authorisation.psu_id !== psuId) {
    throw new AppError("RESOURCE_UNKNOWN", "No such request for you.");
  }
  const finished = await finishSca(deps, pending, psuId, input.tan, input.accountIds);
  const outcome = finished.outcome;
  switch (outcome) {
    case "finalised":
      return;
    case "otherUser":
      throw new AppError("PSU_CREDENTIALS_INVALID", "This consent belongs to another user.");
    case "tanWrong":
      throw new AppError("SCA_INVALID", "The TAN is wrong.");
    case "tanFailed":
      throw new AppError("SCA_INVALID", "The TAN was wrong three times; the authorisation failed.");
    case "chooseAccount":
      throw new AppError("FORMAT_ERROR", "Choose at least one account.");
    case "noAccess":
      throw new AppError("CONSENT_INVALID", `You have no access to the account ${finished.iban}.`);
    case "closed":
      // Approved or rejected meanwhile (another tab, another device).
      throw closedError(finished.reason);
    default: {
      const never: never = outcome;
      throw new Error(`unhandled outcome ${String(never)}`);
    }
  }
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
