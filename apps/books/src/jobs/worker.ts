/**
 * The in-process worker: claims due sync jobs one at a time, runs them, and records the outcome; every
 * `scheduleEveryMs` it also queues the scheduled syncs that are due. Run more processes against one
 * PostgreSQL to sync more accounts at once; SKIP LOCKED keeps them apart, the partial unique index keeps one
 * sync per account, and a lease lets another worker finish what a dead one started.
 */
import { randomUUID } from "node:crypto";
import { recordAudit } from "../audit/audit.service.ts";
import { berlinDate, startOfNextBerlinDay } from "../calendar.ts";
import { ConnectorError } from "../connectors/connector.ts";
import type { ConnectionStatus } from "../db/schema.ts";
import { setAccountError, setConnectionStatus } from "../sync/sync.repository.ts";
import { type SyncDeps, SyncSkipped, scheduledSyncInterval, syncAccount } from "../sync/sync.service.ts";
import { claimSyncJob, enqueueSyncJob, finishSyncJob, type SyncJob } from "./jobs.repository.ts";

/** A job whose worker stops renewing this lease (one renewal per page) is taken over. */
export const LEASE_MS = 5 * 60_000;
/** First retry of a failed sync after 30 s, doubling. */
export const RETRY_BASE_MS = 30_000;

export interface RunOptions {
  workerId?: string;
  leaseMs?: number;
  signal?: AbortSignal;
  afterPage?: (page: number) => void | Promise<void>;
}

export type JobOutcome =
  | { jobId: number; status: "succeeded"; imported: number; seen: number; pages: number; gapMinor: number }
  | { jobId: number; status: "failed" | "cancelled" | "retrying" | "lost"; code: string };

const CONSENT_STATUS_OF: Partial<Record<ConnectorError["kind"], ConnectionStatus>> = {
  consent_expired: "expired",
  sca_required: "sca_required",
  consent_revoked: "revoked",
};

/** Claims one due job and runs it to an outcome. Undefined when nothing is due. */
export async function runNextJob(deps: SyncDeps, options: RunOptions = {}): Promise<JobOutcome | undefined> {
  const workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
  const leaseMs = options.leaseMs ?? LEASE_MS;
  const job = await claimSyncJob(deps.db, { id: workerId, now: deps.clock.now(), leaseMs });
  if (!job) return undefined;
  return runClaimedJob(deps, job, { ...options, workerId, leaseMs });
}

export async function runClaimedJob(
  deps: SyncDeps,
  job: SyncJob,
  options: RunOptions & { workerId: string; leaseMs: number },
): Promise<JobOutcome> {
  try {
    const result = await syncAccount(deps, job, options);
    await finishSyncJob(deps.db, job.id, { status: "succeeded", now: deps.clock.now() });
    deps.logger.info("sync succeeded", {
      jobId: job.id,
      accountId: job.bankAccountId,
      ...result,
      balance: undefined,
    });
    return { jobId: job.id, status: "succeeded", ...result };
  } catch (error) {
    return handleFailure(deps, job, error);
  }
}

async function handleFailure(deps: SyncDeps, job: SyncJob, error: unknown): Promise<JobOutcome> {
  const now = deps.clock.now();
  if (error instanceof SyncSkipped) {
    if (error.code === "lease_lost") return { jobId: job.id, status: "lost", code: error.code };
    await finishSyncJob(deps.db, job.id, {
      status: "cancelled",
      now,
      errorCode: error.code,
      errorMessage: error.message,
    });
    return { jobId: job.id, status: "cancelled", code: error.code };
  }
  const failure =
    error instanceof ConnectorError
      ? error
      : new ConnectorError("unavailable", error instanceof Error ? error.message : String(error), {
          cause: error,
        });
  if (!(error instanceof ConnectorError)) deps.logger.error("sync crashed", { jobId: job.id, error });

  const consentStatus = CONSENT_STATUS_OF[failure.kind];
  if (consentStatus) {
    await deps.db.transaction().execute(async (trx) => {
      const connection = await trx
        .selectFrom("bank_accounts")
        .innerJoin("bank_connections", "bank_connections.id", "bank_accounts.connection_id")
        .select(["bank_connections.id", "bank_connections.status"])
        .where("bank_accounts.id", "=", job.bankAccountId)
        .executeTakeFirst();
      if (connection && connection.status !== consentStatus && connection.status !== "disconnected") {
        await setConnectionStatus(trx, connection.id, consentStatus, now);
        await recordAudit(trx, deps.clock, job.organisationId, {
          actor: { userId: null, label: "system" },
          action: "bank.consent_changed",
          subject: connection.id,
          details: { status: consentStatus },
        });
      }
      await setAccountError(trx, job.bankAccountId, failure.kind);
      await finishSyncJob(trx, job.id, {
        status: "failed",
        now,
        errorCode: failure.kind,
        errorMessage: failure.message,
      });
    });
    return { jobId: job.id, status: "failed", code: failure.kind };
  }

  if (failure.transient && job.attempts < job.maxAttempts) {
    const backoff = RETRY_BASE_MS * 2 ** (job.attempts - 1);
    const runAfter = new Date(now.getTime() + Math.max(backoff, failure.retryAfterMs ?? 0));
    await finishSyncJob(deps.db, job.id, {
      status: "queued",
      runAfter,
      errorCode: failure.kind,
      errorMessage: failure.message,
    });
    return { jobId: job.id, status: "retrying", code: failure.kind };
  }

  await deps.db.transaction().execute(async (trx) => {
    // The day's reads are used up: the next scheduled sync waits for the next day.
    const nextSyncAt = failure.kind === "access_exceeded" ? startOfNextBerlinDay(now) : undefined;
    await setAccountError(trx, job.bankAccountId, failure.kind, nextSyncAt);
    await finishSyncJob(trx, job.id, {
      status: "failed",
      now,
      errorCode: failure.kind,
      errorMessage: failure.message,
    });
  });
  return { jobId: job.id, status: "failed", code: failure.kind };
}

/** Runs due jobs until none is left (retries whose time has not come stay queued). For tests and tools. */
export async function drainJobs(deps: SyncDeps, options: RunOptions = {}): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (;;) {
    const outcome = await runNextJob(deps, options);
    if (!outcome) return outcomes;
    outcomes.push(outcome);
  }
}

/**
 * Queues the scheduled syncs that are due: active accounts on a valid consent whose next_sync_at has come.
 * A consent past its validUntil is marked expired here without asking the bank.
 */
export async function scheduleDueSyncs(deps: SyncDeps): Promise<number> {
  const now = deps.clock.now();
  const today = berlinDate(now);
  const expired = await deps.db
    .updateTable("bank_connections")
    .set({ status: "expired", updated_at: now })
    .where("status", "in", ["valid", "sca_required"])
    .where("valid_until", "<", today)
    .returning(["id", "organisation_id"])
    .execute();
  for (const connection of expired) {
    await recordAudit(deps.db, deps.clock, connection.organisation_id, {
      actor: { userId: null, label: "system" },
      action: "bank.consent_changed",
      subject: connection.id,
      details: { status: "expired" },
    });
  }
  const due = await deps.db
    .selectFrom("bank_accounts as a")
    .innerJoin("bank_connections as c", "c.id", "a.connection_id")
    .select(["a.id", "a.organisation_id", "c.frequency_per_day"])
    .where("a.status", "=", "active")
    .where("c.status", "=", "valid")
    .where("a.next_sync_at", "<=", now)
    .execute();
  let queued = 0;
  for (const account of due) {
    await deps.db.transaction().execute(async (trx) => {
      const job = await enqueueSyncJob(trx, {
        organisationId: account.organisation_id,
        bankAccountId: account.id,
        trigger: "scheduled",
        psuIpAddress: null,
        requestedBy: null,
        runAfter: now,
        now,
      });
      if (job.created) queued += 1;
      await trx
        .updateTable("bank_accounts")
        .set({ next_sync_at: new Date(now.getTime() + scheduledSyncInterval(account.frequency_per_day)) })
        .where("id", "=", account.id)
        .execute();
    });
  }
  return queued;
}

export interface RunningWorker {
  stop(): Promise<void>;
}

/** The loop `startBooks` runs: poll for jobs, and schedule syncs now and then. */
export function startWorker(
  deps: SyncDeps,
  options: { pollMs?: number; scheduleEveryMs?: number; workerId?: string } = {},
): RunningWorker {
  const pollMs = options.pollMs ?? 1000;
  const scheduleEveryMs = options.scheduleEveryMs ?? 60_000;
  const workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
  const controller = new AbortController();
  let lastSchedule = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;

  const loop = (async () => {
    while (!controller.signal.aborted) {
      try {
        if (Date.now() - lastSchedule >= scheduleEveryMs) {
          lastSchedule = Date.now();
          await scheduleDueSyncs(deps);
        }
        const outcome = await runNextJob(deps, { workerId, signal: controller.signal });
        if (outcome) continue;
      } catch (error) {
        if (controller.signal.aborted) break;
        deps.logger.error("worker loop failed", { error });
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, pollMs);
      });
    }
  })();

  return {
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
