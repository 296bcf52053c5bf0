import { z } from "zod";

/** The closed set of things the audit log records. Add an action here and its label in web/i18n.ts. */
export const AUDIT_ACTIONS = [
  "auth.login",
  "auth.login_failed",
  "auth.logout",
  "organisation.switched",
  "bank.connected",
  "bank.reauthorised",
  "bank.sync_requested",
  "bank.disconnected",
  "bank.account_deleted",
  "bank.consent_changed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Small, flat, non-secret facts about an entry (never passwords, tokens or consent ids). */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null>>;

export const auditPageQuery = z.object({
  before: z.coerce.number().int().positive().optional(),
});
