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

/** Books' view of a consent (docs/design/consent-lifecycle.md). */
export type ConnectionStatus =
  | "pending"
  | "valid"
  | "sca_required"
  | "expired"
  | "revoked"
  | "rejected"
  | "disconnected";

type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface BankConnectionTable {
  id: string;
  organisation_id: string;
  /** Entry of the bank directory (accounts/bank-directory.ts). */
  bank_id: string;
  bank_name: string;
  consent_id_sealed: ColumnType<string | null, string | null | undefined, string | null>;
  /** The user's id at the bank of the last decoupled SCA, sealed (secret-box context "psu:<org>:<connection>"). */
  psu_id_sealed: ColumnType<string | null, string | null | undefined, string | null>;
  status: ConnectionStatus;
  valid_until: ColumnType<string | null, string | null | undefined, string | null>;
  frequency_per_day: Generated<number>;
  last_sca_at: NullableTimestamp;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ConnectFlowKind = "connect" | "sca_again" | "reconsent";

export interface OfferedAccount {
  resourceId: string;
  iban: string;
  currency: string;
  name: string | null;
}

export interface BankConnectFlowTable {
  id: string;
  state_hash: string;
  organisation_id: string;
  user_id: string;
  session_hash: string;
  connection_id: string;
  kind: ConnectFlowKind;
  /** "redirected": the user is at the bank (its redirect pages, or its app for decoupled SCA). */
  status: "redirected" | "returned" | "completed" | "failed";
  offered_accounts: ColumnType<OfferedAccount[] | null, string | null, string | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
  sca_approach: ColumnType<ScaApproach, ScaApproach | undefined, ScaApproach>;
  /** The bank's authorisation id of a decoupled flow, to poll its SCA status. */
  authorisation_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The bank's psuMessage when the decoupled SCA started. */
  psu_message: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The SCA approaches books drives itself. */
export type ScaApproach = "REDIRECT" | "DECOUPLED";

export interface BankAccountTable {
  id: string;
  organisation_id: string;
  connection_id: string;
  /** The bank's account id (XS2A resourceId) under the current consent. */
  resource_id: string;
  iban: string;
  currency: string;
  name: string;
  import_from: string;
  status: "active" | "disconnected";
  /** Balance at the start of import_from, defined at the first complete sync (docs/design/dedup.md). */
  opening_balance_minor: number | null;
  booked_balance_minor: number | null;
  /** Sum of the account's bank_transactions, kept by the insert (docs/design/dedup.md). */
  imported_sum_minor: Generated<number>;
  balance_date: string | null;
  last_booked_date: string | null;
  last_synced_at: NullableTimestamp;
  last_reconciled_at: NullableTimestamp;
  next_sync_at: NullableTimestamp;
  last_error: string | null;
  created_at: Timestamp;
}

export interface BankTransactionTable {
  id: Generated<number>;
  organisation_id: string;
  bank_account_id: string;
  external_id: string;
  booking_date: string;
  value_date: string | null;
  amount_minor: number;
  currency: string;
  counterparty_name: string | null;
  counterparty_iban: string | null;
  remittance: string | null;
  end_to_end_id: string | null;
  mandate_id: string | null;
  creditor_id: string | null;
  bank_transaction_code: string | null;
  booking_text: string | null;
  sync_job_id: number | null;
  imported_at: Timestamp;
}

export interface BankPendingTransactionTable {
  id: Generated<number>;
  bank_account_id: string;
  value_date: string | null;
  amount_minor: number;
  currency: string;
  counterparty_name: string | null;
  remittance: string | null;
  seen_at: Timestamp;
}

export type SyncJobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type SyncTrigger = "manual" | "scheduled" | "connect";

export interface SyncJobTable {
  id: Generated<number>;
  organisation_id: string;
  bank_account_id: string;
  trigger: SyncTrigger;
  psu_ip_address: string | null;
  requested_by: string | null;
  status: SyncJobStatus;
  /** pg-boss's job that runs this sync (jobs/queue.ts). */
  boss_job_id: string | null;
  attempts: Generated<number>;
  progress: Generated<number>;
  pages: Generated<number>;
  seen: Generated<number>;
  imported: Generated<number>;
  date_from: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
}

export interface BankReadBudgetTable {
  connection_id: string;
  resource: string;
  usage_date: string;
  count: number;
}

export interface BalanceGapTable {
  id: Generated<number>;
  bank_account_id: string;
  period_from: string;
  period_to: string;
  difference_minor: number;
  detected_at: Timestamp;
  closed_at: NullableTimestamp;
}

export interface BooksDatabase {
  bank_connections: BankConnectionTable;
  bank_connect_flows: BankConnectFlowTable;
  bank_accounts: BankAccountTable;
  bank_transactions: BankTransactionTable;
  bank_pending_transactions: BankPendingTransactionTable;
  sync_jobs: SyncJobTable;
  bank_read_budget: BankReadBudgetTable;
  balance_gaps: BalanceGapTable;
  organisations: OrganisationTable;
  users: UserTable;
  memberships: MembershipTable;
  sessions: SessionTable;
  audit_log: AuditLogTable;
  login_throttle: LoginThrottleTable;
}
