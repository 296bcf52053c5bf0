import type { AccountAccessRequest } from "@kontor/xs2a";
import {
  approveDecoupled,
  listDecoupledRequests,
  loadPendingSca,
  rejectDecoupled,
  scaClosedReason,
} from "../consents/consents.service.ts";
import type { BankDeps } from "../deps.ts";

/**
 * The banking app's inbox: requests that wait for the PSU's approval (decoupled SCA). Each has a kind; today
 * that is access to accounts (an AIS consent); payments will join as a second kind with their own details,
 * and the page and routes already dispatch on the kind.
 */

export type ApprovalKind = "consent";

/** Identifies one request: its kind, the resource (consent, later payment) and the authorisation. */
export interface ApprovalRef {
  kind: ApprovalKind;
  resourceId: string;
  authorisationId: string;
}

export interface ConsentApproval {
  kind: "consent";
  ref: ApprovalRef;
  tppName: string;
  requestedAt: Date;
  access: AccountAccessRequest;
  /** The TPP asked for no particular account: the PSU picks them while approving. */
  needsAccountChoice: boolean;
  /** Strong authentication again for a consent already in force (its grant stays as it is). */
  renewal: boolean;
  validUntil: string;
  recurring: boolean;
  frequencyPerDay: number;
}

export type ApprovalRequest = ConsentApproval;

export function parseKind(text: string): ApprovalKind | undefined {
  return text === "consent" ? text : undefined;
}

/** Open requests for this PSU, oldest first (the order they arrived in). */
export async function listApprovalRequests(deps: BankDeps, psuId: string): Promise<ApprovalRequest[]> {
  const requests: ApprovalRequest[] = [];
  for (const row of await listDecoupledRequests(deps, psuId)) {
    const pending = await loadPendingSca(deps, row.consent_id, row.authorisation_id);
    const { consent } = pending;
    // A consent that ended meanwhile (revoked, expired, terminated), or a request past its lifetime (a renewal
    // of a consent in force included), leaves nothing to approve: the check the redirect pages make.
    if (await scaClosedReason(deps, pending)) continue;
    requests.push({
      kind: "consent",
      ref: { kind: "consent", resourceId: row.consent_id, authorisationId: row.authorisation_id },
      tppName: row.tpp_name,
      requestedAt: row.created_at,
      access: consent.access as AccountAccessRequest,
      needsAccountChoice: pending.needsAccountChoice && consent.status !== "valid",
      renewal: consent.status === "valid",
      validUntil: consent.valid_until,
      recurring: consent.recurring,
      frequencyPerDay: consent.frequency_per_day,
    });
  }
  return requests;
}

const sameRef = (a: ApprovalRef, b: ApprovalRef) =>
  a.kind === b.kind && a.resourceId === b.resourceId && a.authorisationId === b.authorisationId;

/** The open request behind `ref`, if it is this PSU's; anything else is "gone" for the caller. */
export async function findApprovalRequest(deps: BankDeps, psuId: string, ref: ApprovalRef) {
  return (await listApprovalRequests(deps, psuId)).find((r) => sameRef(r.ref, ref));
}

/** Approves with the PSU's TAN; throws the consents service's AppErrors (SCA_INVALID for a wrong TAN, …). */
export async function approveRequest(
  deps: BankDeps,
  psuId: string,
  request: ApprovalRequest,
  input: { tan: string; accountIds?: string[] | undefined },
) {
  const kind = request.kind;
  switch (kind) {
    case "consent":
      return approveDecoupled(deps, psuId, request.ref.resourceId, request.ref.authorisationId, input);
    default: {
      const never: never = kind;
      throw new Error(`unhandled approval kind ${String(never)}`);
    }
  }
}

export async function rejectRequest(deps: BankDeps, psuId: string, request: ApprovalRequest) {
  const kind = request.kind;
  switch (kind) {
    case "consent":
      return rejectDecoupled(deps, psuId, request.ref.resourceId, request.ref.authorisationId);
    default: {
      const never: never = kind;
      throw new Error(`unhandled approval kind ${String(never)}`);
    }
  }
}
