/**
 * Durable jobs in books' own Postgres: one table (sync_jobs), claimed with FOR UPDATE SKIP LOCKED.
 *
 * Why not pg-boss (installed, v10): it does run on PGlite behind an `executeSql` adapter, but measured here
 * its schema install took 6.0 s on an in-memory PGlite (every test database and every fresh demo start pays
 * it), and PGlite is one connection behind Kysely's mutex, so pg-boss's own polling and maintenance queries
 * would queue behind (or, through a shared adapter, run inside) our transactions. Enqueuing in the same
 * transaction as the rows that cause a job, which the design asks for, needed an adapter over each Kysely
 * transaction as well. A table, a partial unique index (one queued-or-running sync per account) and a
 * SKIP LOCKED claim do what books needs on both engines, and more worker processes against one PostgreSQL
 * share the work the same way.
 *
 * Every instant comes from the injected clock, so tests move time (leases, backoff, next day).
 */
import { type Kysely, sql, type Transaction } from "kysely";
import type { BooksDatabase, SyncJobStatus, SyncTrigger } from "../db/schema.ts";

type Db = Kysely<BooksDatabase> | Transaction<BooksDatabase>;

export interface SyncJob {
  id: number;
  organisationId: string;
  bankAccountId: string;
  trigger: SyncTrigger;
  psuIpAddress: string | null;
  requestedBy: string | null;
  status: SyncJobStatus;
  attempts: number;
  maxAttempts: number;
  runAfter: Date;
  lockedUntil: Date | null;
  lockedBy: string | null;
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

const COLUMNS = [
  "id",
  "organisation_id as organisationId",
  "bank_account_id as bankAccountId",
  "trigger",
  "psu_ip_address as psuIpAddress",
  "requested_by as requestedBy",
  "status",
  "attempts",
  "max_attempts as maxAttempts",
  "run_after as runAfter",
  "locked_until as lockedUntil",
  "locked_by as lockedBy",
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
  runAfter: Date;
  now: Date;
}

/**
 * Queues a sync unless one is already queued or running for the account (the partial unique index decides,
 * so two clicks or two schedulers cannot both queue one). Returns the job that will run.
 */
export async function enqueueSyncJob(db: Db, job: NewSyncJob): Promise<{ id: number; created: boolean }> {
  const inserted = await db
    .insertInto("sync_jobs")
    .values({
      organisation_id: job.organisationId,
      bank_account_id: job.bankAccountId,
      trigger: job.trigger,
      psu_ip_address: job.psuIpAddress,
      requested_by: job.requestedBy,
      status: "queued",
      run_after: job.runAfter,
      created_at: job.now,
    })
    .onConflict((oc) => oc.column("bank_account_id").where("status", "in", ["queued", "running"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const active = await db
    .selectFrom("sync_jobs")
    .select("id")
    .where("bank_account_id", "=", job.bankAccountId)
    .where("status", "in", ["queued", "running"])
    .executeTakeFirst();
  if (!active) throw new Error("a sync job was neither inserted nor found active");
  // A user asking while a scheduled sync waits: the user is present now, so the read is attended.
  if (job.psuIpAddress !== null) {
    await db
      .updateTable("sync_jobs")
      .set({ psu_ip_address: job.psuIpAddress, trigger: job.trigger, run_after: job.runAfter })
      .where("id", "=", active.id)
      .where("status", "=", "queued")
      .execute();
  }
  return { id: active.id, created: false };
}

/**
 * Claims the next due job: a queued one whose time has come, or a running one whose lease ran out (its
 * worker died). SKIP LOCKED lets several workers claim side by side without waiting on each other.
 */
export async function claimSyncJob(
  db: Kysely<BooksDatabase>,
  worker: { id: string; now: Date; leaseMs: number },
): Promise<SyncJob | undefined> {
  const { rows } = await sql<{ id: number }>`
    update sync_jobs set
      status = 'running',
      attempts = attempts + 1,
      locked_by = ${worker.id},
      locked_until = ${new Date(worker.now.getTime() + worker.leaseMs)},
      started_at = coalesce(started_at, ${worker.now}),
      error_code = null,
      error_message = null
    where id = (
      select id from sync_jobs
      where (status = 'queued' and run_after <= ${worker.now})
         or (status = 'running' and locked_until < ${worker.now})
      order by run_after, id
      limit 1
      for update skip locked
    )
    returning id`.execute(db);
  const id = rows[0]?.id;
  return id === undefined ? undefined : findSyncJob(db, id);
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

/** Progress of a running job; also renews its lease, so only a job whose worker stopped is taken over. */
export async function recordProgress(
  db: Db,
  id: number,
  lock: { workerId: string; lockedUntil: Date },
  progress: { progress: number; pages: number; seen: number; imported: number; dateFrom: string },
): Promise<boolean> {
  const result = await db
    .updateTable("sync_jobs")
    .set({
      progress: progress.progress,
      pages: progress.pages,
      seen: progress.seen,
      imported: progress.imported,
      date_from: progress.dateFrom,
      locked_until: lock.lockedUntil,
    })
    .where("id", "=", id)
    .where("status", "=", "running")
    .where("locked_by", "=", lock.workerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function finishSyncJob(
  db: Db,
  id: number,
  outcome:
    | { status: "succeeded"; now: Date }
    | { status: "failed" | "cancelled"; now: Date; errorCode: string; errorMessage: string }
    | { status: "queued"; runAfter: Date; errorCode: string; errorMessage: string },
): Promise<void> {
  if (outcome.status === "queued") {
    await db
      .updateTable("sync_jobs")
      .set({
        status: "queued",
        run_after: outcome.runAfter,
        locked_by: null,
        locked_until: null,
        error_code: outcome.errorCode,
        error_message: outcome.errorMessage,
      })
      .where("id", "=", id)
      .execute();
    return;
  }
  await db
    .updateTable("sync_jobs")
    .set({
      status: outcome.status,
      finished_at: outcome.now,
      locked_by: null,
      locked_until: null,
      ...(outcome.status === "succeeded"
        ? { progress: 1000, error_code: null, error_message: null }
        : { error_code: outcome.errorCode, error_message: outcome.errorMessage }),
    })
    .where("id", "=", id)
    .execute();
}

/** Cancels the queued syncs of accounts (disconnect, consent gone); a running one finishes on its own. */
export async function cancelQueuedSyncJobs(
  db: Db,
  bankAccountIds: readonly string[],
  now: Date,
  code: string,
) {
  if (bankAccountIds.length === 0) return;
  await db
    .updateTable("sync_jobs")
    .set({ status: "cancelled", finished_at: now, error_code: code, error_message: code })
    .where("bank_account_id", "in", bankAccountIds)
    .where("status", "=", "queued")
    .execute();
}
