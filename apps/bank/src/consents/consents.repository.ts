import type { Kysely, Transaction } from "kysely";
import type { BankDB, ConsentScope, ConsentStatus, ScaStatus } from "../db/schema.ts";

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
  const row = await db
    .insertInto("consent_usage")
    .values({ consent_id: consentId, resource, usage_date: date, count: 1 })
    .onConflict((oc) =>
      oc.columns(["consent_id", "resource", "usage_date"]).doUpdateSet((eb) => ({
        count: eb("consent_usage.count", "+", 1),
      })),
    )
    .returning("count")
    .executeTakeFirstOrThrow();
  return row.count;
}

/** The consent's accounts with their scopes, limited to accounts the PSU may still view (and to one, if given). */
export function listGrantedAccounts(db: Db, consentId: string, psuId: string, accountId: string | null) {
  let query = db
    .selectFrom("consent_accounts")
    .innerJoin("accounts", "accounts.id", "consent_accounts.account_id")
    .innerJoin("memberships", (join) =>
      join
        .onRef("memberships.account_id", "=", "consent_accounts.account_id")
        .on("memberships.psu_id", "=", psuId)
        .on("memberships.can_view", "=", true),
    )
    .selectAll("accounts")
    .select("consent_accounts.scope")
    .where("consent_accounts.consent_id", "=", consentId);
  if (accountId !== null) query = query.where("consent_accounts.account_id", "=", accountId);
  return query.orderBy("accounts.iban").execute();
}

export async function touchConsent(db: Db, id: string, now: Date) {
  await db.updateTable("consents").set({ last_accessed_at: now }).where("id", "=", id).execute();
}
