/** SQL for Finances > Accounts: connections, connect flows, bank accounts and their transactions. */
import { type Kysely, sql, type Transaction } from "kysely";
import type {
  BooksDatabase,
  ConnectFlowKind,
  ConnectionStatus,
  OfferedAccount,
  ScaApproach,
} from "../db/schema.ts";

type Db = Kysely<BooksDatabase> | Transaction<BooksDatabase>;

export interface ConnectionRow {
  id: string;
  organisationId: string;
  bankId: string;
  bankName: string;
  consentIdSealed: string | null;
  status: ConnectionStatus;
  validUntil: string | null;
  frequencyPerDay: number;
  lastScaAt: Date | null;
}

const CONNECTION_COLUMNS = [
  "id",
  "organisation_id as organisationId",
  "bank_id as bankId",
  "bank_name as bankName",
  "consent_id_sealed as consentIdSealed",
  "status",
  "valid_until as validUntil",
  "frequency_per_day as frequencyPerDay",
  "last_sca_at as lastScaAt",
] as const;

export async function insertConnection(
  db: Db,
  row: { id: string; organisationId: string; bankId: string; bankName: string; createdBy: string; now: Date },
): Promise<void> {
  await db
    .insertInto("bank_connections")
    .values({
      id: row.id,
      organisation_id: row.organisationId,
      bank_id: row.bankId,
      bank_name: row.bankName,
      status: "pending",
      created_by: row.createdBy,
      created_at: row.now,
      updated_at: row.now,
    })
    .execute();
}

export async function updateConnection(
  db: Db,
  id: string,
  values: Partial<{
    consentIdSealed: string;
    psuIdSealed: string;
    status: ConnectionStatus;
    validUntil: string | null;
    frequencyPerDay: number;
    lastScaAt: Date;
  }> & { now: Date },
): Promise<void> {
  await db
    .updateTable("bank_connections")
    .set({
      updated_at: values.now,
      ...(values.consentIdSealed === undefined ? {} : { consent_id_sealed: values.consentIdSealed }),
      ...(values.psuIdSealed === undefined ? {} : { psu_id_sealed: values.psuIdSealed }),
      // A connection given up keeps its history but not the user's id at the bank.
      ...(values.status === "disconnected" ? { psu_id_sealed: null } : {}),
      ...(values.status === undefined ? {} : { status: values.status }),
      ...(values.validUntil === undefined ? {} : { valid_until: values.validUntil }),
      ...(values.frequencyPerDay === undefined ? {} : { frequency_per_day: values.frequencyPerDay }),
      ...(values.lastScaAt === undefined ? {} : { last_sca_at: values.lastScaAt }),
    })
    .where("id", "=", id)
    .execute();
}

export async function deleteConnection(db: Db, id: string): Promise<void> {
  await db.deleteFrom("bank_connections").where("id", "=", id).execute();
}

export function findConnection(
  db: Db,
  organisationId: string,
  id: string,
): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom("bank_connections")
    .select(CONNECTION_COLUMNS)
    .where("organisation_id", "=", organisationId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export interface FlowRow {
  id: string;
  organisationId: string;
  userId: string;
  sessionHash: string;
  connectionId: string;
  kind: ConnectFlowKind;
  status: "redirected" | "returned" | "completed" | "failed";
  offeredAccounts: OfferedAccount[] | null;
  expiresAt: Date;
  scaApproach: ScaApproach;
  authorisationId: string | null;
  /** What the bank told the user when the decoupled SCA started. */
  psuMessage: string | null;
  createdAt: Date;
}

const FLOW_COLUMNS = [
  "id",
  "organisation_id as organisationId",
  "user_id as userId",
  "session_hash as sessionHash",
  "connection_id as connectionId",
  "kind",
  "status",
  "offered_accounts as offeredAccounts",
  "expires_at as expiresAt",
  "sca_approach as scaApproach",
  "authorisation_id as authorisationId",
  "psu_message as psuMessage",
  "created_at as createdAt",
] as const;

export async function insertFlow(
  db: Db,
  row: Omit<FlowRow, "status" | "offeredAccounts" | "authorisationId" | "psuMessage" | "createdAt"> & {
    stateHash: string;
    now: Date;
  },
): Promise<void> {
  await db
    .insertInto("bank_connect_flows")
    .values({
      id: row.id,
      state_hash: row.stateHash,
      organisation_id: row.organisationId,
      user_id: row.userId,
      session_hash: row.sessionHash,
      connection_id: row.connectionId,
      kind: row.kind,
      status: "redirected",
      created_at: row.now,
      expires_at: row.expiresAt,
      sca_approach: row.scaApproach,
    })
    .execute();
}

export function findFlowByState(db: Db, stateHash: string): Promise<FlowRow | undefined> {
  return db
    .selectFrom("bank_connect_flows")
    .select(FLOW_COLUMNS)
    .where("state_hash", "=", stateHash)
    .executeTakeFirst();
}

export function findFlow(db: Db, organisationId: string, id: string): Promise<FlowRow | undefined> {
  return db
    .selectFrom("bank_connect_flows")
    .select(FLOW_COLUMNS)
    .where("organisation_id", "=", organisationId)
    .where("id", "=", id)
    .executeTakeFirst();
}

export async function setFlowAuthorisation(
  db: Db,
  id: string,
  authorisation: { authorisationId: string; psuMessage: string | undefined },
): Promise<void> {
  await db
    .updateTable("bank_connect_flows")
    .set({
      authorisation_id: authorisation.authorisationId,
      psu_message: authorisation.psuMessage ?? null,
    })
    .where("id", "=", id)
    .execute();
}

/** Moves a flow on from `from` only: a replayed callback or a double submit finds it moved already. */
export async function advanceFlow(
  db: Db,
  id: string,
  from: FlowRow["status"],
  to: FlowRow["status"],
  offered?: OfferedAccount[],
  expiresAt?: Date,
): Promise<boolean> {
  const result = await db
    .updateTable("bank_connect_flows")
    .set({
      status: to,
      ...(offered ? { offered_accounts: JSON.stringify(offered) } : {}),
      ...(expiresAt ? { expires_at: expiresAt } : {}),
    })
    .where("id", "=", id)
    .where("status", "=", from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface ExpiredFlow {
  id: string;
  connectionId: string;
  kind: ConnectFlowKind;
  status: FlowRow["status"];
}

/**
 * Deletes up to `limit` flows that expired before `now` and returns them. Deleting is the claim: of two
 * requests cleaning up at once, each flow goes to one of them.
 */
export async function takeExpiredFlows(db: Db, now: Date, limit: number): Promise<ExpiredFlow[]> {
  return db
    .deleteFrom("bank_connect_flows")
    .where("id", "in", (eb) =>
      eb
        .selectFrom("bank_connect_flows")
        .select("id")
        .where("expires_at", "<", now)
        .orderBy("expires_at")
        .limit(limit),
    )
    .returning(["id", "connection_id as connectionId", "kind", "status"])
    .execute();
}

/** Deletes one flow; false when another request took it first. */
export async function takeFlow(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom("bank_connect_flows").where("id", "=", id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** A connection no account and no live flow uses: an abandoned connect attempt. */
export function findUnusedConnection(db: Db, id: string): Promise<ConnectionRow | undefined> {
  return db
    .selectFrom("bank_connections")
    .select(CONNECTION_COLUMNS)
    .where("id", "=", id)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom("bank_accounts").select("id").where("connection_id", "=", id))),
    )
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom("bank_connect_flows").select("id").where("connection_id", "=", id))),
    )
    .executeTakeFirst();
}

/** Connections that still hold a usable consent but no active account any more. */
export async function connectionsWithoutActiveAccounts(
  db: Db,
  ids: readonly string[],
): Promise<ConnectionRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom("bank_connections")
    .select(CONNECTION_COLUMNS)
    .where("id", "in", ids)
    .where("status", "in", ["valid", "sca_required", "pending"])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("bank_accounts")
            .select("id")
            .whereRef("bank_accounts.connection_id", "=", "bank_connections.id")
            .where("bank_accounts.status", "=", "active"),
        ),
      ),
    )
    .execute();
}

export interface AccountRow {
  id: string;
  organisationId: string;
  connectionId: string;
  resourceId: string;
  iban: string;
  currency: string;
  name: string;
  importFrom: string;
  status: "active" | "disconnected";
  openingBalanceMinor: number | null;
  bookedBalanceMinor: number | null;
  balanceDate: string | null;
  lastBookedDate: string | null;
  lastSyncedAt: Date | null;
  nextSyncAt: Date | null;
  lastError: string | null;
  bankName: string;
  bankId: string;
  connectionStatus: ConnectionStatus;
  validUntil: string | null;
  frequencyPerDay: number;
  /** The user's id at the bank of the connection's last decoupled SCA, sealed. */
  psuIdSealed: string | null;
  gapMinor: number | null;
  gapFrom: string | null;
  gapTo: string | null;
}

function accountsQuery(db: Db, organisationId: string) {
  return db
    .selectFrom("bank_accounts as a")
    .innerJoin("bank_connections as c", "c.id", "a.connection_id")
    .leftJoin("balance_gaps as g", (join) =>
      join.onRef("g.bank_account_id", "=", "a.id").on("g.closed_at", "is", null),
    )
    .select([
      "a.id",
      "a.organisation_id as organisationId",
      "a.connection_id as connectionId",
      "a.resource_id as resourceId",
      "a.iban",
      "a.currency",
      "a.name",
      "a.import_from as importFrom",
      "a.status",
      "a.opening_balance_minor as openingBalanceMinor",
      "a.booked_balance_minor as bookedBalanceMinor",
      "a.balance_date as balanceDate",
      "a.last_booked_date as lastBookedDate",
      "a.last_synced_at as lastSyncedAt",
      "a.next_sync_at as nextSyncAt",
      "a.last_error as lastError",
      "c.bank_name as bankName",
      "c.bank_id as bankId",
      "c.status as connectionStatus",
      "c.valid_until as validUntil",
      "c.frequency_per_day as frequencyPerDay",
      "c.psu_id_sealed as psuIdSealed",
      "g.difference_minor as gapMinor",
      "g.period_from as gapFrom",
      "g.period_to as gapTo",
    ])
    .where("a.organisation_id", "=", organisationId);
}

export function selectAccounts(db: Db, organisationId: string): Promise<AccountRow[]> {
  return accountsQuery(db, organisationId).orderBy("a.name").orderBy("a.iban").execute();
}

export function selectAccount(db: Db, organisationId: string, id: string): Promise<AccountRow | undefined> {
  return accountsQuery(db, organisationId).where("a.id", "=", id).executeTakeFirst();
}

export function selectAccountByIban(db: Db, organisationId: string, iban: string) {
  return db
    .selectFrom("bank_accounts")
    .select(["id", "connection_id as connectionId", "status", "name"])
    .where("organisation_id", "=", organisationId)
    .where("iban", "=", iban)
    .executeTakeFirst();
}

export interface TransactionFilter {
  q?: string | undefined;
  direction?: "in" | "out" | undefined;
  from?: string | undefined;
  to?: string | undefined;
  sort: "date_desc" | "date_asc" | "amount_desc" | "amount_asc";
  limit: number;
  offset: number;
}

export interface TransactionRow {
  id: number;
  bookingDate: string;
  valueDate: string | null;
  amountMinor: number;
  currency: string;
  counterpartyName: string | null;
  counterpartyIban: string | null;
  remittance: string | null;
  bookingText: string | null;
}

/** Transactions of one account of one organisation, filtered, sorted and paged. */
export async function selectTransactions(
  db: Db,
  organisationId: string,
  accountId: string,
  filter: TransactionFilter,
): Promise<{ rows: TransactionRow[]; total: number }> {
  let query = db
    .selectFrom("bank_transactions")
    .where("organisation_id", "=", organisationId)
    .where("bank_account_id", "=", accountId);
  if (filter.q) {
    const pattern = `%${filter.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    query = query.where((eb) =>
      eb.or([
        eb("counterparty_name", "ilike", pattern),
        eb("remittance", "ilike", pattern),
        eb("counterparty_iban", "ilike", pattern),
        eb("booking_text", "ilike", pattern),
      ]),
    );
  }
  if (filter.direction === "in") query = query.where("amount_minor", ">", 0);
  if (filter.direction === "out") query = query.where("amount_minor", "<", 0);
  if (filter.from) query = query.where("booking_date", ">=", filter.from);
  if (filter.to) query = query.where("booking_date", "<=", filter.to);
  const total = await query
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .executeTakeFirstOrThrow();
  let rows = query.select([
    "id",
    "booking_date as bookingDate",
    "value_date as valueDate",
    "amount_minor as amountMinor",
    "currency",
    "counterparty_name as counterpartyName",
    "counterparty_iban as counterpartyIban",
    "remittance",
    "booking_text as bookingText",
  ]);
  rows =
    filter.sort === "date_asc"
      ? rows.orderBy("booking_date", "asc").orderBy("id", "asc")
      : filter.sort === "amount_desc"
        ? rows.orderBy("amount_minor", "desc").orderBy("id", "desc")
        : filter.sort === "amount_asc"
          ? rows.orderBy("amount_minor", "asc").orderBy("id", "asc")
          : rows.orderBy("booking_date", "desc").orderBy("id", "desc");
  return { rows: await rows.limit(filter.limit).offset(filter.offset).execute(), total: Number(total.n) };
}

export function selectPending(db: Db, accountId: string) {
  return db
    .selectFrom("bank_pending_transactions")
    .select([
      "value_date as valueDate",
      "amount_minor as amountMinor",
      "currency",
      "counterparty_name as counterpartyName",
      "remittance",
    ])
    .where("bank_account_id", "=", accountId)
    .orderBy("value_date", "desc")
    .execute();
}

/** Sum of amounts per booking date, oldest first: the balance series is opening + running total. */
export async function selectDailySums(
  db: Db,
  accountId: string,
): Promise<Array<{ date: string; sum: number }>> {
  const rows = await db
    .selectFrom("bank_transactions")
    .select(["booking_date as date", sql<string>`sum(amount_minor)::text`.as("sum")])
    .where("bank_account_id", "=", accountId)
    .groupBy("booking_date")
    .orderBy("booking_date")
    .execute();
  return rows.map((row) => ({ date: row.date, sum: Number(row.sum) }));
}
