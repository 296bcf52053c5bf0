/**
 * Indexes over the open documents, so each transaction looks up its few plausible documents by hash
 * instead of being compared with all of them: by number key, payment reference, amount, discounted
 * amount, IBAN, customer number and name token. Building them is linear in the documents; a lookup is
 * linear in the length of the bank line. Buckets that grow too large to say anything (a name token or an
 * amount shared by hundreds of documents) are not expanded.
 */
import { compactIban, nameTokens } from "./normalize.ts";
import { compactReference, isValidRf, type NumberKeys, numberKeys } from "./references.ts";
import type { MatchDocument } from "./schemas.ts";

export interface DocInfo {
  doc: MatchDocument;
  /** True when outgoing money pays it (purchase invoices, receipts); sales invoices are paid by incoming money. */
  outgoing: boolean;
  keys: NumberKeys[];
  /** Glued digits of number and reference with ≥ 5 significant digits, for one-edit typo comparison. */
  concats: string[];
  party: number;
  /** Open amount less the agreed cash discount, when the document has terms. */
  discounted?: number;
}

export interface Party {
  id: number;
  name: string;
  /** Distinct token lists of the names this party appears under. */
  names: string[][];
  ibans: Set<string>;
  docs: number[];
  /**
   * Invoices by the direction of money that pays them, sorted by open amount (then position). Receipts
   * are kept apart: a card payment is charged exactly, so they are only looked up by their exact amount,
   * never scanned over the fee and Skonto range (a supermarket has hundreds of receipts within 35.00).
   */
  byAmount: { in: number[]; out: number[]; receipts: number[] };
  /** The same, sorted by issue day (then position). */
  byIssue: { in: number[]; out: number[] };
  customerNumber?: string;
}

export interface MatchIndex {
  docs: DocInfo[];
  /** Open amount per document position, packed for the binary searches. */
  amountOf: Float64Array;
  parties: Party[];
  byFull: Map<string, number[]>;
  bySig: Map<string, number[]>;
  byConcat: Map<string, number[]>;
  byReference: Map<string, number[]>;
  byAmount: Map<number, number[]>;
  byDiscounted: Map<number, number[]>;
  /** IBAN → party ids */
  byIban: Map<string, number[]>;
  /** customer number key → party ids */
  byCustomerFull: Map<string, number[]>;
  byCustomerSig: Map<string, number[]>;
  /** name token, or pair of tokens (namePair), → party ids */
  byNameToken: Map<string, number[]>;
}

function push<K>(map: Map<K, number[]>, key: K | undefined, value: number): void {
  if (key === undefined || key === "") return;
  const list = map.get(key);
  if (!list) map.set(key, [value]);
  else if (list[list.length - 1] !== value) list.push(value);
}

/**
 * Key for two name tokens together. Single tokens of common names ("MUELLER", "BAU") are shared by
 * hundreds of contacts in a large book and are then not expanded; pairs stay selective.
 */
export function namePair(a: string, b: string): string {
  return a < b ? `${a}+${b}` : `${b}+${a}`;
}

/** Union-find over documents: the same customer number or the same name means the same party. */
function groupParties(docs: readonly MatchDocument[], tokensOf: (name: string) => string[]): number[] {
  const parent = docs.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[i] !== r) {
      const next = parent[i]!;
      parent[i] = r;
      i = next;
    }
    return r;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const byName = new Map<string, number>();
  const byCustomer = new Map<string, number>();
  docs.forEach((d, i) => {
    const side = d.kind === "sales_invoice" ? "s" : "p";
    if (d.contactName) {
      const key = `${side}:${tokensOf(d.contactName).join(" ")}`;
      const seen = byName.get(key);
      if (seen === undefined) byName.set(key, i);
      else union(seen, i);
    }
    if (d.customerNumber) {
      const key = `${side}:${compactReference(d.customerNumber)}`;
      const seen = byCustomer.get(key);
      if (seen === undefined) byCustomer.set(key, i);
      else union(seen, i);
    }
  });
  return docs.map((_, i) => find(i));
}

export function buildIndex(documents: readonly MatchDocument[]): MatchIndex {
  const index: MatchIndex = {
    docs: [],
    amountOf: Float64Array.from(documents, (d) => d.openAmount),
    parties: [],
    byFull: new Map(),
    bySig: new Map(),
    byConcat: new Map(),
    byReference: new Map(),
    byAmount: new Map(),
    byDiscounted: new Map(),
    byIban: new Map(),
    byCustomerFull: new Map(),
    byCustomerSig: new Map(),
    byNameToken: new Map(),
  };
  // Contacts repeat across documents: tokenise each distinct name once.
  const tokenCache = new Map<string, string[]>();
  const tokensOf = (name: string): string[] => {
    let tokens = tokenCache.get(name);
    if (!tokens) {
      tokens = nameTokens(name);
      tokenCache.set(name, tokens);
    }
    return tokens;
  };
  const roots = groupParties(documents, tokensOf);
  const partyOfRoot = new Map<number, number>();
  documents.forEach((doc, i) => {
    const root = roots[i]!;
    let partyId = partyOfRoot.get(root);
    if (partyId === undefined) {
      partyId = index.parties.length;
      partyOfRoot.set(root, partyId);
      index.parties.push({
        id: partyId,
        name: doc.contactName ?? "",
        names: [],
        ibans: new Set(),
        docs: [],
        byAmount: { in: [], out: [], receipts: [] },
        byIssue: { in: [], out: [] },
      });
    }
    const party = index.parties[partyId]!;
    party.docs.push(i);
    if (doc.contactName) {
      const tokens = tokensOf(doc.contactName);
      if (
        tokens.length > 0 &&
        party.names.length < 4 &&
        !party.names.some((n) => n.join(" ") === tokens.join(" "))
      ) {
        party.names.push(tokens);
        for (const [i, t] of tokens.entries()) {
          push(index.byNameToken, t, partyId);
          for (const u of tokens.slice(i + 1)) push(index.byNameToken, namePair(t, u), partyId);
        }
      }
      if (!party.name) party.name = doc.contactName;
    }
    const iban = compactIban(doc.contactIban);
    if (iban && !party.ibans.has(iban)) {
      party.ibans.add(iban);
      push(index.byIban, iban, partyId);
    }
    if (doc.customerNumber) {
      party.customerNumber ??= doc.customerNumber;
      const keys = numberKeys(doc.customerNumber);
      push(index.byCustomerFull, keys.full, partyId);
      if (keys.digitCount >= 4) push(index.byCustomerSig, keys.sig, partyId);
    }

    const keys: NumberKeys[] = [];
    const concats: string[] = [];
    for (const text of [doc.number, doc.paymentReference]) {
      if (!text) continue;
      const k = numberKeys(text);
      keys.push(k);
      push(index.byFull, k.full, i);
      push(index.bySig, k.sig, i);
      if (k.concat !== k.sig) push(index.byConcat, k.concat, i);
      if (k.concat && k.digitCount >= 5 && !concats.includes(k.concat)) concats.push(k.concat);
    }
    if (doc.paymentReference) {
      const ref = compactReference(doc.paymentReference);
      if (ref.length >= 5) push(index.byReference, ref, i);
    }
    push(index.byAmount, doc.openAmount, i);
    const info: DocInfo = { doc, outgoing: doc.kind !== "sales_invoice", keys, concats, party: partyId };
    if (doc.cashDiscount) {
      info.discounted = doc.openAmount - Math.round((doc.openAmount * doc.cashDiscount.basisPoints) / 10_000);
      push(index.byDiscounted, info.discounted, i);
    }
    index.docs.push(info);
  });
  const byAmount = (a: number, b: number) => documents[a]!.openAmount - documents[b]!.openAmount || a - b;
  for (const party of index.parties) {
    party.byAmount.receipts = party.docs.filter((d) => documents[d]!.kind === "receipt").sort(byAmount);
    for (const side of ["in", "out"] as const) {
      const docs = party.docs.filter((d) => index.docs[d]!.outgoing === (side === "out"));
      party.byAmount[side] = docs.filter((d) => documents[d]!.kind !== "receipt").sort(byAmount);
      party.byIssue[side] = [...docs].sort(
        (a, b) => documents[a]!.issueDay - documents[b]!.issueDay || a - b,
      );
    }
  }
  return index;
}

/** Whether a payment reference looks like an ISO 11649 RF reference (then it is trusted as unique). */
export function isStructuredReference(reference: string): boolean {
  return isValidRf(compactReference(reference));
}
