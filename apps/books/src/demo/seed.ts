import type { Kysely } from "kysely";
import { DEMO_LOGIN } from "../auth/auth.views.ts";
import { ensureUser } from "../auth/users.service.ts";
import type { BooksDatabase } from "../db/schema.ts";
import { addMember, createOrganisation } from "../organisations/organisations.service.ts";
import type { Clock } from "../web/context.ts";

/** Fixed ids, so the demo is the same on every machine and seeding twice finds what the first run made. */
export const DEMO = {
  organisation: { id: "7c0f2a52-3b7e-4c55-9d0e-6b1f4f1d0a01", name: "Muster Handwerk GmbH" },
  /** Financial Accounting: may connect accounts, sync and pay. */
  accountant: {
    id: "7c0f2a52-3b7e-4c55-9d0e-6b1f4f1d0b01",
    email: DEMO_LOGIN.email,
    password: DEMO_LOGIN.password,
    name: "Mia Muster",
  },
  /** Read only. */
  viewer: {
    id: "7c0f2a52-3b7e-4c55-9d0e-6b1f4f1d0b02",
    email: "viewer@kontor.test",
    password: "viewer",
    name: "Paul Prüfer",
  },
} as const;

/**
 * Seeds the demo organisation and its two users. Idempotent: rows that exist are left as they are
 * (a changed demo password stays changed).
 */
export async function seedDemo(db: Kysely<BooksDatabase>, clock: Clock): Promise<void> {
  const organisation = await createOrganisation(db, clock, DEMO.organisation);
  const accountant = await ensureUser(db, clock, DEMO.accountant);
  const viewer = await ensureUser(db, clock, DEMO.viewer);
  await addMember(db, clock, organisation.id, { userId: accountant.id, role: "owner" });
  await addMember(db, clock, organisation.id, { userId: viewer.id, role: "viewer" });
}
