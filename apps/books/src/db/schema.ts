import type { ColumnType, Generated } from "kysely";
import type { AuditAction, AuditDetails } from "../audit/audit.schemas.ts";
import type { Role } from "../organisations/permissions.ts";

/**
 * Kysely table interfaces for books' own database. Instants are timestamptz (read as Date); every row that a
 * tenant owns carries organisation_id, and every repository function filters by it.
 */

/** Written from the injected clock, never from the database's now(), so tests can move time. */
type Timestamp = ColumnType<Date, Date, Date>;

export interface OrganisationTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface UserTable {
  id: string;
  /** Always lower-case (a check constraint holds it), so the unique index is case-insensitive. */
  email: string;
  name: string;
  /** "scrypt$N$r$p$salt$hash"; see auth/password.ts. */
  password_hash: string;
  created_at: Timestamp;
}

export interface MembershipTable {
  organisation_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}

export interface SessionTable {
  /** sha256 (hex) of the cookie's token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  /** The organisation the session is working in; a membership of the user (foreign key). */
  organisation_id: string;
  /** Synchronizer token for state-changing requests made with this session. */
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  organisation_id: string;
  actor_user_id: string | null;
  /** Who, as they were called when it happened (kept if the user is later removed). */
  actor_label: string;
  action: AuditAction;
  /** What the entry is about, e.g. a bank account id; null when the action itself says it all. */
  subject: string | null;
  details: ColumnType<AuditDetails, string, string>;
  request_id: string | null;
  created_at: Timestamp;
}

export interface LoginThrottleTable {
  /** "email:<address>" */
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: ColumnType<Date | null, Date | null, Date | null>;
}

export interface BooksDatabase {
  organisations: OrganisationTable;
  users: UserTable;
  memberships: MembershipTable;
  sessions: SessionTable;
  audit_log: AuditLogTable;
  login_throttle: LoginThrottleTable;
}
