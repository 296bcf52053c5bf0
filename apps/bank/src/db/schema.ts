import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** Kysely table interfaces for the bank's own database. Money columns are bigint minor units. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TppTable {
  id: string; // the TPP's authorisation number at its regulator, e.g. "PSDDE-BAFIN-911001"
  name: string;
  key_hash: string; // sha256 hex of the TPP's sandbox key
  roles: string[];
  created_at: Timestamp;
}

export interface BusinessTable {
  id: Generated<string>;
  name: string;
  plan: "solo" | "basic" | "smart" | "essential" | "business" | "enterprise";
  created_at: Timestamp;
}

export interface PsuTable {
  id: Generated<string>;
  login: string;
  display_name: string;
  email: string;
  password_hash: string;
  tan: string; // the sandbox's static TAN for this PSU
  created_at: Timestamp;
}

export interface AccountTable {
  id: Generated<string>; // XS2A resourceId
  business_id: string;
  parent_id: string | null; // a sub-account's main account
  iban: string;
  bic: string;
  currency: string;
  name: string;
  product: string;
  status: Generated<"enabled" | "deleted" | "blocked">;
  debit_blocked: Generated<boolean>;
  opening_balance_minor: number;
  /** Opening balance plus every booked transaction; kept in the same transaction as each booking. */
  booked_balance_minor: number;
  created_at: Timestamp;
}

export interface MembershipTable {
  psu_id: string;
  account_id: string;
  can_view: Generated<boolean>;
  can_create_payments: Generated<boolean>;
  can_approve_payments: Generated<boolean>;
  limit_per_transfer_minor: ColumnType<number | null, number | null | undefined, number | null>;
  limit_per_month_minor: ColumnType<number | null, number | null | undefined, number | null>;
}

export type BookingStatus = "booked" | "pending";

export interface TransactionTable {
  seq: Generated<number>; // internal, monotonic: the paging key together with booking_date
  account_id: string;
  transaction_id: string; // stable public id
  entry_reference: string | null;
  status: BookingStatus;
  booking_date: string;
  value_date: string;
  amount_minor: number;
  currency: string;
  counterparty_name: string | null;
  counterparty_iban: string | null;
  counterparty_bic: string | null;
  remittance: string | null;
  end_to_end_id: string | null;
  mandate_id: string | null;
  creditor_id: string | null;
  bank_transaction_code: string | null; // ISO 20022 domain-family-subfamily, e.g. PMNT-RCDT-ESCT
  proprietary_code: string | null; // German GVC, e.g. "166"
  booking_text: string | null; // e.g. "SEPA-Gutschrift"
  created_at: Timestamp;
  /** The row as an XS2A transaction object (JSON text), rendered by a trigger whenever the row is written. */
  xs2a: Generated<string>;
}

export type ConsentStatus =
  | "received"
  | "rejected"
  | "valid"
  | "revokedByPsu"
  | "expired"
  | "terminatedByTpp"
  | "partiallyAuthorised";

export interface ConsentTable {
  id: string;
  tpp_id: string;
  psu_id: string | null;
  status: ConsentStatus;
  /** The `access` object as the TPP asked for it (JSON). */
  access: ColumnType<unknown, string, string>;
  recurring: boolean;
  valid_until: string;
  frequency_per_day: number;
  combined: boolean;
  created_at: Timestamp;
  status_changed_at: Timestamp;
  last_sca_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Set when the bank wants SCA again before the next read (random re-SCA, 180-day rule). */
  sca_required: Generated<boolean>;
  last_accessed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type ConsentScope = "accounts" | "balances" | "transactions";

export interface ConsentAccountTable {
  consent_id: string;
  account_id: string;
  scope: ConsentScope;
}

export type ScaStatus =
  | "received"
  | "psuIdentified"
  | "psuAuthenticated"
  | "scaMethodSelected"
  | "started"
  | "unconfirmed"
  | "finalised"
  | "failed"
  | "exempted";

export interface AuthorisationTable {
  id: string;
  consent_id: string;
  sca_status: ScaStatus;
  sca_approach: "REDIRECT" | "DECOUPLED";
  psu_id: string | null;
  redirect_uri: string | null;
  nok_redirect_uri: string | null;
  /** sha256 of the one-time token that ties the redirect pages' steps together (no cookie needed). */
  step_token_hash: string | null;
  failed_attempts: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ConsentUsageTable {
  consent_id: string;
  resource: string; // "list" or "<accountId>:<balances|transactions|details>"
  usage_date: string;
  count: number;
}

export interface PsuSessionTable {
  token_hash: string;
  psu_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  locked_until: Timestamp | null;
}

export interface BankDB {
  tpps: TppTable;
  businesses: BusinessTable;
  psus: PsuTable;
  accounts: AccountTable;
  memberships: MembershipTable;
  transactions: TransactionTable;
  consents: ConsentTable;
  consent_accounts: ConsentAccountTable;
  authorisations: AuthorisationTable;
  consent_usage: ConsentUsageTable;
  psu_sessions: PsuSessionTable;
  login_throttle: LoginThrottleTable;
  signing_keys: SigningKeyTable;
}

/** A secret of the bank's own, by purpose (signing.ts). */
export interface SigningKeyTable {
  purpose: string;
  /** 32 random bytes, hex. */
  secret: string;
  created_at: Generated<Date>;
}

export type Account = Selectable<AccountTable>;
export type Transaction = Selectable<TransactionTable>;
export type NewTransaction = Insertable<TransactionTable>;
export type Consent = Selectable<ConsentTable>;
export type Authorisation = Selectable<AuthorisationTable>;
export type Psu = Selectable<PsuTable>;
