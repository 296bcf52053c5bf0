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
import { type BankDirectoryEntry, canConnect } from "../connectors/bank-directory.ts";
import { ConnectorError, type PsuPresence } from "../connectors/connector.ts";
import type { BooksDatabase, OfferedAccount } from "../db/schema.ts";
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
/** The user has this long at the bank before the state token is refused. */
export const FLOW_TTL_MS = 30 * 60_000;

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
  kind: "connect" | "sca_again" | "reconsent",
) {
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
    expiresAt: new Date(now.getTime() + FLOW_TTL_MS),
    now,
  });
  return { state, flowId };
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

/**
 * "Connect": a bank-offered consent (the user picks the accounts at the bank), a pending connection and a
 * flow whose state token comes back in the redirect. Returns the bank's SCA page.
 */
export async function startConnect(
  deps: Deps,
  auth: AuthContext,
  input: { bankId: string; origin: string; psu: PsuPresence },
): Promise<string> {
  const bank = findBank(deps, input.bankId);
  if (!canConnect(bank)) throw new AppError("bad_request", { message: `${bank.id} offers no redirect SCA` });
  const now = deps.clock.now();
  const connectionId = randomUUID();
  await repo.insertConnection(deps.db, {
    id: connectionId,
    organisationId: auth.organisation.id,
    bankId: bank.id,
    bankName: bank.name,
    createdBy: auth.user.id,
    now,
  });
  return createConsentFor(deps, auth, {
    connectionId,
    bank,
    origin: input.origin,
    psu: input.psu,
    kind: "connect",
  });
}

async function createConsentFor(
  deps: Deps,
  auth: AuthContext,
  input: {
    connectionId: string;
    bank: BankDirectoryEntry;
    origin: string;
    psu: PsuPresence;
    kind: "connect" | "reconsent";
  },
): Promise<string> {
  const { state } = await newFlow(deps, auth, input.connectionId, input.kind);
  try {
    const consent = await deps.connectorFor(input.bank.id).createConsent({
      ...input.psu,
      ...callbackUrls(input.origin, state),
      validUntil: addDays(berlinDate(deps.clock.now()), CONSENT_VALIDITY_DAYS),
      frequencyPerDay: CONSENT_FREQUENCY_PER_DAY,
    });
    await repo.updateConnection(deps.db, input.connectionId, {
      consentIdSealed: deps.secretBox.seal(
        consent.consentId,
        consentContext(auth.organisation.id, input.connectionId),
      ),
      now: deps.clock.now(),
    });
    return consent.redirectUrl;
  } catch (error) {
    await repo.deleteConnection(deps.db, input.connectionId);
    throw bankFailure(error);
  }
}

export type CallbackResult =
  | { kind: "choose"; flowId: string }
  | { kind: "done"; relinked: number }
  | { kind: "failed"; reason: "cancelled" | "not_valid" };

/**
 * The bank sent the user back. The state token must belong to a flow started in this very session (so a
 * link planted by someone else completes nothing), be unused and unexpired.
 */
export async function handleCallback(
  deps: Deps,
  auth: AuthContext,
  input: { state: string; outcome: string | undefined; psu: PsuPresence },
): Promise<CallbackResult> {
  const now = deps.clock.now();
  const flow = await repo.findFlowByState(deps.db, sha256Hex(input.state));
  if (
    !flow ||
    flow.organisationId !== auth.organisation.id ||
    flow.userId !== auth.user.id ||
    flow.sessionHash !== auth.session.tokenHash
  ) {
    throw new AppError("forbidden", { message: "connect state does not belong to this session" });
  }
  if (flow.status !== "redirected" || flow.expiresAt.getTime() < now.getTime()) {
    throw new AppError("conflict", { message: `connect flow is ${flow.status}` });
  }
  const connection = await repo.findConnection(deps.db, auth.organisation.id, flow.connectionId);
  if (!connection) throw new AppError("not_found");
  const connector = deps.connectorFor(connection.bankId);
  const consentId = openConsentId(deps, connection);
  const fail = async (reason: "cancelled" | "not_valid"): Promise<CallbackResult> => {
    await repo.advanceFlow(deps.db, flow.id, "redirected", "failed");
    if (flow.kind !== "sca_again")
      await repo.updateConnection(deps.db, connection.id, { status: "rejected", now });
    return { kind: "failed", reason };
  };
  if (input.outcome === "nok") return fail("cancelled");

  let details: Awaited<ReturnType<typeof connector.getConsent>>;
  try {
    details = await connector.getConsent(consentId);
  } catch (error) {
    throw bankFailure(error);
  }
  if (details.state !== "valid") return fail("not_valid");
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
      for (const account of accounts)
        await queueSync(deps.jobs, trx, auth, account.id, "manual", input.psu, now);
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
    offered = await connector.listAccounts(consentId, input.psu);
  } catch (error) {
    throw bankFailure(error);
  }

  if (flow.kind === "reconsent") {
    // A new consent for an expired or revoked one: the accounts with the same IBANs move onto it and
    // keep their history.
    return deps.db.transaction().execute(async (trx) => {
      if (!(await repo.advanceFlow(trx, flow.id, "redirected", "completed", offered)))
        throw new AppError("conflict");
      await repo.updateConnection(trx, connection.id, consentValues);
      let relinked = 0;
      for (const account of offered) {
        const existing = await repo.selectAccountByIban(trx, auth.organisation.id, account.iban);
        if (!existing || existing.connectionId === connection.id) continue;
        await trx
          .updateTable("bank_accounts")
          .set({
            connection_id: connection.id,
            resource_id: account.resourceId,
            status: "active",
            last_error: null,
          })
          .where("id", "=", existing.id)
          .execute();
        await queueSync(deps.jobs, trx, auth, existing.id, "manual", input.psu, now);
        relinked += 1;
      }
      await recordAudit(trx, deps.clock, auth.organisation.id, {
        actor: { userId: auth.user.id, label: auth.user.email },
        action: "bank.reauthorised",
        subject: connection.id,
        details: { bank: connection.bankName, accounts: relinked, newConsent: true },
      });
      return { kind: "done", relinked };
    });
  }

  await repo.updateConnection(deps.db, connection.id, consentValues);
  if (!(await repo.advanceFlow(deps.db, flow.id, "redirected", "returned", offered)))
    throw new AppError("conflict");
  return { kind: "choose", flowId: flow.id };
}

export interface ChooserView {
  flowId: string;
  bankName: string;
  accounts: Array<OfferedAccount & { alreadyConnected: boolean }>;
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
    accounts.push({ ...account, alreadyConnected: existing?.status === "active" });
  }
  return {
    flowId,
    bankName: connection.bankName,
    accounts,
    earliest: addDays(today, -MAX_IMPORT_DAYS),
    today,
  };
}

async function loadReturnedFlow(deps: Deps, auth: AuthContext, flowId: string) {
  const flow = await repo.findFlow(deps.db, auth.organisation.id, flowId);
  if (!flow || flow.userId !== auth.user.id || flow.sessionHash !== auth.session.tokenHash) {
    throw new AppError("not_found", { message: `flow ${flowId}` });
  }
  if (flow.status !== "returned") throw new AppError("conflict", { message: `flow is ${flow.status}` });
  return flow;
}

export interface AccountChoice {
  iban: string;
  name: string;
  importFrom: string;
}

/**
 * The chosen IBANs become bank accounts, each with its first sync queued in the same transaction. An IBAN
 * connected before and since disconnected is linked again and keeps its history.
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
  if (input.choices.length === 0) issues.push({ path: "iban", message: "choose at least one account" });
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

  return deps.db.transaction().execute(async (trx) => {
    if (!(await repo.advanceFlow(trx, flow.id, "returned", "completed"))) throw new AppError("conflict");
    const ids: string[] = [];
    for (const choice of input.choices) {
      const account = offered.get(choice.iban);
      if (!account) continue;
      const existing = await repo.selectAccountByIban(
        trx,
        auth.organisation.id,
        normalizeIban(choice.iban) ?? choice.iban,
      );
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
    return ids;
  });
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
 * it), a new consent that re-links the same IBANs when it expired or was revoked.
 */
export async function startReauth(
  deps: Deps,
  auth: AuthContext,
  input: { connectionId: string; origin: string; psu: PsuPresence },
): Promise<string> {
  const connection = await repo.findConnection(deps.db, auth.organisation.id, input.connectionId);
  if (!connection) throw new AppError("not_found");
  const status = connection.status;
  switch (status) {
    case "valid":
    case "sca_required": {
      const { state } = await newFlow(deps, auth, connection.id, "sca_again");
      try {
        const sca = await deps.connectorFor(connection.bankId).startSca(openConsentId(deps, connection), {
          ...input.psu,
          ...callbackUrls(input.origin, state),
        });
        return sca.redirectUrl;
      } catch (error) {
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
        throw bankFailure(error);
      }
    }
    case "expired":
    case "revoked":
    case "rejected":
    case "pending": {
      const bank = findBank(deps, connection.bankId);
      const connectionId = randomUUID();
      await repo.insertConnection(deps.db, {
        id: connectionId,
        organisationId: auth.organisation.id,
        bankId: bank.id,
        bankName: bank.name,
        createdBy: auth.user.id,
        now: deps.clock.now(),
      });
      return createConsentFor(deps, auth, {
        connectionId,
        bank,
        origin: input.origin,
        psu: input.psu,
        kind: "reconsent",
      });
    }
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
