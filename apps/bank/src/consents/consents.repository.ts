import { runPrepared } from "@kontor/db";
import type { Kysely, Transaction } from "kysely";
import { fixedStatement } from "../db/fixed-query.ts";
import type { Account, BankDB, Consent, ConsentScope, ConsentStatus, ScaStatus } from "../db/schema.ts";

type Db = Kysely<BankDB> | Transaction<BankDB>;

export function findConsent(db: Db, id: string) {
  return db.selectFrom("consents").selectAll().where("id", "=", id).executeTakeFirst();
}

/**
 * The consent as it is now, its row locked until the transaction ends. Every transaction that writes an
 * authorisation and its consent takes this lock first: so they run one after another per consent, each sees
 * what the one before it wrote, and two of them never deadlock over the order of the two rows.
 */
export function lockConsent(trx: Transaction<BankDB>, id: string) {
  return trx.selectFrom("consents").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
}

export async function insertConsent(
  db: Db,
  row: {
    id: string;
    tpp_id: string;
    psu_id: string | null;
    access: unknown;
    recurring: boolean;
    valid_until: string;
    frequency_per_day: number;
    combined: boolean;
    now: Date;
  },
) {
  const { now, access, ...rest } = row;
  await db
    .insertInto("consents")
    .values({
      ...rest,
      access: JSON.stringify(access),
      status: "received",
      created_at: now,
      status_changed_at: now,
    })
    .execute();
}

export async function setConsentStatus(db: Db, id: string, status: ConsentStatus, now: Date) {
  await db.updateTable("consents").set({ status, status_changed_at: now }).where("id", "=", id).execute();
}

export async function markConsentAuthorised(
  db: Db,
  id: string,
  values: { psuId: string; access: unknown; now: Date },
) {
  await db
    .updateTable("consents")
    .set({
      status: "valid",
      psu_id: values.psuId,
      access: JSON.stringify(values.access),
      last_sca_at: values.now,
      sca_required: false,
      status_changed_at: values.now,
    })
    .where("id", "=", id)
    .execute();
}

export async function renewConsentSca(db: Db, id: string, now: Date) {
  await db
    .updateTable("consents")
    .set({ last_sca_at: now, sca_required: false })
    .where("id", "=", id)
    .execute();
}

export async function requireConsentSca(db: Db, id: string) {
  await db.updateTable("consents").set({ sca_required: true }).where("id", "=", id).execute();
}

export async function replaceConsentAccounts(
  db: Db,
  consentId: string,
  rows: { account_id: string; scope: ConsentScope }[],
) {
  await db.deleteFrom("consent_accounts").where("consent_id", "=", consentId).execute();
  if (rows.length > 0) {
    await db
      .insertInto("consent_accounts")
      .values(rows.map((r) => ({ ...r, consent_id: consentId })))
      .execute();
  }
}

export function listConsentAccounts(db: Db, consentId: string) {
  return db
    .selectFrom("consent_accounts")
    .innerJoin("accounts", "accounts.id", "consent_accounts.account_id")
    .select(["consent_accounts.account_id", "consent_accounts.scope", "accounts.iban", "accounts.currency"])
    .where("consent_id", "=", consentId)
    .orderBy("accounts.iban")
    .execute();
}

export async function insertAuthorisation(
  db: Db,
  row: {
    id: string;
    consent_id: string;
    sca_approach: "REDIRECT" | "DECOUPLED";
    psu_id: string | null;
    redirect_uri: string | null;
    nok_redirect_uri: string | null;
    now: Date;
  },
) {
  const { now, ...rest } = row;
  await db
    .insertInto("authorisations")
    .values({ ...rest, sca_status: "received", created_at: now, updated_at: now })
    .execute();
}

export function findAuthorisation(db: Db, consentId: string, id: string) {
  return db
    .selectFrom("authorisations")
    .selectAll()
    .where("consent_id", "=", consentId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** A consent's authorisations in one of the `open` statuses, oldest first. */
export function listOpenAuthorisations(db: Db, consentId: string, open: readonly ScaStatus[]) {
  return db
    .selectFrom("authorisations")
    .selectAll()
    .where("consent_id", "=", consentId)
    .where("sca_status", "in", open)
    .orderBy("created_at")
    .execute();
}

export function listAuthorisationIds(db: Db, consentId: string) {
  return db
    .selectFrom("authorisations")
    .select("id")
    .where("consent_id", "=", consentId)
    .orderBy("created_at")
    .execute();
}

/**
 * Writes an authorisation only while it is in one of the `open` statuses; false when it was not (it closed
 * meanwhile: a concurrent post finalised or failed it), and nothing was written.
 */
export async function updateOpenAuthorisation(
  db: Db,
  id: string,
  open: readonly ScaStatus[],
  values: {
    sca_status?: ScaStatus;
    psu_id?: string;
    step_token_hash?: string | null;
    now: Date;
  },
): Promise<boolean> {
  const { now, ...rest } = values;
  const row = await db
    .updateTable("authorisations")
    .set({ ...rest, updated_at: now })
    .where("id", "=", id)
    .where("sca_status", "in", open)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Counts a wrong TAN on an authorisation still in one of the `open` statuses and returns the new count, in one
 * statement: concurrent wrong TANs each count (a read-modify-write let 8 of them at once count as 1).
 * undefined when the authorisation had closed, and nothing was counted.
 */
export async function countWrongTan(
  db: Db,
  id: string,
  open: readonly ScaStatus[],
  now: Date,
): Promise<number | undefined> {
  const row = await db
    .updateTable("authorisations")
    .set((eb) => ({ failed_attempts: eb("failed_attempts", "+", 1), updated_at: now }))
    .where("id", "=", id)
    .where("sca_status", "in", open)
    .returning("failed_attempts")
    .executeTakeFirst();
  return row?.failed_attempts;
}

/**
 * Consents a PSU has given, newest first, with the TPP's name (the "Connected apps" page) and when the PSU first
 * authorised each: a renewal of SCA finalises another authorisation, and a finalised one is never written
 * again, so the earliest finalised is the first.
 */
export function listConsentsOfPsu(db: Db, psuId: string) {
  return db
    .selectFrom("consents")
    .innerJoin("tpps", "tpps.id", "consents.tpp_id")
    .select([
      "consents.id",
      "consents.status",
      "consents.access",
      "consents.valid_until",
      "consents.frequency_per_day",
      "consents.recurring",
      "consents.created_at",
      "consents.last_accessed_at",
      "consents.last_sca_at",
      "tpps.name as tpp_name",
      "tpps.id as tpp_id",
    ])
    .select((eb) =>
      eb
        .selectFrom("authorisations")
        .select((sub) => sub.fn.min("authorisations.updated_at").as("at"))
        .whereRef("authorisations.consent_id", "=", "consents.id")
        .where("authorisations.sca_status", "=", "finalised")
        .as("first_authorised_at"),
    )
    .where("consents.psu_id", "=", psuId)
    .orderBy("consents.created_at", "desc")
    .execute();
}

/**
 * Counts one unattended read of `resource` for today and returns the new count. One statement, so two
 * concurrent reads can never both see "3" and both pass.
 */
export async function countUsage(db: Db, consentId: string, resource: string, date: string): Promise<number> {
  const [row] = await runPrepared(db, COUNT_USAGE, [consentId, resource, date]);
  if (!row) throw new Error("counting a consent's usage returned no row");
  return row.count;
}

// A fixed statement (see fixedStatement): every first unattended read runs it.
const COUNT_USAGE = fixedStatement<{ count: number }, [consentId: string, resource: string, date: string]>(
  "consent_count_usage",
  `insert into consent_usage (consent_id, resource, usage_date, count) values ($1, $2, $3, 1)
  on conflict (consent_id, resource, usage_date) do update set count = consent_usage.count + 1
  returning count`,
);

/**
 * The consent and, in the same statement, its accounts (all, or the one asked for) that its PSU can still
 * view, each with the scopes granted on it. One statement rather than two because this guards every read:
 * a round trip to the database cost more than the query (docs/design/xs2a-performance.md).
 */
export async function findConsentWithGrants(
  db: Db,
  consentId: string,
  accountId: string | null,
): Promise<{ consent: Consent; accounts: Map<string, GrantedAccount> } | undefined> {
  const rows =
    accountId === null
      ? await runPrepared(db, CONSENT_WITH_ALL_GRANTS, [consentId])
      : await runPrepared(db, CONSENT_WITH_ONE_GRANT, [consentId, accountId]);
  const first = rows[0];
  if (!first) return undefined;
  const consent: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) if (!GRANT_KEYS.has(key)) consent[key] = value;
  const accounts = new Map<string, GrantedAccount>();
  for (const row of rows) {
    if (row.a_id === null) continue;
    const account: Record<string, unknown> = {};
    for (const column of ACCOUNT_COLUMNS) account[column] = row[`a_${column}`];
    accounts.set(row.a_id, {
      account: account as Account,
      scopes: new Set(row.a_scopes.split(",") as ConsentScope[]),
    });
  }
  return { consent: consent as Consent, accounts };
}

/** A granted account the consent's PSU can still view, with the scopes granted on it. */
export interface GrantedAccount {
  account: Account;
  scopes: Set<ConsentScope>;
}

/** The account columns a grant carries, read as a_<column> beside the consent's own columns. */
const ACCOUNT_COLUMNS = [
  "id",
  "business_id",
  "parent_id",
  "iban",
  "bic",
  "currency",
  "name",
  "product",
  "status",
  "debit_blocked",
  "opening_balance_minor",
  "booked_balance_minor",
  "created_at",
] as const satisfies readonly (keyof Account)[];
// Every column of Account is in the list: a column added to the table but not here fails to compile.
const allAccountColumns: Exclude<keyof Account, (typeof ACCOUNT_COLUMNS)[number]> extends never
  ? true
  : never = true;
void allAccountColumns;
const GRANT_KEYS = new Set<string>([...ACCOUNT_COLUMNS.map((column) => `a_${column}`), "a_scopes"]);

const consentWithGrants = (onlyAccount: string) => `
  select c.*, g.*
  from consents c
  left join lateral (
    select ${ACCOUNT_COLUMNS.map((column) => `a.${column} as a_${column}`).join(", ")},
      string_agg(ca.scope, ',') as a_scopes
    from consent_accounts ca
    join accounts a on a.id = ca.account_id
    join memberships m on m.account_id = ca.account_id and m.psu_id = c.psu_id and m.can_view
    where ca.consent_id = c.id ${onlyAccount}
    group by a.id
  ) g on true
  where c.id = $1
  order by g.a_iban`;
// Fixed statements (see fixedStatement): every XS2A read runs one of them.
const CONSENT_WITH_ALL_GRANTS = fixedStatement<Consent & GrantRow, [consentId: string]>(
  "consent_with_all_grants",
  consentWithGrants(""),
);
const CONSENT_WITH_ONE_GRANT = fixedStatement<Consent & GrantRow, [consentId: string, accountId: string]>(
  "consent_with_one_grant",
  consentWithGrants("and ca.account_id = $2::uuid"),
);

/** A granted account's columns as findConsentWithGrants reads them (a_scopes: comma-separated scopes). */
type GrantedRow = { [K in (typeof ACCOUNT_COLUMNS)[number] as `a_${K}`]: Account[K] } & { a_scopes: string };
/** All null when nothing is granted. */
type GrantRow = GrantedRow | { [K in keyof GrantedRow]: null };

export async function touchConsent(db: Db, id: string, now: Date) {
  await db.updateTable("consents").set({ last_accessed_at: now }).where("id", "=", id).execute();
}
