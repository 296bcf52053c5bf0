import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import type { Clock } from "../web/context.ts";
import { type AuditEntryRow, insertAuditEntry, selectAuditEntries } from "./audit.repository.ts";
import type { AuditAction, AuditDetails } from "./audit.schemas.ts";

type Db = Kysely<BooksDatabase>;

export type AuditEntry = AuditEntryRow;

/** Who did it: a user (labelled by email, kept if the user is deleted) or the system (jobs, syncs). */
export type AuditActor = { userId: string; label: string } | { userId: null; label: "system" };

export interface AuditRecord {
  actor: AuditActor;
  action: AuditAction;
  subject?: string | null;
  details?: AuditDetails;
  requestId?: string | null;
}

/**
 * Appends one entry to an organisation's audit log. Pass the transaction as `db` when the audited change is
 * written in one, so the entry exists exactly when the change does.
 */
export async function recordAudit(
  db: Db,
  clock: Clock,
  organisationId: string,
  record: AuditRecord,
): Promise<number> {
  return insertAuditEntry(db, organisationId, {
    actorUserId: record.actor.userId,
    actorLabel: record.actor.label,
    action: record.action,
    subject: record.subject ?? null,
    details: record.details ?? {},
    requestId: record.requestId ?? null,
    createdAt: clock.now(),
  });
}

export const AUDIT_PAGE_SIZE = 50;

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` to get the next (older) page; null on the last page. */
  olderBefore: number | null;
}

/** One page of an organisation's audit log, newest first; only that organisation's entries. */
export async function listAuditEntries(
  db: Db,
  organisationId: string,
  options: { before?: number | undefined; limit?: number } = {},
): Promise<AuditPage> {
  const limit = options.limit ?? AUDIT_PAGE_SIZE;
  // One more than a page tells whether an older page exists without counting.
  const rows = await selectAuditEntries(db, organisationId, { limit: limit + 1, before: options.before });
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  return { entries, olderBefore: rows.length > limit && last ? last.id : null };
}
