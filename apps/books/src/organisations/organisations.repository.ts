import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import type { Role } from "./permissions.ts";

type Db = Kysely<BooksDatabase>;

export interface OrganisationRow {
  id: string;
  name: string;
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
}

export async function insertOrganisation(
  db: Db,
  row: { id: string; name: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto("organisations")
    .values({ id: row.id, name: row.name, created_at: row.createdAt })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
}

export async function findOrganisation(db: Db, organisationId: string): Promise<OrganisationRow | undefined> {
  return db
    .selectFrom("organisations")
    .select(["id", "name"])
    .where("id", "=", organisationId)
    .executeTakeFirst();
}

/** Adds the user to the organisation; an existing membership is left as it is. */
export async function insertMembership(
  db: Db,
  organisationId: string,
  row: { userId: string; role: Role; createdAt: Date },
): Promise<void> {
  await db
    .insertInto("memberships")
    .values({
      organisation_id: organisationId,
      user_id: row.userId,
      role: row.role,
      created_at: row.createdAt,
    })
    .onConflict((oc) => oc.columns(["organisation_id", "user_id"]).doNothing())
    .execute();
}

export async function findMembership(
  db: Db,
  organisationId: string,
  userId: string,
): Promise<{ role: Role } | undefined> {
  return db
    .selectFrom("memberships")
    .select("role")
    .where("organisation_id", "=", organisationId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

export async function selectMembers(db: Db, organisationId: string): Promise<MemberRow[]> {
  return db
    .selectFrom("memberships as m")
    .innerJoin("users as u", "u.id", "m.user_id")
    .select(["u.id as userId", "u.email", "u.name", "m.role"])
    .where("m.organisation_id", "=", organisationId)
    .orderBy("u.name")
    .orderBy("u.email")
    .execute();
}

/** The organisations a user belongs to: their own memberships, so keyed by the user rather than a tenant. */
export async function selectOrganisationsOfUser(
  db: Db,
  userId: string,
): Promise<Array<OrganisationRow & { role: Role }>> {
  return db
    .selectFrom("memberships as m")
    .innerJoin("organisations as o", "o.id", "m.organisation_id")
    .select(["o.id", "o.name", "m.role"])
    .where("m.user_id", "=", userId)
    .orderBy("o.name")
    .orderBy("o.id")
    .execute();
}

export async function countOrganisations(db: Db): Promise<number> {
  const row = await db
    .selectFrom("organisations")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
