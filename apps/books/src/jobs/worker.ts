/**
 * The in-process worker: fetches due sync jobs from pg-boss one at a time, runs them, and settles the run
 * and its pg-boss job together; every `scheduleEveryMs` it also queues the scheduled syncs that are due.
 * Run more processes against one PostgreSQL to sync more accounts at once: pg-boss's SKIP LOCKED fetch keeps
 * them apart, its exclusive policy keeps one sync per account, and a job whose worker stops sending
 * heartbeats (renewed with the pages it stores) is retried by another after pg-boss's supervisor notices.
 */

import type { Transaction } from "kysely";
import { recordAudit } from "../audit/audit.service.ts";
import { berlinDate, startOfNextBerlinDay } from "../calendar.ts";
import { ConnectorError } from "../connectors/connector.ts";
import type { BooksDatabase, ConnectionStatus } from "../db/schema.ts";
import { setAccountError, setConnectionStatus } from "../sync/sync.repository.ts";
import { type SyncDeps, SyncSkipped, scheduledSyncInterval, syncAccount } from "../sync/sync.service.ts";
import {
  type ClaimedSyncJob,
  enqueueSyncJob,
  failLostSyncJobs,
  finishSyncJob,
  type SyncOutcome,
  startSyncJob,
} from "./jobs.repository.ts";
import { LOST_SYNC_QUEUE, RETRY_LIMIT, SYNC_QUEUE, type SyncJobData } from "./queue.ts";

export interface RunOptions {
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

/**
 * Fetches the next due sync job from pg-boss and marks its run as running. A job whose run is no longer
 * queued or running (cancelled by a disconnect while pg-boss handed it out) is cancelled and skipped.
 */
export async function claimSyncJob(deps: SyncDeps): Promise<ClaimedSyncJob | undefined> {
  await deps.jobs.syncClock();
  for (;;) {
    const [job] = await deps.jobs.boss.fetch<SyncJobData>(SYNC_QUEUE, { batchSize: 1 });
    if (!job) return undefined;
    const attempt = { id: job.id, retryCount: job.retryCount };
    const now = deps.clock.now();
    const run = await startSyncJob(deps.db, attempt, now);
    if (run) return { ...run, attempt, heartbeatAt: now };
    await deps.jobs.boss.cancel(SYNC_QUEUE, attempt);
  }
}

/** Claims one due job and runs it to an outcome. Undefined when nothing is due. */
export async function runNextJob(deps: SyncDeps, options: RunOptions = {}): Promise<JobOutcome | undefined> {
  const job = await claimSyncJob(deps);
  if (!job) return undefined;
  return runClaimedJob(deps, job, options);
}

async function runClaimedJob(
  deps: SyncDeps,
  job: ClaimedSyncJob,
  options: RunOptions = {},
): Promise<JobOutcome> {
  try {
    const result = await syncAccount(deps, job, options);
    const outcome = await settle(
      deps,
      job,
      { status: "succeeded", now: deps.clock.now() },
      { jobId: job.id, status: "succeeded", ...result },
    );
    if (outcome.status === "succeeded") {
      deps.logger.info("sync succeeded", {
        jobId: job.id,
        accountId: job.bankAccountId,
        ...result,
        balance: undefined,
      });
    }
    return outcome;
  } catch (error) {
    return handleFailure(deps, job, error);
  }
}

/**
 * Settles the run and its pg-boss job in one transaction, with `also` (the account's or connection's state)
 * in it. `outcome` when the attempt was still this worker's, else lost: then nothing is written.
 */
async function settle(
  deps: SyncDeps,
  job: ClaimedSyncJob,
  finish: SyncOutcome,
  outcome: JobOutcome,
  also?: (trx: Transaction<BooksDatabase>) => Promise<void>,
): Promise<JobOutcome> {
  const settled = await deps.db.transaction().execute(async (trx) => {
    if (!(await finishSyncJob(deps.jobs, trx, job, finish))) return false;
    await also?.(trx);
    return true;
  });
  return settled ? outcome : { jobId: job.id, status: "lost", code: "lease_lost" };
}

async function handleFailure(deps: SyncDeps, job: ClaimedSyncJob, error: unknown): Promise<JobOutcome> {
  const now = deps.clock.now();
  if (error instanceof SyncSkipped) {
    if (error.code === "lease_lost") return { jobId: job.id, status: "lost", code: "lease_lost" };
    return settle(
      deps,
      job,
      { status: "cancelled", now, errorCode: error.code, errorMessage: error.message },
      { jobId: job.id, status: "cancelled", code: error.code },
    );
  }
  const failure =
    error instanceof ConnectorError
      ? error
      : new ConnectorError("unavailable", error instanceof Error ? error.message : String(error), {
          cause: error,
        });
  if (!(error instanceof ConnectorError)) deps.logger.error("sync crashed", { jobId: job.id, error });
  const failed = { status: "failed", now, errorCode: failure.kind, errorMessage: failure.message } as const;
  const failedOutcome: JobOutcome = { jobId: job.id, status: "failed", code: failure.kind };

  const consentStatus = CONSENT_STATUS_OF[failure.kind];
  if (consentStatus) {
    return settle(deps, job, failed, failedOutcome, async (trx) => {
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
    });
  }

  // pg-boss waits its backoff (30 s doubling, with jitter) before the next attempt, or as long as the bank's
  // Retry-After asked where that is longer.
  if (failure.transient && job.attempt.retryCount < RETRY_LIMIT) {
    return settle(
      deps,
      job,
      {
        status: "queued",
        errorCode: failure.kind,
        errorMessage: failure.message,
        notBefore:
          failure.retryAfterMs === undefined ? undefined : new Date(now.getTime() + failure.retryAfterMs),
      },
      { jobId: job.id, status: "retrying", code: failure.kind },
    );
  }

  return settle(deps, job, failed, failedOutcome, async (trx) => {
    // The day's reads are used up: the next scheduled sync waits for the next day.
    const nextSyncAt = failure.kind === "access_exceeded" ? startOfNextBerlinDay(now) : undefined;
    await setAccountError(trx, job.bankAccountId, failure.kind, nextSyncAt);
  });
}

/**
 * Runs pg-boss's supervisor (it retries jobs whose worker stopped sending heartbeats, under a test clock
 * only when asked), ends the runs pg-boss gave up on, then runs due jobs until none is left (retries whose
 * time has not come stay queued). For tests and tools; the server's worker has pg-boss's own timers.
 */
export async function drainJobs(deps: SyncDeps, options: RunOptions = {}): Promise<JobOutcome[]> {
  await deps.jobs.syncClock();
  await deps.jobs.boss.supervise(SYNC_QUEUE);
  await failLostSyncs(deps);
  return runDueJobs(deps, options);
}

/** Runs due jobs one after the other until none is left, as a worker takes them (no maintenance pass). */
export async function runDueJobs(deps: SyncDeps, options: RunOptions = {}): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (;;) {
    const outcome = await runNextJob(deps, options);
    if (!outcome) return outcomes;
    outcomes.push(outcome);
  }
}

/**
 * A job pg-boss failed itself on its last attempt (no heartbeat, or past its expiry) lands in the dead
 * letter queue; its run is marked failed there, so it does not show as running for ever.
 */
async function failLostSyncs(deps: SyncDeps): Promise<void> {
  await deps.jobs.syncClock();
  const dead = await deps.jobs.boss.fetch<SyncJobData>(LOST_SYNC_QUEUE, {
    batchSize: 50,
    includeMetadata: true,
  });
  if (dead.length === 0) return;
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    await failLostSyncJobs(
      trx,
      dead.flatMap((job) => (job.sourceId ? [job.sourceId] : [])),
      now,
      "the worker running this sync stopped on its last attempt",
    );
    await deps.jobs.boss.complete(
      LOST_SYNC_QUEUE,
      dead.map((job) => ({ id: job.id, retryCount: job.retryCount })),
      null,
      { db: deps.jobs.inTransaction(trx) },
    );
  });
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
      const job = await enqueueSyncJob(deps.jobs, trx, {
        organisationId: account.organisation_id,
        bankAccountId: account.id,
        trigger: "scheduled",
        psuIpAddress: null,
        requestedBy: null,
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

/**
 * The loop `startBooks` runs: poll pg-boss for jobs, and now and then schedule syncs and end the runs
 * pg-boss gave up on. pg-boss's own timers supervise (lost heartbeats, expiry, retention).
 */
export function startWorker(
  deps: SyncDeps,
  options: { pollMs?: number; scheduleEveryMs?: number } = {},
): RunningWorker {
  const pollMs = options.pollMs ?? 1000;
  const scheduleEveryMs = options.scheduleEveryMs ?? 60_000;
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
          await failLostSyncs(deps);
        }
        const outcome = await runNextJob(deps, { signal: controller.signal });
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
