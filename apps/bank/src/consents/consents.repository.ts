import { runPrepared } from "@kontor/db";
import type { Kysely, Transaction } from "kysely";
import { fixedStatement } from "../db/fixed-query.ts";
import type { Account, BankDB, Consent, ConsentScope, ConsentStatus, ScaStatus } from "../db/schema.ts";

type Db = Kysely<BankDB> | Transaction<BankDB>;

export function findConsent(db: Db, id: string) {
  return db.selectFrom("consents").selectAll().where("id", "=", id).executeTakeFirst();
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

export function listAuthorisationIds(db: Db, consentId: string) {
  return db
    .selectFrom("authorisations")
    .select("id")
    .where("consent_id", "=", consentId)
    .orderBy("created_at")
    .execute();
}

export async function updateAuthorisation(
  db: Db,
  id: string,
  values: {
    sca_status?: ScaStatus;
    psu_id?: string;
    step_token_hash?: string | null;
    failed_attempts?: number;
    now: Date;
  },
) {
  const { now, ...rest } = values;
  await db
    .updateTable("authorisations")
    .set({ ...rest, updated_at: now })
    .where("id", "=", id)
    .execute();
}

/** Consents a PSU has given, newest first, with the TPP's name (the "Connected apps" page). */
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
): Promise<{ consent: Consent; grants: { account: Account; scopes: ConsentScope[] }[] } | undefined> {
  const rows =
    accountId === null
      ? await runPrepared(db, CONSENT_WITH_ALL_GRANTS, [consentId])
      : await runPrepared(db, CONSENT_WITH_ONE_GRANT, [consentId, accountId]);
  const first = rows[0];
  if (!first) return undefined;
  const {
    a_id: _id,
    a_business_id: _business,
    a_parent_id: _parent,
    a_iban: _iban,
    a_bic: _bic,
    a_currency: _currency,
    a_name: _name,
    a_product: _product,
    a_status: _status,
    a_debit_blocked: _blocked,
    a_opening_balance_minor: _opening,
    a_booked_balance_minor: _booked,
    a_created_at: _created,
    a_scopes: _scopes,
    ...consent
  } = first;
  const grants = rows.flatMap((r) =>
    r.a_id === null
      ? []
      : [
          {
            account: {
              id: r.a_id,
              business_id: r.a_business_id,
              parent_id: r.a_parent_id,
              iban: r.a_iban,
              bic: r.a_bic,
              currency: r.a_currency,
              name: r.a_name,
              product: r.a_product,
              status: r.a_status,
              debit_blocked: r.a_debit_blocked,
              opening_balance_minor: r.a_opening_balance_minor,
              booked_balance_minor: r.a_booked_balance_minor,
              created_at: r.a_created_at,
            } satisfies Account,
            scopes: r.a_scopes.split(",") as ConsentScope[],
          },
        ],
  );
  return { consent, grants };
}

const consentWithGrants = (onlyAccount: string) => `
  select c.*, g.*
  from consents c
  left join lateral (
    select a.id as a_id, a.business_id as a_business_id, a.parent_id as a_parent_id, a.iban as a_iban,
      a.bic as a_bic, a.currency as a_currency, a.name as a_name, a.product as a_product,
      a.status as a_status, a.debit_blocked as a_debit_blocked,
      a.opening_balance_minor as a_opening_balance_minor, a.booked_balance_minor as a_booked_balance_minor,
      a.created_at as a_created_at, string_agg(ca.scope, ',') as a_scopes
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

interface GrantedRow {
  a_id: string;
  a_business_id: string;
  a_parent_id: string | null;
  a_iban: string;
  a_bic: string;
  a_currency: string;
  a_name: string;
  a_product: string;
  a_status: Account["status"];
  a_debit_blocked: boolean;
  a_opening_balance_minor: number;
  a_booked_balance_minor: number;
  a_created_at: Date;
  /** Comma-separated scopes. */
  a_scopes: string;
}

/** A granted account's columns as findConsentWithGrants reads them: all null when nothing is granted. */
type GrantRow = GrantedRow | { [K in keyof GrantedRow]: null };

export async function touchConsent(db: Db, id: string, now: Date) {
  await db.updateTable("consents").set({ last_accessed_at: now }).where("id", "=", id).execute();
}
