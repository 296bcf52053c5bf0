/**
 * Two simple matchers the benchmark runs beside ours on the same data, in the spirit of what common
 * bookkeeping products do. Both always suggest their best candidate (they do not abstain) and score 1.
 *
 * - Lexware-style rule: a document of the right direction whose open amount lies within 95–105 % of the
 *   payment, dated up to 3 months before it, with at least 4 characters of its number or contact name in
 *   the remittance. Best: longest such match, then closest amount, then nearest date.
 * - ERPNext-style rank: reference (number in remittance), amount (equal), party (name or IBAN equal) and
 *   date (dated up to 3 months before) each add one point; the highest rank ≥ 2 wins, ties by position.
 */
import { compactIban, fold, nameTokens } from "./normalize.ts";
import type { Dataset, MatchDocument } from "./schemas.ts";

export interface BaselineSuggestion {
  transactionId: string;
  score: number;
  allocations: { documentId: string }[];
}

const outgoingDoc = (d: MatchDocument) => d.kind !== "sales_invoice";
const alnum = (s: string) => fold(s).replace(/[^A-Z0-9]/g, "");

/** Documents sorted by open amount, for range lookups. */
function byAmount(docs: readonly MatchDocument[]): MatchDocument[] {
  return [...docs].sort((a, b) => a.openAmount - b.openAmount);
}

function firstAtLeast(sorted: readonly MatchDocument[], amount: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.openAmount < amount) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Longest run (≥ 4) of `needle` characters found in `hay`, or 0. */
function commonRun(needle: string, hay: string): number {
  if (needle.length < 4) return 0;
  for (let len = needle.length; len >= 4; len--) {
    for (let i = 0; i + len <= needle.length; i++) if (hay.includes(needle.slice(i, i + len))) return len;
  }
  return 0;
}

export function lexwareStyle(dataset: Dataset): BaselineSuggestion[] {
  const sorted = byAmount(dataset.documents);
  const out: BaselineSuggestion[] = [];
  for (const tx of dataset.transactions) {
    const paid = Math.abs(tx.amount);
    const rem = alnum(tx.remittanceInformation ?? "");
    let best: { doc: MatchDocument; run: number; diff: number; age: number } | undefined;
    for (let k = firstAtLeast(sorted, Math.ceil(paid * 0.95)); k < sorted.length; k++) {
      const doc = sorted[k]!;
      if (doc.openAmount > paid * 1.05) break;
      if (outgoingDoc(doc) !== tx.amount < 0 || doc.currency !== tx.currency) continue;
      const age = tx.day - doc.issueDay;
      if (age < 0 || age > 92) continue;
      const run = Math.max(
        commonRun(alnum(doc.number ?? ""), rem),
        commonRun(alnum(doc.contactName ?? ""), rem),
      );
      if (run < 4) continue;
      const diff = Math.abs(doc.openAmount - paid);
      if (
        !best ||
        run > best.run ||
        (run === best.run && (diff < best.diff || (diff === best.diff && age < best.age)))
      ) {
        best = { doc, run, diff, age };
      }
    }
    if (best) out.push({ transactionId: tx.id, score: 1, allocations: [{ documentId: best.doc.id }] });
  }
  return out;
}

export function erpnextStyle(dataset: Dataset): BaselineSuggestion[] {
  // Candidate sources: number tokens, amount, IBAN and name (ERPNext filters vouchers by these fields).
  const byNumber = new Map<string, MatchDocument[]>();
  const byAmountMap = new Map<number, MatchDocument[]>();
  const byIban = new Map<string, MatchDocument[]>();
  const byName = new Map<string, MatchDocument[]>();
  const add = <K>(m: Map<K, MatchDocument[]>, k: K | undefined, d: MatchDocument) => {
    if (k === undefined || k === "") return;
    const list = m.get(k);
    if (list) list.push(d);
    else m.set(k, [d]);
  };
  const nameKey = (s: string) => nameTokens(s).join(" ");
  for (const d of dataset.documents) {
    if (d.number) add(byNumber, alnum(d.number), d);
    add(byAmountMap, d.openAmount, d);
    add(byIban, compactIban(d.contactIban), d);
    if (d.contactName) add(byName, nameKey(d.contactName), d);
  }
  const out: BaselineSuggestion[] = [];
  for (const tx of dataset.transactions) {
    const paid = Math.abs(tx.amount);
    const text = fold(tx.remittanceInformation ?? "");
    const tokens = text.split(/[^A-Z0-9]+/).filter((t) => t !== "");
    const referenced = new Set<MatchDocument>();
    for (let i = 0; i < tokens.length; i++) {
      let glued = "";
      for (let j = i; j < tokens.length && j < i + 4; j++) {
        glued += tokens[j];
        for (const d of byNumber.get(glued) ?? []) referenced.add(d);
      }
    }
    const iban = compactIban(tx.counterpartyIban);
    const name = tx.counterpartyName ? nameKey(tx.counterpartyName) : undefined;
    const party = new Set<MatchDocument>([
      ...(iban ? (byIban.get(iban) ?? []) : []),
      ...(name ? (byName.get(name) ?? []) : []),
    ]);
    const amountDocs = byAmountMap.get(paid) ?? [];
    const candidates = new Set<MatchDocument>([...referenced, ...party, ...amountDocs]);
    let best: { doc: MatchDocument; rank: number } | undefined;
    for (const doc of candidates) {
      if (outgoingDoc(doc) !== tx.amount < 0 || doc.currency !== tx.currency) continue;
      const age = tx.day - doc.issueDay;
      const rank =
        (referenced.has(doc) ? 1 : 0) +
        (doc.openAmount === paid ? 1 : 0) +
        (party.has(doc) ? 1 : 0) +
        (age >= 0 && age <= 92 ? 1 : 0);
      if (rank >= 2 && (!best || rank > best.rank)) best = { doc, rank };
    }
    if (best) out.push({ transactionId: tx.id, score: 1, allocations: [{ documentId: best.doc.id }] });
  }
  return out;
}
