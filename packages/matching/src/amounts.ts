/**
 * How a paid amount relates to what is open: exact, cash discount (Skonto) within the terms or taken
 * without them, a bank fee deducted, a partial payment, an overpayment — and the bounded subset search
 * for one payment that settles several documents.
 */

export type AmountKind =
  | "exact"
  | "discount_terms"
  | "discount_unauth"
  | "fee"
  | "partial"
  | "overpayment"
  | "mismatch";

export interface Discount {
  basisPoints: number;
  untilDay: number;
}

/** Days a transfer may book after the Skonto date and still count as paid in time (value date lag). */
export const DISCOUNT_GRACE_DAYS = 5;
/** Unauthorised Skonto: what customers deduct without terms, typically 2 % or 3 %. */
const UNAUTH_MIN_BP = 190;
const UNAUTH_MAX_BP = 310;
/** Deducted bank fees (foreign and SHA/OUR transfers) seen in German business accounts stay below this. */
export const MAX_FEE_MINOR = 3500;

export function discountAmount(open: number, basisPoints: number): number {
  return Math.round((open * basisPoints) / 10_000);
}

export interface AmountRelation {
  kind: AmountKind;
  /** paid − open (negative when less was paid). */
  diff: number;
  /** Basis points of the discount when kind is a discount. */
  basisPoints?: number;
}

/** Relation of `paid` (positive minor units) to one open amount, on booking day `day`. */
export function relate(
  paid: number,
  open: number,
  discount: Discount | undefined,
  day: number,
): AmountRelation {
  return discount
    ? relateAmount(paid, open, discount.basisPoints, discount.untilDay, day)
    : relateAmount(paid, open, -1, 0, day);
}

/** `relate` with the agreed discount as plain numbers (`basisPoints` −1: no terms), for the index arrays. */
export function relateAmount(
  paid: number,
  open: number,
  basisPoints: number,
  untilDay: number,
  day: number,
): AmountRelation {
  const diff = paid - open;
  if (diff === 0) return { kind: "exact", diff };
  if (diff > 0) {
    return diff <= Math.max(1000, open / 10) ? { kind: "overpayment", diff } : { kind: "mismatch", diff };
  }
  const short = -diff;
  if (basisPoints >= 0 && Math.abs(short - discountAmount(open, basisPoints)) <= 1) {
    return day <= untilDay + DISCOUNT_GRACE_DAYS
      ? { kind: "discount_terms", diff, basisPoints }
      : { kind: "discount_unauth", diff, basisPoints };
  }
  const bp = (short * 10_000) / open;
  if (bp >= UNAUTH_MIN_BP && bp <= UNAUTH_MAX_BP && isRoundPercent(open, short)) {
    return { kind: "discount_unauth", diff, basisPoints: Math.round(bp / 50) * 50 };
  }
  if (short <= MAX_FEE_MINOR && bp <= 1000) return { kind: "fee", diff };
  return { kind: "partial", diff };
}

/** A deduction that is a whole or half percent of the open amount (to the cent), as people compute it. */
function isRoundPercent(open: number, short: number): boolean {
  for (let bp = UNAUTH_MIN_BP - (UNAUTH_MIN_BP % 50) + 50; bp <= UNAUTH_MAX_BP; bp += 50) {
    if (Math.abs(discountAmount(open, bp) - short) <= 1) return true;
  }
  return false;
}

/**
 * Open amounts a payment of `paid` would settle after an unauthorised 2 %, 2.5 % or 3 % deduction —
 * so an amount index can be probed for them without scanning.
 */
export function undiscountedCandidates(paid: number): number[] {
  const out: number[] = [];
  for (const bp of [200, 250, 300]) {
    const open = Math.round((paid * 10_000) / (10_000 - bp));
    for (const o of [open - 1, open, open + 1]) {
      if (Math.abs(o - paid - discountAmount(o, bp)) <= 1 && !out.includes(o)) out.push(o);
    }
  }
  return out;
}

export interface SubsetItem {
  /** What settles the item: its open amount, or the open amount less an allowed discount. */
  amount: number;
}

/**
 * Subsets of `items` that contain every index in `required` and whose amounts sum to `target` exactly.
 * Depth-first in the given order (callers put the likeliest first: referenced, then nearest in date),
 * at most `maxExtra` items beyond the required ones, and at most `budget` search steps, so one line can
 * never cost more than a bounded amount of work. Returns up to `limit` solutions.
 */
export function findSubsets(
  target: number,
  items: readonly SubsetItem[],
  required: readonly number[],
  maxExtra: number,
  budget = 20_000,
  limit = 4,
): number[][] {
  const requiredSet = new Set(required);
  let base = 0;
  for (const i of required) base += items[i]!.amount;
  const rest: number[] = [];
  for (let i = 0; i < items.length; i++) if (!requiredSet.has(i)) rest.push(i);
  const solutions: number[][] = [];
  if (base === target) solutions.push([...required]);
  if (base >= target || maxExtra <= 0) return solutions;
  // Remaining amounts from position k onwards, to prune branches that can no longer reach the target.
  const suffix = new Array<number>(rest.length + 1).fill(0);
  for (let k = rest.length - 1; k >= 0; k--) suffix[k] = suffix[k + 1]! + items[rest[k]!]!.amount;
  let steps = 0;
  const chosen: number[] = [];
  const walk = (start: number, sum: number): void => {
    for (let k = start; k < rest.length; k++) {
      if (solutions.length >= limit || ++steps > budget) return;
      if (sum + suffix[k]! < target) return;
      const idx = rest[k]!;
      const next = sum + items[idx]!.amount;
      if (next > target) continue;
      chosen.push(idx);
      if (next === target) solutions.push([...required, ...chosen]);
      else if (chosen.length < maxExtra) walk(k + 1, next);
      chosen.pop();
    }
  };
  walk(0, base);
  return solutions;
}
