/**
 * Finances > Accounts: connecting bank accounts over XS2A, re-authentication, sync requests, disconnect and
 * delete. Routes call these; only connectors speak to banks. Every function takes the caller's organisation
 * and touches nothing outside it.
 */
import { randomUUID } from "node:crypto";
import { normalizeIban } from "@kontor/money";
import type { Transaction } from "kysely";
import { recordAudit } from "../audit/audit.service.ts";
import type { AuthContext } from "../auth/auth.service.ts";
import { addDays, berlinDate, isCalendarDate } from "../calendar.ts";
import { type BankDirectoryEntry, offersApproach } from "../connectors/bank-directory.ts";
import { ConnectorError, type PsuPresence, type ScaProgress } from "../connectors/connector.ts";
import type { BooksDatabase, ConnectFlowKind, OfferedAccount, ScaApproach } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { cancelQueuedSyncJobs, enqueueSyncJob } from "../jobs/jobs.repository.ts";
import { randomToken, sha256Hex } from "../security/keys.ts";
import { consentContext, scheduledSyncInterval } from "../sync/sync.service.ts";
import type { AppDeps } from "../web/context.ts";
import * as repo from "./accounts.repository.ts";

/** Consents are asked for the longest the PSD2 rules allow; the bank may shorten it. */
export const CONSENT_VALIDITY_DAYS = 180;
/** PSD2 allows 4 unattended reads a day per account and consent; books asks for all of them. */
export const CONSENT_FREQUENCY_PER_DAY = 4;
/**
 * The import start date goes back at most 90 days: without SCA in the last hour a bank shows only the last
 * 90 days (PSD2 RTS Art. 10a), so an earlier date could be read once, right after connecting, and never
 * again — a later full re-read to close a gap would be refused.
 */
export const MAX_IMPORT_DAYS = 90;
/**
 * The user has this long at the bank (redirect pages or banking app), and again this long at the IBAN
 * chooser, before the flow is refused and removed.
 */
export const FLOW_TTL_MS = 30 * 60_000;
/** Expired flows removed per cleanup: bounds the bank calls (ending abandoned consents) one request makes. */
const CLEANUP_BATCH = 20;
/** PSU-ID: a login name at the bank; the Berlin Group gives no length, 70 is its usual Max70Text. */
const MAX_PSU_ID_LENGTH = 70;

type Deps = Pick<AppDeps, "db" | "clock" | "logger" | "secretBox" | "connectorFor" | "banks" | "jobs">;

export function findBank(deps: Pick<AppDeps, "banks">, bankId: string): BankDirectoryEntry {
  const bank = deps.banks.find((b) => b.id === bankId);
  if (!bank) throw new AppError("not_found", { message: `bank ${bankId}` });
  return bank;
}

function bankFailure(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("bank_unavailable", {
    message: error instanceof Error ? error.message : String(error),
    cause: error,
  });
}

function callbackUrls(origin: string, state: string) {
  const base = `${origin}/accounts/connect/callback?state=${encodeURIComponent(state)}`;
  return { redirectUri: base, nokRedirectUri: `${base}&outcome=nok` };
}

async function newFlow(
  deps: Deps,
  auth: AuthContext,
  connectionId: string,
  kind: ConnectFlowKind,
  scaApproach: ScaApproach = "REDIRECT",
) {
  await removeExpiredFlows(deps);
  const now = deps.clock.now();
  const state = randomToken();
  const flowId = randomUUID();
  await repo.insertFlow(deps.db, {
    id: flowId,
    stateHash: sha256Hex(state),
    organisationId: auth.organisation.id,
    userId: auth.user.id,
    sessionHash: auth.session.tokenHash,
    connectionId,
    kind,
    scaApproach,
    expiresAt: new Date(now.getTime() + FLOW_TTL_MS),
    now,
  });
  return { state, flowId };
}

/**
 * Removes flows that expired, at most CLEANUP_BATCH per call, with what they left behind (see
 * abandonConnection). Called whenever a flow starts, so no scheduler is needed: a books that nobody uses
 * keeps a few stale rows, and the next connect clears them. A read (callback, waiting page poll, chooser)
 * removes only the flow it finds expired (expireFlow), so a poll every 2 s does no sweep of its own.
 */
async function removeExpiredFlows(deps: Deps): Promise<void> {
  const taken = await repo.takeExpiredFlows(deps.db, deps.clock.now(), CLEANUP_BATCH);
  for (const flow of taken) await abandonConnection(deps, flow);
}

/** One expired flow, found while reading it: removed now rather than at the next cleanup. */
async function expireFlow(deps: Deps, flow: Pick<repo.FlowRow, "id" | "connectionId" | "kind">) {
  if (await repo.takeFlow(deps.db, flow.id)) await abandonConnection(deps, flow);
}

/**
 * After its flow is gone, the connection of a connect attempt that never got an account goes too. Its
 * consent is ended at the bank: the sandbox bank (like many) keeps an unfinished consent "received" until
 * its validUntil, 180 days on, and a decoupled request would wait in the user's banking app all that time;
 * approving it there would give books a consent it no longer knows. Ending it is best effort: the rows are
 * already gone, and a consent the bank keeps can do nothing without the SCA that never came.
 */
async function abandonConnection(deps: Deps, flow: { connectionId: string; kind: ConnectFlowKind }) {
  // SCA again runs on a connection in use; an unfinished one leaves it as it was.
  if (flow.kind === "sca_again") return;
  const connection = await repo.findUnusedConnection(deps.db, flow.connectionId);
  if (!connection) return;
  await repo.deleteConnection(deps.db, connection.id);
  if (connection.consentIdSealed && (connection.status === "pending" || connection.status === "valid")) {
    await endConsentQuietly(deps, connection, "abandoned connect attempt");
  }
}

async function endConsentQuietly(deps: Deps, connection: repo.ConnectionRow, why: string) {
  try {
    await deps.connectorFor(connection.bankId).deleteConsent(openConsentId(deps, connection));
  } catch (error) {
    deps.logger.warn("could not end a consent at the bank", { connectionId: connection.id, why, error });
  }
}

/**
 * The user's id at the bank that the connection's last decoupled SCA started with, for the re-authentication
 * form to offer again; undefined when the connection never used one (or it cannot be opened any more).
 */
export function rememberedPsuId(
  deps: Pick<Deps, "secretBox">,
  account: { organisationId: string; connectionId: string; psuIdSealed: string | null },
): string | undefined {
  if (!account.psuIdSealed) return undefined;
  try {
    return deps.secretBox.open(
      account.psuIdSealed,
      psuIdContext(account.organisationId, account.connectionId),
    );
  } catch {
    return undefined;
  }
}

function psuIdContext(organisationId: string, connectionId: string): string {
  return `psu:${organisationId}:${connectionId}`;
}

function openConsentId(
  deps: Deps,
  connection: { organisationId: string; id: string; consentIdSealed: string | null },
) {
  if (!connection.consentIdSealed)
    throw new AppError("conflict", { message: "the connection has no consent" });
  return deps.secretBox.open(
    connection.consentIdSealed,
    consentContext(connection.organisationId, connection.id),
  );
}

export type ConnectStart = { kind: "redirect"; url: string } | { kind: "wait"; flowId: string };

/**
 * The SCA approach the user chose, checked against the bank's directory entry, and for decoupled SCA the
 * user's id at the bank (trimmed). Shared by connect and re-authentication.
 */
function checkScaChoice(bank: BankDirectoryEntry, input: { approach?: ScaApproach; psuId?: string }) {
  const approach = input.approach ?? "REDIRECT";
  if (!offersApproach(bank, approach)) {
    throw new AppError("bad_request", { message: `${bank.id} does not offer ${approach} SCA` });
  }
  const psuId = input.psuId?.trim() ?? "";
  if (approach === "DECOUPLED" && (psuId === "" || psuId.length > MAX_PSU_ID_LENGTH)) {
    throw new AppError("validation_failed", {
      issues: [{ path: "psuId", message: `your user id at the bank, 1 to ${MAX_PSU_ID_LENGTH} characters` }],
    });
  }
  return { approach, psuId };
}

/** The bank refused the user id given for decoupled SCA: a message at the field, not a bank failure. */
function psuIdRefused(error: unknown): AppError | undefined {
  if (!(error instanceof ConnectorError) || error.kind !== "psu_unknown") return undefined;
  return new AppError("validation_failed", {
    issues: [{ path: "psuId", message: "the bank does not know this user id" }],
    cause: error,
  });
}

/**
 * "Connect": a bank-offered consent (the user picks the accounts at the bank), a pending connection and a
 * flow. With redirect SCA the state token comes back in the redirect and the result is the bank's SCA page;
 * with decoupled SCA the user approves in the bank's app and the result is books' waiting page.
 */
export async function startConnect(
  deps: Deps,
  auth: AuthContext,
  input: { bankId: string; origin: string; psu: PsuPresence; approach?: ScaApproach; psuId?: string },
): Promise<ConnectStart> {
  const bank = findBank(deps, input.bankId);
  const { approach, psuId } = checkScaChoice(bank, input);
  return newConnection(deps, auth, {
    bank,
    origin: input.origin,
    psu: input.psu,
    approach,
    psuId,
    kind: "connect",
  });
}

/**
 * A new pending connection with a bank-offered consent and its flow, for a connect or for re-consenting
 * (a consent that is over). Redirect SCA answers with the bank's SCA page, decoupled with books' waiting
 * page; a user id the bank accepted is kept (sealed) for the next re-authentication form. When the bank
 * refuses, the connection goes again.
 */
async function newConnection(
  deps: Deps,
  auth: AuthContext,
  input: {
    bank: BankDirectoryEntry;
    origin: string;
    psu: PsuPresence;
    approach: ScaApproach;
    psuId: string;
    kind: "connect" | "reconsent";
  },
): Promise<ConnectStart> {
  const organisationId = auth.organisation.id;
  const connectionId = randomUUID();
  await repo.insertConnection(deps.db, {
    id: connectionId,
    organisationId,
    bankId: input.bank.id,
    bankName: input.bank.name,
    createdBy: auth.user.id,
    now: deps.clock.now(),
  });
  const decoupled = input.approach === "DECOUPLED";
  const { state, flowId } = await newFlow(deps, auth, connectionId, input.kind, input.approach);
  const connector = deps.connectorFor(input.bank.id);
  const terms = {
    ...input.psu,
    validUntil: addDays(berlinDate(deps.clock.now()), CONSENT_VALIDITY_DAYS),
    frequencyPerDay: CONSENT_FREQUENCY_PER_DAY,
  };
  try {
    const created = decoupled
      ? await connector.createDecoupledConsent({ ...terms, psuId: input.psuId })
      : await connector.createConsent({ ...terms, ...callbackUrls(input.origin, state) });
    await repo.updateConnection(deps.db, connectionId, {
      consentIdSealed: deps.secretBox.seal(created.consentId, consentContext(organisationId, connectionId)),
      // The bank knew this id: the re-authentication form offers it again.
      ...(decoupled
        ? { psuIdSealed: deps.secretBox.seal(input.psuId, psuIdContext(organisationId, connectionId)) }
        : {}),
      now: deps.clock.now(),
    });
    if ("redirectUrl" in created) return { kind: "redirect", url: created.redirectUrl };
    await repo.setFlowAuthorisation(deps.db, flowId, created);
    return { kind: "wait", flowId };
  } catch (error) {
    await repo.deleteConnection(deps.db, connectionId);
    throw (decoupled ? psuIdRefused(error) : undefined) ?? bankFailure(error);
  }
}

export type CallbackResult =
  | { kind: "choose"; flowId: string }
  | { kind: "done"; relinked: number }
  | { kind: "failed"; reason: "cancelled" | "not_valid" }
  /** The flow ran out (or is unknown): nothing happened; the user starts the connect or re-authentication again. */
  | { kind: "expired"; purpose: WaitPurpose };

function assertOwnFlow(flow: repo.FlowRow, auth: AuthContext) {
  if (
    flow.organisationId !== auth.organisation.id ||
    flow.userId !== auth.user.id ||
    flow.sessionHash !== auth.session.tokenHash
  ) {
    throw new AppError("forbidden", { message: "connect state does not belong to this session" });
  }
}

/**
 * The bank sent the user back. The state token must belong to a flow started in this very session (so a
 * link planted by someone else completes nothing), be unused and unexpired. An unknown state is most
 * likely a flow that expired and was removed, so it is answered like an expired one: start again.
 */
export async function handleCallback(
  deps: Deps,
  auth: AuthContext,
  input: { state: string; outcome: string | undefined; psu: PsuPresence },
): Promise<CallbackResult> {
  const now = deps.clock.now();
  const flow = await repo.findFlowByState(deps.db, sha256Hex(input.state));
  if (!flow) return { kind: "expired", purpose: "connect" };
  assertOwnFlow(flow, auth);
  if (flow.expiresAt.getTime() <= now.getTime()) {
    await expireFlow(deps, flow);
    return { kind: "expired", purpose: purposeOf(flow) };
  }
  if (flow.status !== "redirected" || flow.scaApproach !== "REDIRECT") {
    throw new AppError("conflict", { message: `connect flow is ${flow.status}` });
  }
  const connection = await repo.findConnection(deps.db, auth.organisation.id, flow.connectionId);
  if (!connection) throw new AppError("not_found");
  if (input.outcome === "nok") return failFlow(deps, flow, connection, "cancelled");
  return finishSca(deps, auth, flow, connection, input.psu);
}

async function failFlow(
  deps: Deps,
  flow: repo.FlowRow,
  connection: repo.ConnectionRow,
  reason: "cancelled" | "not_valid",
): Promise<CallbackResult> {
  await repo.advanceFlow(deps.db, flow.id, "redirected", "failed");
  if (flow.kind !== "sca_again")
    await repo.updateConnection(deps.db, connection.id, { status: "rejected", now: deps.clock.now() });
  return { kind: "failed", reason };
}

/** SCA at the bank is over (redirect callback, or a decoupled approval): what the consent now allows. */
async function finishSca(
  deps: Deps,
  auth: AuthContext,
  flow: repo.FlowRow,
  connection: repo.ConnectionRow,
  psu: PsuPresence,
): Promise<CallbackResult> {
  const now = deps.clock.now();
  const connector = deps.connectorFor(connection.bankId);
  const consentId = openConsentId(deps, connection);
  let details: Awaited<ReturnType<typeof connector.getConsent>>;
  try {
    details = await connector.getConsent(consentId);
  } catch (error) {
    throw bankFailure(error);
  }
  if (details.state !== "valid") return failFlow(deps, flow, connection, "not_valid");
  const consentValues = {
    status: "valid" as const,
    validUntil: details.validUntil,
    frequencyPerDay: Math.min(
      CONSENT_FREQUENCY_PER_DAY,
      details.frequencyPerDay ?? CONSENT_FREQUENCY_PER_DAY,
    ),
    lastScaAt: now,
    now,
  };

  if (flow.kind === "sca_again") {
    return deps.db.transaction().execute(async (trx) => {
      if (!(await repo.advanceFlow(trx, flow.id, "redirected", "completed"))) throw new AppError("conflict");
      await repo.updateConnection(trx, connection.id, consentValues);
      const accounts = (await repo.selectAccounts(trx, auth.organisation.id)).filter(
        (a) => a.connectionId === connection.id && a.status === "active",
      );
      for (const account of accounts) await queueSync(deps.jobs, trx, auth, account.id, "manual", psu, now);
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.reauthorised",
        subject: connection.id,
        details: { bank: connection.bankName, accounts: accounts.length },
      });
      return { kind: "done", relinked: accounts.length };
    });
  }

  let offered: OfferedAccount[];
  try {
    offered = await connector.listAccounts(consentId, psu);
  } catch (error) {
    throw bankFailure(error);
  }

  if (flow.kind === "reconsent") {
    // A new consent for an expired or revoked one: every connected account whose IBAN it covers moves onto it
    // and keeps its history; the accounts it does not cover stay on the old connection, whose state shows
    // that they need the user.
    const result = await deps.db.transaction().execute(async (trx) => {
      if (!(await repo.advanceFlow(trx, flow.id, "redirected", "completed", offered)))
        throw new AppError("conflict");
      await repo.updateConnection(trx, connection.id, consentValues);
      const moved = await moveCoveredAccounts(deps.jobs, trx, auth, {
        connectionId: connection.id,
        offered,
        psu,
        now,
      });
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.reauthorised",
        subject: connection.id,
        details: {
          bank: connection.bankName,
          accounts: moved.accountIds.length,
          newConsent: true,
          replacedConnections: moved.emptied.length,
        },
      });
      return moved;
    });
    for (const emptied of result.emptied) await endConsentQuietly(deps, emptied, "replaced by a new consent");
    return { kind: "done", relinked: result.accountIds.length };
  }

  await repo.updateConnection(deps.db, connection.id, consentValues);
  // The user now chooses at leisure: the chooser gets a fresh lifetime of its own.
  const chooserUntil = new Date(now.getTime() + FLOW_TTL_MS);
  if (!(await repo.advanceFlow(deps.db, flow.id, "redirected", "returned", offered, chooserUntil)))
    throw new AppError("conflict");
  return { kind: "choose", flowId: flow.id };
}

/**
 * Accounts of the organisation whose IBAN the new consent covers move onto its connection: books reads an
 * IBAN through the newest consent that covers it, and never holds two accounts for one IBAN. Disconnected
 * accounts stay disconnected (the user chose that; the chooser offers them again). A connection left with
 * no active account is over: it is marked disconnected here and its consent ended at the bank afterwards.
 */
async function moveCoveredAccounts(
  jobs: Deps["jobs"],
  trx: Transaction<BooksDatabase>,
  auth: AuthContext,
  input: {
    connectionId: string;
    offered: readonly OfferedAccount[];
    psu: PsuPresence;
    now: Date;
    /** IBANs already handled by the caller, with the connections they came from. */
    handled?: ReadonlyMap<string, string | null>;
  },
): Promise<{ accountIds: string[]; emptied: repo.ConnectionRow[] }> {
  const sources = new Set<string>();
  for (const from of input.handled?.values() ?? [])
    if (from && from !== input.connectionId) sources.add(from);
  const accountIds: string[] = [];
  for (const account of input.offered) {
    if (input.handled?.has(account.iban)) continue;
    const existing = await repo.selectAccountByIban(trx, auth.organisation.id, account.iban);
    if (!existing || existing.connectionId === input.connectionId || existing.status !== "active") continue;
    await trx
      .updateTable("bank_accounts")
      .set({ connection_id: input.connectionId, resource_id: account.resourceId, last_error: null })
      .where("id", "=", existing.id)
      .execute();
    sources.add(existing.connectionId);
    await queueSync(jobs, trx, auth, existing.id, "manual", input.psu, input.now);
    accountIds.push(existing.id);
  }
  const emptied = await repo.connectionsWithoutActiveAccounts(trx, [...sources]);
  for (const connection of emptied) {
    await repo.updateConnection(trx, connection.id, { status: "disconnected", now: input.now });
  }
  return { accountIds, emptied };
}

/** What the waiting page is for: connecting a bank, or re-authenticating a connection (nothing is added). */
export type WaitPurpose = "connect" | "reauth";

export type WaitState =
  | {
      kind: "waiting";
      purpose: WaitPurpose;
      bankName: string;
      startedAt: Date;
      expiresAt: Date;
      now: Date;
      /** The bank's own words to the user (psuMessage), when it said something. */
      psuMessage: string | null;
    }
  | { kind: "choose"; flowId: string }
  | { kind: "done" }
  | { kind: "failed"; purpose: WaitPurpose }
  | { kind: "expired"; purpose: WaitPurpose };

const purposeOf = (flow: Pick<repo.FlowRow, "kind">): WaitPurpose =>
  flow.kind === "connect" ? "connect" : "reauth";

/**
 * The waiting page of a decoupled connect or re-authentication asks the bank how the approval stands. Each
 * look is one GET of the authorisation's SCA status; once finalised, the flow continues exactly as after a
 * redirect. The bank's psuMessage of that answer, else the one it gave when the SCA started, is shown.
 */
export async function checkDecoupled(
  deps: Deps,
  auth: AuthContext,
  input: { flowId: string; psu: PsuPresence },
): Promise<WaitState> {
  const now = deps.clock.now();
  const flow = await repo.findFlow(deps.db, auth.organisation.id, input.flowId);
  // Gone: it expired and a cleanup removed it.
  if (!flow) return { kind: "expired", purpose: "connect" };
  assertOwnFlow(flow, auth);
  if (flow.scaApproach !== "DECOUPLED" || !flow.authorisationId) throw new AppError("not_found");
  switch (flow.status) {
    case "returned":
      return { kind: "choose", flowId: flow.id };
    case "completed":
      return { kind: "done" };
    case "failed":
      return { kind: "failed", purpose: purposeOf(flow) };
    case "redirected":
      break;
    default: {
      const never: never = flow.status;
      throw new Error(`unknown flow status ${String(never)}`);
    }
  }
  const purpose = purposeOf(flow);
  if (flow.expiresAt.getTime() <= now.getTime()) {
    await expireFlow(deps, flow);
    return { kind: "expired", purpose };
  }
  const connection = await repo.findConnection(deps.db, auth.organisation.id, flow.connectionId);
  if (!connection) return { kind: "expired", purpose };
  let progress: ScaProgress;
  let psuMessage = flow.psuMessage;
  try {
    const status = await deps
      .connectorFor(connection.bankId)
      .getScaStatus(openConsentId(deps, connection), flow.authorisationId);
    progress = status.progress;
    psuMessage = status.psuMessage ?? psuMessage;
  } catch (error) {
    // The consent ended at the bank while we waited (rejected, revoked): the approval will not come.
    if (error instanceof ConnectorError && error.kind.startsWith("consent_")) progress = "failed";
    else throw bankFailure(error);
  }
  switch (progress) {
    case "waiting":
      return {
        kind: "waiting",
        purpose,
        bankName: connection.bankName,
        startedAt: flow.createdAt,
        expiresAt: flow.expiresAt,
        now,
        psuMessage,
      };
    case "failed":
      await failFlow(deps, flow, connection, "not_valid");
      return { kind: "failed", purpose };
    case "finalised": {
      const result = await finishSca(deps, auth, flow, connection, input.psu);
      return result.kind === "choose"
        ? result
        : result.kind === "done"
          ? { kind: "done" }
          : { kind: "failed", purpose };
    }
    default: {
      const never: never = progress;
      throw new Error(`unknown SCA progress ${String(never)}`);
    }
  }
}

export interface ChooserView {
  flowId: string;
  bankName: string;
  accounts: Array<
    OfferedAccount & {
      /** Already an active account in books: it moves to this connection by itself. */
      alreadyConnected: boolean;
      /** In books but disconnected: choosing it connects it again, with its history. */
      known: boolean;
      /** Its name in books, when it is there. */
      nameInBooks: string | null;
    }
  >;
  earliest: string;
  today: string;
}

export async function getChooser(deps: Deps, auth: AuthContext, flowId: string): Promise<ChooserView> {
  const flow = await loadReturnedFlow(deps, auth, flowId);
  const connection = await repo.findConnection(deps.db, auth.organisation.id, flow.connectionId);
  if (!connection) throw new AppError("not_found");
  const today = berlinDate(deps.clock.now());
  const accounts = [];
  for (const account of flow.offeredAccounts ?? []) {
    const existing = await repo.selectAccountByIban(deps.db, auth.organisation.id, account.iban);
    accounts.push({
      ...account,
      alreadyConnected: existing?.status === "active",
      known: existing !== undefined,
      nameInBooks: existing?.name ?? null,
    });
  }
  return {
    flowId,
    bankName: connection.bankName,
    accounts,
    earliest: addDays(today, -MAX_IMPORT_DAYS),
    today,
  };
}

/** The error of a flow that ran out while the user chose: the route sends them to start again. */
export function isFlowExpired(error: unknown): boolean {
  return error instanceof AppError && error.code === "conflict" && error.details.flow === "expired";
}

async function loadReturnedFlow(deps: Deps, auth: AuthContext, flowId: string) {
  const flow = await repo.findFlow(deps.db, auth.organisation.id, flowId);
  if (flow && (flow.userId !== auth.user.id || flow.sessionHash !== auth.session.tokenHash)) {
    throw new AppError("not_found", { message: `flow ${flowId}` });
  }
  if (!flow || flow.expiresAt.getTime() <= deps.clock.now().getTime()) {
    if (flow) await expireFlow(deps, flow);
    throw new AppError("conflict", { message: `flow ${flowId} expired`, details: { flow: "expired" } });
  }
  if (flow.status !== "returned") throw new AppError("conflict", { message: `flow is ${flow.status}` });
  return flow;
}

export interface AccountChoice {
  iban: string;
  name: string;
  importFrom: string;
}

/** Whether the bank offers an IBAN that is active on another connection of the organisation. */
async function offersConnectedAccount(
  deps: Deps,
  auth: AuthContext,
  offered: Iterable<OfferedAccount>,
  flow: Pick<repo.FlowRow, "connectionId">,
): Promise<boolean> {
  for (const account of offered) {
    const existing = await repo.selectAccountByIban(deps.db, auth.organisation.id, account.iban);
    if (existing?.status === "active" && existing.connectionId !== flow.connectionId) return true;
  }
  return false;
}

/**
 * The chosen IBANs become bank accounts, each with its first sync queued in the same transaction. An IBAN
 * connected before and since disconnected is linked again and keeps its history; an IBAN connected now
 * moves to this consent by itself (moveCoveredAccounts).
 */
export async function completeConnect(
  deps: Deps,
  auth: AuthContext,
  input: { flowId: string; choices: AccountChoice[]; psu: PsuPresence },
): Promise<string[]> {
  const flow = await loadReturnedFlow(deps, auth, input.flowId);
  const now = deps.clock.now();
  const today = berlinDate(now);
  const earliest = addDays(today, -MAX_IMPORT_DAYS);
  const offered = new Map((flow.offeredAccounts ?? []).map((a) => [a.iban, a]));
  const issues: Array<{ path: string; message: string }> = [];
  // Choosing nothing is fine only when an offered account is connected already (it moves to this consent).
  if (input.choices.length === 0 && !(await offersConnectedAccount(deps, auth, offered.values(), flow))) {
    issues.push({ path: "iban", message: "choose at least one account" });
  }
  input.choices.forEach((choice, index) => {
    if (!offered.has(choice.iban))
      issues.push({ path: `accounts.${index}.iban`, message: "not offered by the bank" });
    if (choice.name.trim() === "" || choice.name.length > 100) {
      issues.push({ path: `accounts.${index}.name`, message: "1 to 100 characters" });
    }
    if (!isCalendarDate(choice.importFrom) || choice.importFrom < earliest || choice.importFrom > today) {
      issues.push({ path: `accounts.${index}.importFrom`, message: `a date from ${earliest} to ${today}` });
    }
  });
  if (issues.length > 0) throw new AppError("validation_failed", { issues });

  const result = await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.advanceFlow(trx, flow.id, "returned", "completed"))) throw new AppError("conflict");
    const ids: string[] = [];
    const handled = new Map<string, string | null>();
    for (const choice of input.choices) {
      const account = offered.get(choice.iban);
      if (!account) continue;
      const existing = await repo.selectAccountByIban(
        trx,
        auth.organisation.id,
        normalizeIban(choice.iban) ?? choice.iban,
      );
      handled.set(account.iban, existing?.connectionId ?? null);
      let id: string;
      if (existing) {
        id = existing.id;
        await trx
          .updateTable("bank_accounts")
          .set({
            connection_id: flow.connectionId,
            resource_id: account.resourceId,
            name: choice.name.trim(),
            status: "active",
            last_error: null,
          })
          .where("id", "=", id)
          .execute();
      } else {
        id = randomUUID();
        await trx
          .insertInto("bank_accounts")
          .values({
            id,
            organisation_id: auth.organisation.id,
            connection_id: flow.connectionId,
            resource_id: account.resourceId,
            iban: account.iban,
            currency: account.currency,
            name: choice.name.trim(),
            import_from: choice.importFrom,
            status: "active",
            created_at: now,
          })
          .execute();
      }
      await queueSync(deps.jobs, trx, auth, id, "connect", input.psu, now);
      ids.push(id);
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.connected",
        subject: id,
        details: { name: choice.name.trim(), iban: maskIban(account.iban), importFrom: choice.importFrom },
      });
    }
    const moved = await moveCoveredAccounts(deps.jobs, trx, auth, {
      connectionId: flow.connectionId,
      offered: [...offered.values()],
      psu: input.psu,
      now,
      handled,
    });
    if (moved.accountIds.length > 0) {
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.reauthorised",
        subject: flow.connectionId,
        details: {
          accounts: moved.accountIds.length,
          newConsent: true,
          replacedConnections: moved.emptied.length,
        },
      });
    }
    return { ids: [...ids, ...moved.accountIds], emptied: moved.emptied };
  });
  for (const emptied of result.emptied) await endConsentQuietly(deps, emptied, "replaced by a new consent");
  return result.ids;
}

function maskIban(iban: string): string {
  return `${iban.slice(0, 4)} … ${iban.slice(-4)}`;
}

async function queueSync(
  jobs: Deps["jobs"],
  trx: Transaction<BooksDatabase>,
  auth: AuthContext,
  accountId: string,
  trigger: "manual" | "connect",
  psu: PsuPresence,
  now: Date,
) {
  return enqueueSyncJob(jobs, trx, {
    organisationId: auth.organisation.id,
    bankAccountId: accountId,
    trigger,
    psuIpAddress: psu.psuIpAddress ?? null,
    requestedBy: auth.user.id,
    now,
  });
}

export interface SyncRequestResult {
  jobIds: number[];
  /** Accounts that cannot sync now (disconnected, consent needs the user). */
  skipped: string[];
}

/** "Sync transactions" for the accounts ticked; the user is present, so the reads are attended. */
export async function requestSync(
  deps: Deps,
  auth: AuthContext,
  input: { accountIds: string[]; psu: PsuPresence },
): Promise<SyncRequestResult> {
  const now = deps.clock.now();
  const accounts = await repo.selectAccounts(deps.db, auth.organisation.id);
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const result: SyncRequestResult = { jobIds: [], skipped: [] };
  await deps.db.transaction().execute(async (trx) => {
    for (const id of new Set(input.accountIds)) {
      const account = byId.get(id);
      if (!account) throw new AppError("not_found", { message: `account ${id}` });
      if (account.status !== "active" || account.connectionStatus !== "valid") {
        result.skipped.push(id);
        continue;
      }
      result.jobIds.push((await queueSync(deps.jobs, trx, auth, id, "manual", input.psu, now)).id);
    }
    if (result.jobIds.length > 0) {
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.sync_requested",
        details: { accounts: result.jobIds.length },
      });
    }
  });
  return result;
}

/**
 * One click to make a consent usable again: SCA on the same consent when the bank asks for it (or to renew
 * it), a new consent that re-links the same IBANs when it expired or was revoked. Where the bank offers it,
 * the user approves in the banking app instead of being redirected, exactly as when connecting: the same
 * waiting page polls the flow (checkDecoupled) and ends in finishSca.
 */
export async function startReauth(
  deps: Deps,
  auth: AuthContext,
  input: {
    connectionId: string;
    origin: string;
    psu: PsuPresence;
    approach?: ScaApproach;
    psuId?: string;
  },
): Promise<ConnectStart> {
  const connection = await repo.findConnection(deps.db, auth.organisation.id, input.connectionId);
  if (!connection) throw new AppError("not_found");
  const bank = findBank(deps, connection.bankId);
  const { approach, psuId } = checkScaChoice(bank, input);
  const status = connection.status;
  switch (status) {
    case "valid":
    case "sca_required": {
      const { state, flowId } = await newFlow(deps, auth, connection.id, "sca_again", approach);
      const connector = deps.connectorFor(connection.bankId);
      const consentId = openConsentId(deps, connection);
      try {
        if (approach === "DECOUPLED") {
          const sca = await connector.startDecoupledSca(consentId, { ...input.psu, psuId });
          await repo.setFlowAuthorisation(deps.db, flowId, sca);
          await repo.updateConnection(deps.db, connection.id, {
            psuIdSealed: deps.secretBox.seal(psuId, psuIdContext(auth.organisation.id, connection.id)),
            now: deps.clock.now(),
          });
          return { kind: "wait", flowId };
        }
        const sca = await connector.startSca(consentId, {
          ...input.psu,
          ...callbackUrls(input.origin, state),
        });
        return { kind: "redirect", url: sca.redirectUrl };
      } catch (error) {
        // No SCA started: the flow has nothing to wait for. The connection stays as it was.
        await repo.takeFlow(deps.db, flowId);
        // The bank says the consent is over after all: say so, and the next click asks for a new one.
        if (
          error instanceof ConnectorError &&
          (error.kind === "consent_expired" || error.kind === "consent_revoked")
        ) {
          await repo.updateConnection(deps.db, connection.id, {
            status: error.kind === "consent_expired" ? "expired" : "revoked",
            now: deps.clock.now(),
          });
          throw new AppError("conflict", { message: error.message, cause: error });
        }
        throw psuIdRefused(error) ?? bankFailure(error);
      }
    }
    case "expired":
    case "revoked":
    case "rejected":
    case "pending":
      return newConnection(deps, auth, {
        bank,
        origin: input.origin,
        psu: input.psu,
        approach,
        psuId,
        kind: "reconsent",
      });
    case "disconnected":
      throw new AppError("conflict", { message: "a disconnected connection is connected anew" });
    default: {
      const never: never = status;
      throw new Error(`unknown connection status ${String(never)}`);
    }
  }
}

/**
 * "Disconnect": ends the consent at the bank (DELETE) and keeps every imported transaction. The consent
 * covers all accounts chosen with it, so all of them are disconnected.
 */
export async function disconnect(
  deps: Deps,
  auth: AuthContext,
  accountId: string,
  requestId: string,
): Promise<void> {
  const account = await repo.selectAccount(deps.db, auth.organisation.id, accountId);
  if (!account) throw new AppError("not_found");
  const connection = await repo.findConnection(deps.db, auth.organisation.id, account.connectionId);
  if (!connection) throw new AppError("not_found");
  if (connection.status !== "disconnected" && connection.consentIdSealed) {
    try {
      await deps.connectorFor(connection.bankId).deleteConsent(openConsentId(deps, connection));
    } catch (error) {
      throw bankFailure(error);
    }
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await repo.updateConnection(trx, connection.id, { status: "disconnected", now });
    const ids = (
      await trx
        .updateTable("bank_accounts")
        .set({ status: "disconnected", next_sync_at: null })
        .where("connection_id", "=", connection.id)
        .returning("id")
        .execute()
    ).map((r) => r.id);
    await cancelQueuedSyncJobs(deps.jobs, trx, ids, now, "disconnected");
    await recordAudit(trx, deps.clock, auth.organisation.id, {
      actor: { userId: auth.user.id, label: auth.user.email },
      action: "bank.disconnected",
      subject: accountId,
      details: { bank: connection.bankName, accounts: ids.length, name: account.name },
      requestId,
    });
  });
}

/**
 * "Delete account": the account and its whole history go, after the user typed the account's name. When no
 * other connected account uses the consent, it is ended at the bank first.
 */
export async function deleteAccount(
  deps: Deps,
  auth: AuthContext,
  input: { accountId: string; confirmation: string; requestId: string },
): Promise<void> {
  const account = await repo.selectAccount(deps.db, auth.organisation.id, input.accountId);
  if (!account) throw new AppError("not_found");
  if (input.confirmation.trim() !== account.name.trim()) {
    throw new AppError("validation_failed", {
      issues: [{ path: "confirmation", message: "does not match the account name" }],
    });
  }
  const connection = await repo.findConnection(deps.db, auth.organisation.id, account.connectionId);
  const others = (await repo.selectAccounts(deps.db, auth.organisation.id)).filter(
    (a) => a.connectionId === account.connectionId && a.id !== account.id && a.status === "active",
  );
  if (
    connection &&
    others.length === 0 &&
    connection.status !== "disconnected" &&
    connection.consentIdSealed
  ) {
    try {
      await deps.connectorFor(connection.bankId).deleteConsent(openConsentId(deps, connection));
    } catch (error) {
      throw bankFailure(error);
    }
  }
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const count = await trx
      .selectFrom("bank_transactions")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("bank_account_id", "=", account.id)
      .executeTakeFirstOrThrow();
    if (connection && others.length === 0)
      await repo.updateConnection(trx, connection.id, { status: "disconnected", now });
    await cancelQueuedSyncJobs(deps.jobs, trx, [account.id], now, "deleted");
    await trx
      .deleteFrom("bank_accounts")
      .where("id", "=", account.id)
      .where("organisation_id", "=", auth.organisation.id)
      .execute();
    await recordAudit(trx, deps.clock, auth.organisation.id, {
      actor: { userId: auth.user.id, label: auth.user.email },
      action: "bank.account_deleted",
      subject: account.id,
      details: { name: account.name, iban: maskIban(account.iban), transactions: Number(count.n) },
      requestId: input.requestId,
    });
  });
}

/** When the next sync can run: now for an attended sync; the next scheduled one otherwise. */
export function nextPossibleSync(account: repo.AccountRow, now: Date): Date | null {
  if (account.status !== "active" || account.connectionStatus !== "valid") return null;
  if (account.nextSyncAt) return account.nextSyncAt;
  return account.lastSyncedAt
    ? new Date(account.lastSyncedAt.getTime() + scheduledSyncInterval(account.frequencyPerDay))
    : now;
}
