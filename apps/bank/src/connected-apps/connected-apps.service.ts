import { normalizeIban } from "@kontor/money";
import type { AccountAccessRequest } from "@kontor/xs2a";
import { berlinDate } from "../clock.ts";
import { listConsentsOfPsu, revokeByPsu } from "../consents/consents.service.ts";
import type { ConsentScope, ConsentStatus } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";

/**
 * "Connected apps": the PSU's consents seen from the PSU's side — which app, what it may read, until when —
 * and the PSU's way to end one. Revocation goes through the consents service, so it takes effect on the
 * TPP's very next request.
 */

export type AppScope =
  | { kind: "allPsd2" }
  | { kind: "allAccounts"; withBalances: boolean }
  | { kind: "accounts"; accounts: { iban: string; scopes: ConsentScope[] }[] };

export interface ConnectedApp {
  consentId: string;
  tppName: string;
  /** The status as of now: a consent past its validUntil shows as expired even before anyone touched it. */
  status: ConsentStatus;
  /** Still in force or on its way there, so the PSU can end it. */
  active: boolean;
  scope: AppScope;
  validUntil: string;
  recurring: boolean;
  frequencyPerDay: number;
  /** When the app asked for access. */
  requestedAt: Date;
  /** When the PSU first authorised the access (later renewals of SCA do not move it); null if never. */
  since: Date | null;
  lastAccess: Date | null;
}

const SCOPE_ORDER: ConsentScope[] = ["accounts", "balances", "transactions"];

export function describeScope(access: AccountAccessRequest): AppScope {
  if (access.allPsd2) return { kind: "allPsd2" };
  if (access.availableAccountsWithBalance) return { kind: "allAccounts", withBalances: true };
  if (access.availableAccounts) return { kind: "allAccounts", withBalances: false };
  const byIban = new Map<string, Set<ConsentScope>>();
  for (const scope of SCOPE_ORDER) {
    for (const ref of access[scope] ?? []) {
      const iban = normalizeIban(ref.iban ?? "") ?? ref.iban ?? "";
      if (!iban) continue;
      const set = byIban.get(iban) ?? new Set<ConsentScope>();
      // Balances and transactions imply the account itself is listed (as the grant does).
      set.add(scope).add("accounts");
      byIban.set(iban, set);
    }
  }
  return {
    kind: "accounts",
    accounts: [...byIban].map(([iban, set]) => ({ iban, scopes: SCOPE_ORDER.filter((s) => set.has(s)) })),
  };
}

function isActive(status: ConsentStatus): boolean {
  switch (status) {
    case "valid":
    case "received":
    case "partiallyAuthorised":
      return true;
    case "rejected":
    case "revokedByPsu":
    case "expired":
    case "terminatedByTpp":
      return false;
    default: {
      const never: never = status;
      throw new Error(`unhandled consent status ${String(never)}`);
    }
  }
}

/** The PSU's connected apps, those in force first, each group newest first. */
export async function listConnectedApps(deps: BankDeps, psuId: string): Promise<ConnectedApp[]> {
  const today = berlinDate(deps.clock.now());
  const apps = (await listConsentsOfPsu(deps, psuId)).map((row): ConnectedApp => {
    const status: ConsentStatus =
      (row.status === "valid" || row.status === "received" || row.status === "partiallyAuthorised") &&
      row.valid_until < today
        ? "expired"
        : row.status;
    return {
      consentId: row.id,
      tppName: row.tpp_name,
      status,
      active: isActive(status),
      scope: describeScope(row.access as AccountAccessRequest),
      validUntil: row.valid_until,
      recurring: row.recurring,
      frequencyPerDay: row.frequency_per_day,
      requestedAt: row.created_at,
      since: row.first_authorised_at ?? null,
      lastAccess: row.last_accessed_at,
    };
  });
  return [...apps.filter((a) => a.active), ...apps.filter((a) => !a.active)];
}

export async function findConnectedApp(deps: BankDeps, psuId: string, consentId: string) {
  return (await listConnectedApps(deps, psuId)).find((a) => a.consentId === consentId);
}

/** Ends the app's access; a connection that already ended stays as it is. */
export async function revokeConnectedApp(deps: BankDeps, psuId: string, consentId: string) {
  await revokeByPsu(deps, psuId, consentId);
}
