/**
 * The record of each sync run (table sync_jobs): what the user sees — progress, pages, rows seen and
 * imported, errors, when it ran — and what bank_transactions.sync_job_id points at. The queue itself is
 * pg-boss (jobs/queue.ts): it holds when a job runs, its lease (heartbeat), its retries with backoff, and its
 * `exclusive` policy with the account id as singletonKey keeps one queued-or-running sync per account.
 *
 * Session 1 kept its own queue table because pg-boss 10 took 6 s to install its schema on PGlite. pg-boss 12
 * installs in ~0.2 s, has adapters to enqueue inside our Kysely transactions, and a test clock. A run row
 * and its pg-boss job change together: enqueued, settled and heartbeated in the same transaction.
 *
 * Every instant written here comes from the injected clock, so tests move time.
 */
import type { Kysely, Transaction } from "kysely";
import type { CommandResponse, JobAttempt } from "pg-boss";
import type { BooksDatabase, SyncJobStatus, SyncTrigger } from "../db/schema.ts";
import { HEARTBEAT_SECONDS, SYNC_QUEUE, type SyncJobData, type SyncQueue } from "./queue.ts";

type Db = Kysely<BooksDatabase> | Transaction<BooksDatabase>;

/** pg-boss 12's .d.ts declares CommandResponse empty; at run time it carries how many jobs were affected. */
function affected(response: CommandResponse): number {
  return (response as { affected?: number }).affected ?? 0;
}

export interface SyncJob {
  id: number;
  organisationId: string;
  bankAccountId: string;
  trigger: SyncTrigger;
  psuIpAddress: string | null;
  requestedBy: string | null;
  status: SyncJobStatus;
  bossJobId: string | null;
  attempts: number;
  progress: number;
  pages: number;
  seen: number;
  imported: number;
  dateFrom: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A run a worker holds: its pg-boss job attempt fences every settle and heartbeat to this worker. */
export interface ClaimedSyncJob extends SyncJob {
  /** pg-boss's job id and how many retries came before this attempt (RETRY_LIMIT in all). */
  attempt: JobAttempt;
  /** When pg-boss last heard from this worker (the fetch counts). */
  heartbeatAt: Date;
}

const COLUMNS = [
  "id",
  "organisation_id as organisationId",
  "bank_account_id as bankAccountId",
  "trigger",
  "psu_ip_address as psuIpAddress",
  "requested_by as requestedBy",
  "status",
  "boss_job_id as bossJobId",
  "attempts",
  "progress",
  "pages",
  "seen",
  "imported",
  "date_from as dateFrom",
  "error_code as errorCode",
  "error_message as errorMessage",
  "created_at as createdAt",
  "started_at as startedAt",
  "finished_at as finishedAt",
] as const;

export interface NewSyncJob {
  organisationId: string;
  bankAccountId: string;
  trigger: SyncTrigger;
  psuIpAddress: string | null;
  requestedBy: string | null;
  now: Date;
}

/**
 * Queues a sync unless one is already queued or running for the account: pg-boss's exclusive policy on
 * the account id decides, so two clicks or two schedulers cannot both queue one. The pg-boss job and the
 * run row commit with `trx`. Returns the run that will happen.
 */
export async function enqueueSyncJob(
  jobs: SyncQueue,
  trx: Transaction<BooksDatabase>,
  job: NewSyncJob,
): Promise<{ id: number; created: boolean }> {
  const data: SyncJobData = { bankAccountId: job.bankAccountId };
  const bossJobId = await jobs.boss.send(SYNC_QUEUE, data, {
    singletonKey: job.bankAccountId,
    // From books' clock, not the database's, so a test's time decides when it is due.
    startAfter: job.now,
    db: jobs.inTransaction(trx),
  });
  if (bossJobId) {
    const inserted = await trx
      .insertInto("sync_jobs")
      .values({
        organisation_id: job.organisationId,
        bank_account_id: job.bankAccountId,
        trigger: job.trigger,
        psu_ip_address: job.psuIpAddress,
        requested_by: job.requestedBy,
        status: "queued",
        boss_job_id: bossJobId,
        created_at: job.now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { id: inserted.id, created: true };
  }
  const active = await trx
    .selectFrom("sync_jobs")
    .select("id")
    .where("bank_account_id", "=", job.bankAccountId)
    .where("status", "in", ["queued", "running"])
    .orderBy("id", "desc")
    .executeTakeFirst();
  if (!active)
    throw new Error(`pg-boss holds a sync of account ${job.bankAccountId} that sync_jobs does not`);
  // A user asking while a scheduled sync waits: the user is present now, so the read is attended.
  if (job.psuIpAddress !== null) {
    await trx
      .updateTable("sync_jobs")
      .set({ psu_ip_address: job.psuIpAddress, trigger: job.trigger })
      .where("id", "=", active.id)
      .where("status", "=", "queued")
      .execute();
  }
  return { id: active.id, created: false };
}

/** Marks the run of a fetched pg-boss job as running. Undefined when the run is no longer queued or running. */
export function startSyncJob(db: Db, bossJob: JobAttempt, now: Date): Promise<SyncJob | undefined> {
  return db
    .updateTable("sync_jobs")
    .set((eb) => ({
      status: "running",
      attempts: bossJob.retryCount + 1,
      started_at: eb.fn.coalesce("started_at", eb.val(now)),
      error_code: null,
      error_message: null,
    }))
    .where("boss_job_id", "=", bossJob.id)
    .where("status", "in", ["queued", "running"])
    .returning(COLUMNS)
    .executeTakeFirst();
}

export function findSyncJob(db: Db, id: number): Promise<SyncJob | undefined> {
  return db.selectFrom("sync_jobs").select(COLUMNS).where("id", "=", id).executeTakeFirst();
}

/** Jobs of one organisation, by id (a status page never shows another organisation's jobs). */
export function findSyncJobsOfOrganisation(
  db: Db,
  organisationId: string,
  ids: readonly number[],
): Promise<SyncJob[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .selectFrom("sync_jobs")
    .select(COLUMNS)
    .where("organisation_id", "=", organisationId)
    .where("id", "in", ids)
    .orderBy("id")
    .execute();
}

export function latestSyncJobs(db: Db, bankAccountId: string, limit: number): Promise<SyncJob[]> {
  return db
    .selectFrom("sync_jobs")
    .select(COLUMNS)
    .where("bank_account_id", "=", bankAccountId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/**
 * Progress of a running job, in the transaction that stored the page. Fenced to this worker's attempt
 * (pg-boss gives a job taken over a higher retry count, and the run row its attempt number): false when
 * the run is no longer this worker's, and nothing is written then. Renews the pg-boss heartbeat once a
 * fifth of HEARTBEAT_SECONDS has passed since the last, not on every page, so a short sync pays for none.
 */
export async function recordProgress(
  jobs: SyncQueue,
  trx: Transaction<BooksDatabase>,
  job: ClaimedSyncJob,
  progress: { progress: number; pages: number; seen: number; imported: number; dateFrom: string },
  now: Date,
): Promise<boolean> {
  if (now.getTime() - job.heartbeatAt.getTime() >= (HEARTBEAT_SECONDS * 1000) / 5) {
    const touched = await jobs.boss.touch(SYNC_QUEUE, job.attempt, { db: jobs.inTransaction(trx) });
    if (affected(touched) !== 1) return false;
    job.heartbeatAt = now;
  }
  const updated = await trx
    .updateTable("sync_jobs")
    .set({
      progress: progress.progress,
      pages: progress.pages,
      seen: progress.seen,
      imported: progress.imported,
      date_from: progress.dateFrom,
    })
    .where("id", "=", job.id)
    .where("status", "=", "running")
    .where("attempts", "=", job.attempts)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) === 1;
}

export type SyncOutcome =
  | { status: "succeeded"; now: Date }
  | { status: "failed" | "cancelled"; now: Date; errorCode: string; errorMessage: string }
  | {
      status: "queued";
      errorCode: string;
      errorMessage: string;
      /** Not before this instant (the bank's Retry-After), should pg-boss's backoff come sooner. */
      notBefore?: Date | undefined;
    };

/**
 * Settles a claimed run and its pg-boss job together: succeeded and failed complete the job (the run
 * holds the outcome), cancelled cancels it, and queued fails it so pg-boss retries it after its backoff.
 * False when the attempt was no longer this worker's: then nothing is written.
 */
export async function finishSyncJob(
  jobs: SyncQueue,
  trx: Transaction<BooksDatabase>,
  job: ClaimedSyncJob,
  outcome: SyncOutcome,
): Promise<boolean> {
  const db = jobs.inTransaction(trx);
  const settled =
    outcome.status === "cancelled"
      ? await jobs.boss.cancel(SYNC_QUEUE, job.attempt, { db })
      : outcome.status === "queued"
        ? await jobs.boss.fail(
            SYNC_QUEUE,
            job.attempt,
            { code: outcome.errorCode, message: outcome.errorMessage },
            { db },
          )
        : await jobs.boss.complete(
            SYNC_QUEUE,
            job.attempt,
            outcome.status === "succeeded"
              ? { status: "succeeded" }
              : { status: outcome.status, code: outcome.errorCode },
            { db },
          );
  if (affected(settled) !== 1) return false;
  if (outcome.status === "queued" && outcome.notBefore) {
    // pg-boss's backoff knows nothing of the bank's Retry-After: the retry moves later when the bank asked
    // for a longer wait, never earlier.
    const retry = await jobs.boss.getJobById(SYNC_QUEUE, job.attempt.id, { db });
    if (retry && retry.startAfter < outcome.notBefore) {
      await jobs.boss.update(SYNC_QUEUE, undefined, {
        id: job.attempt.id,
        startAfter: outcome.notBefore,
        db,
      });
    }
  }
  if (outcome.status === "queued") {
    await trx
      .updateTable("sync_jobs")
      .set({ status: "queued", error_code: outcome.errorCode, error_message: outcome.errorMessage })
      .where("id", "=", job.id)
      .execute();
    return true;
  }
  await trx
    .updateTable("sync_jobs")
    .set({
      status: outcome.status,
      finished_at: outcome.now,
      ...(outcome.status === "succeeded"
        ? { progress: 1000, error_code: null, error_message: null }
        : { error_code: outcome.errorCode, error_message: outcome.errorMessage }),
    })
    .where("id", "=", job.id)
    .execute();
  return true;
}

/**
 * Ends runs whose pg-boss job pg-boss itself gave up on (lost heartbeat or timeout on the last attempt),
 * read from the dead letter queue by the job's original id.
 */
export async function failLostSyncJobs(
  trx: Transaction<BooksDatabase>,
  bossJobIds: readonly string[],
  now: Date,
  reason: string,
): Promise<void> {
  if (bossJobIds.length === 0) return;
  await trx
    .updateTable("sync_jobs")
    .set({ status: "failed", finished_at: now, error_code: "worker_lost", error_message: reason })
    .where("boss_job_id", "in", bossJobIds)
    .where("status", "in", ["queued", "running"])
    .execute();
}

/** Cancels the queued syncs of accounts (disconnect, consent gone); a running one finishes on its own. */
export async function cancelQueuedSyncJobs(
  jobs: SyncQueue,
  trx: Transaction<BooksDatabase>,
  bankAccountIds: readonly string[],
  now: Date,
  code: string,
) {
  if (bankAccountIds.length === 0) return;
  const cancelled = await trx
    .updateTable("sync_jobs")
    .set({ status: "cancelled", finished_at: now, error_code: code, error_message: code })
    .where("bank_account_id", "in", bankAccountIds)
    .where("status", "=", "queued")
    .returning("boss_job_id")
    .execute();
  const ids = cancelled.flatMap((r) => (r.boss_job_id ? [r.boss_job_id] : []));
  if (ids.length > 0) await jobs.boss.cancel(SYNC_QUEUE, ids, { db: jobs.inTransaction(trx) });
}
