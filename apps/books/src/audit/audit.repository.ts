import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import type { AuditAction, AuditDetails } from "./audit.schemas.ts";

type Db = Kysely<BooksDatabase>;

export interface AuditEntryRow {
  id: number;
  actorUserId: string | null;
  actorLabel: string;
  action: AuditAction;
  subject: string | null;
  details: AuditDetails;
  requestId: string | null;
  createdAt: Date;
}

export async function insertAuditEntry(
  db: Db,
  organisationId: string,
  entry: Omit<AuditEntryRow, "id">,
): Promise<number> {
  const row = await db
    .insertInto("audit_log")
    .values({
      organisation_id: organisationId,
      actor_user_id: entry.actorUserId,
      actor_label: entry.actorLabel,
      action: entry.action,
      subject: entry.subject,
      details: JSON.stringify(entry.details),
      request_id: entry.requestId,
      created_at: entry.createdAt,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Newest first; `before` (an entry id) pages back through older entries. */
export async function selectAuditEntries(
  db: Db,
  organisationId: string,
  page: { limit: number; before?: number | undefined },
): Promise<AuditEntryRow[]> {
  let query = db
    .selectFrom("audit_log")
    .select([
      "id",
      "actor_user_id as actorUserId",
      "actor_label as actorLabel",
      "action",
      "subject",
      "details",
      "request_id as requestId",
      "created_at as createdAt",
    ])
    .where("organisation_id", "=", organisationId);
  if (page.before !== undefined) query = query.where("id", "<", page.before);
  return query.orderBy("id", "desc").limit(page.limit).execute();
}
