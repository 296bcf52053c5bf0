import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { Clock } from "../web/context.ts";
import {
  countOrganisations,
  findMembership,
  findOrganisation,
  insertMembership,
  insertOrganisation,
  type MemberRow,
  type OrganisationRow,
  selectMembers,
  selectOrganisationsOfUser,
} from "./organisations.repository.ts";
import { type Permission, permissionsOf, type Role } from "./permissions.ts";

type Db = Kysely<BooksDatabase>;

export type Organisation = OrganisationRow;

export interface Member extends MemberRow {
  permissions: ReadonlySet<Permission>;
}

export async function createOrganisation(
  db: Db,
  clock: Clock,
  input: { name: string; id?: string },
): Promise<Organisation> {
  const name = input.name.trim();
  if (name === "")
    throw new AppError("validation_failed", { issues: [{ path: "name", message: "required" }] });
  const organisation = { id: input.id ?? randomUUID(), name };
  await insertOrganisation(db, { ...organisation, createdAt: clock.now() });
  return organisation;
}

export async function getOrganisation(db: Db, organisationId: string): Promise<Organisation> {
  const organisation = await findOrganisation(db, organisationId);
  if (!organisation) throw new AppError("not_found", { message: `organisation ${organisationId}` });
  return organisation;
}

export async function addMember(
  db: Db,
  clock: Clock,
  organisationId: string,
  member: { userId: string; role: Role },
): Promise<void> {
  await insertMembership(db, organisationId, { ...member, createdAt: clock.now() });
}

/** The members of one organisation, never anyone else's. */
export async function listMembers(db: Db, organisationId: string): Promise<Member[]> {
  const rows = await selectMembers(db, organisationId);
  return rows.map((row) => ({ ...row, permissions: permissionsOf(row.role) }));
}

export async function getMembership(
  db: Db,
  organisationId: string,
  userId: string,
): Promise<{ role: Role; permissions: ReadonlySet<Permission> } | null> {
  const membership = await findMembership(db, organisationId, userId);
  return membership ? { role: membership.role, permissions: permissionsOf(membership.role) } : null;
}

export async function listOrganisationsOfUser(
  db: Db,
  userId: string,
): Promise<Array<Organisation & { role: Role }>> {
  return selectOrganisationsOfUser(db, userId);
}

export async function hasAnyOrganisation(db: Db): Promise<boolean> {
  return (await countOrganisations(db)) > 0;
}
