/**
 * Indexes over the open documents, so each transaction looks up its few plausible documents by hash
 * instead of being compared with all of them: by number key, payment reference, amount, discounted
 * amount, IBAN, customer number and name token. Building them is linear in the documents; a lookup is
 * linear in the length of the bank line. Buckets that grow too large to say anything (a name token or an
 * amount shared by hundreds of documents) are not expanded.
 */
import { hashAmount, hashKey, type KeyIndex, KeyIndexBuilder } from "./key-index.ts";
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
  customerNumber?: string;
}

export const FLAG_OUTGOING = 1;
export const FLAG_RECEIPT = 2;

/** Which of a contact's sorted document lists (see MatchIndex.byAmount and byIssue). */
export const LIST_IN = 0;
export const LIST_OUT = 1;
/**
 * Receipts are kept apart from invoices: a card payment is charged exactly, so they are only looked up
 * by their exact amount, never scanned over the fee and Skonto range (a supermarket has hundreds of
 * receipts within 35.00 of any card payment).
 */
export const LIST_RECEIPTS = 2;

/**
 * Every contact's documents in a few lists, packed one after another in flat arrays (list `l` of contact
 * `p` is `docs[start[p * lists + l] … start[p * lists + l + 1]]`), each sorted by `keys` and then by
 * position, so a range of amounts or issue days is found by binary search over contiguous numbers.
 */
export interface SortedLists {
  lists: number;
  start: Int32Array;
  docs: Int32Array;
  keys: Float64Array;
}

export interface MatchIndex {
  docs: DocInfo[];
  /** Open amount per document position, packed for the binary searches. */
  amountOf: Float64Array;
  /** Per document position: contact, issue day, and a hash per number key of its digits as written. */
  partyOf: Int32Array;
  issueDayOf: Int32Array;
  rawHashOf: Int32Array;
  /** Per document, for each of its (at most two) `concats`: typoShape of it, 0 when absent. */
  concatShapeOf: Int32Array;
  /** Per document: FLAG_OUTGOING, FLAG_RECEIPT. */
  flagsOf: Uint8Array;
  /** Per document: its currency's number in `currencies`. */
  currencyOf: Int32Array;
  currencies: Map<string, number>;
  /** Per document: agreed Skonto in basis points (−1: no terms), its last day, and the discounted amount. */
  discountBpOf: Int32Array;
  discountUntilOf: Int32Array;
  discountedOf: Float64Array;
  /** Per contact: whether it has a name (a payer who is someone else is then told apart). */
  namedParty: Uint8Array;
  parties: Party[];
  /** Per contact: invoices paid by incoming money, by outgoing money, and receipts, by open amount. */
  byAmount: SortedLists;
  /** Per contact: documents paid by incoming and by outgoing money, by issue day. */
  byIssue: SortedLists;
  byFull: KeyIndex;
  bySig: KeyIndex;
  byConcat: KeyIndex;
  byReference: Map<string, number[]>;
  byOpenAmount: KeyIndex<number>;
  byDiscounted: KeyIndex<number>;
  /** IBAN → party ids */
  byIban: Map<string, number[]>;
  /** customer number key → party ids */
  byCustomerFull: KeyIndex;
  byCustomerSig: KeyIndex;
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
function groupParties(docs: readonly MatchDocument[], nameKeyOf: (name: string) => string): number[] {
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
      const key = side + nameKeyOf(d.contactName);
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
  // Key lists are collected in builders, then packed into flat tables for the per-line probes.
  const byFull = new KeyIndexBuilder(hashKey);
  const bySig = new KeyIndexBuilder(hashKey);
  const byConcat = new KeyIndexBuilder(hashKey);
  const byCustomerFull = new KeyIndexBuilder(hashKey);
  const byCustomerSig = new KeyIndexBuilder(hashKey);
  const byOpenAmount = new KeyIndexBuilder(hashAmount);
  const byDiscounted = new KeyIndexBuilder(hashAmount);
  const add = <K extends string | number>(b: KeyIndexBuilder<K>, key: K | undefined, value: number) => {
    if (key !== undefined && key !== "") b.add(key, value);
  };
  const n = documents.length;
  const docs: DocInfo[] = [];
  const parties: Party[] = [];
  const byReference = new Map<string, number[]>();
  const byIban = new Map<string, number[]>();
  const byNameToken = new Map<string, number[]>();
  const partyOf = new Int32Array(n);
  const rawHashOf = new Int32Array(2 * n);
  const concatShapeOf = new Int32Array(2 * n);
  // Contacts repeat across documents (a 100k-document book has ~5k contacts): what is derived from a
  // contact's name, IBAN or customer number is derived once per distinct text.
  const cached = <T>(derive: (text: string) => T): ((text: string) => T) => {
    const cache = new Map<string, T>();
    return (text) => {
      let value = cache.get(text);
      if (value === undefined) {
        value = derive(text);
        cache.set(text, value);
      }
      return value;
    };
  };
  // One token list object per distinct list of tokens ("Müller Bau GmbH" and "Müller Bau AG" share
  // one), so a contact's names are told apart by identity.
  const canonical = new Map<string, string[]>();
  const tokensOf = cached((name) => {
    const tokens = nameTokens(name);
    const key = tokens.join(" ");
    const seen = canonical.get(key);
    if (seen) return seen;
    canonical.set(key, tokens);
    return tokens;
  });
  const nameKeyOf = cached((name) => `:${tokensOf(name).join(" ")}`);
  const ibanOf = cached((iban) => compactIban(iban) ?? "");
  const customerKeysOf = cached(numberKeys);
  const roots = groupParties(documents, nameKeyOf);
  const partyOfRoot = new Map<number, number>();
  documents.forEach((doc, i) => {
    const root = roots[i]!;
    let partyId = partyOfRoot.get(root);
    if (partyId === undefined) {
      partyId = parties.length;
      partyOfRoot.set(root, partyId);
      parties.push({ id: partyId, name: doc.contactName ?? "", names: [], ibans: new Set() });
    }
    partyOf[i] = partyId;
    const party = parties[partyId]!;
    if (doc.contactName) {
      const tokens = tokensOf(doc.contactName);
      // The same token list object for the same name, so a name seen before is found by identity.
      if (tokens.length > 0 && party.names.length < 4 && !party.names.includes(tokens)) {
        party.names.push(tokens);
        for (const [i, t] of tokens.entries()) {
          push(byNameToken, t, partyId);
          for (const u of tokens.slice(i + 1)) push(byNameToken, namePair(t, u), partyId);
        }
      }
      if (!party.name) party.name = doc.contactName;
    }
    const iban = doc.contactIban ? ibanOf(doc.contactIban) : "";
    if (iban && !party.ibans.has(iban)) {
      party.ibans.add(iban);
      push(byIban, iban, partyId);
    }
    if (doc.customerNumber) {
      party.customerNumber ??= doc.customerNumber;
      const keys = customerKeysOf(doc.customerNumber);
      add(byCustomerFull, keys.full, partyId);
      if (keys.digitCount >= 4) add(byCustomerSig, keys.sig, partyId);
    }

    const keys: NumberKeys[] = [];
    const concats: string[] = [];
    for (const text of [doc.number, doc.paymentReference]) {
      if (!text) continue;
      const k = numberKeys(text);
      if (k.raw !== "") rawHashOf[2 * i + keys.length] = hashKey(k.raw);
      keys.push(k);
      add(byFull, k.full, i);
      add(bySig, k.sig, i);
      if (k.concat !== k.sig) add(byConcat, k.concat, i);
      if (k.concat && k.digitCount >= 5 && !concats.includes(k.concat)) {
        concatShapeOf[2 * i + concats.length] = typoShape(k.concat);
        concats.push(k.concat);
      }
    }
    if (doc.paymentReference) {
      const ref = compactReference(doc.paymentReference);
      if (ref.length >= 5) push(byReference, ref, i);
    }
    add(byOpenAmount, doc.openAmount, i);
    const info: DocInfo = { doc, outgoing: doc.kind !== "sales_invoice", keys, concats, party: partyId };
    if (doc.cashDiscount) {
      info.discounted = doc.openAmount - Math.round((doc.openAmount * doc.cashDiscount.basisPoints) / 10_000);
      add(byDiscounted, info.discounted, i);
    }
    docs.push(info);
  });
  const outgoing = (d: number) => docs[d]!.outgoing;
  const currencies = new Map<string, number>();
  const currencyOf = Int32Array.from(documents, (d) => {
    let id = currencies.get(d.currency);
    if (id === undefined) {
      id = currencies.size;
      currencies.set(d.currency, id);
    }
    return id;
  });
  const amountList = (d: number) =>
    documents[d]!.kind === "receipt" ? LIST_RECEIPTS : outgoing(d) ? LIST_OUT : LIST_IN;
  return {
    docs,
    amountOf: Float64Array.from(documents, (d) => d.openAmount),
    partyOf,
    issueDayOf: Int32Array.from(documents, (d) => d.issueDay),
    rawHashOf,
    concatShapeOf,
    flagsOf: Uint8Array.from(
      docs,
      (info) => (info.outgoing ? FLAG_OUTGOING : 0) | (info.doc.kind === "receipt" ? FLAG_RECEIPT : 0),
    ),
    currencyOf,
    currencies,
    discountBpOf: Int32Array.from(documents, (d) => (d.cashDiscount ? d.cashDiscount.basisPoints : -1)),
    discountUntilOf: Int32Array.from(documents, (d) => d.cashDiscount?.untilDay ?? 0),
    discountedOf: Float64Array.from(docs, (info) => info.discounted ?? info.doc.openAmount),
    namedParty: Uint8Array.from(parties, (p) => (p.names.length > 0 ? 1 : 0)),
    parties,
    byAmount: sortedLists(partyOf, 3, amountList, (d) => documents[d]!.openAmount),
    byIssue: sortedLists(
      partyOf,
      2,
      (d) => (outgoing(d) ? LIST_OUT : LIST_IN),
      (d) => documents[d]!.issueDay,
    ),
    byFull: byFull.build(),
    bySig: bySig.build(),
    byConcat: byConcat.build(),
    byReference,
    byOpenAmount: byOpenAmount.build(),
    byDiscounted: byDiscounted.build(),
    byIban,
    byCustomerFull: byCustomerFull.build(),
    byCustomerSig: byCustomerSig.build(),
    byNameToken,
  };
}

/**
 * Length, first and last digit of a digit string of ≥ 3 digits, packed (never 0). Two such strings one
 * edit apart (withinOneEdit) differ in length by at most one and share the first or the last digit, so
 * comparing shapes rules out most pairs without touching the strings.
 */
export function typoShape(digits: string): number {
  return (
    (digits.length << 8) | ((digits.charCodeAt(0) - 47) << 4) | (digits.charCodeAt(digits.length - 1) - 47)
  );
}

/** Whether two typoShapes allow the strings to be one edit apart. */
export function shapesMayBeOneEdit(a: number, b: number): boolean {
  return Math.abs((a >> 8) - (b >> 8)) <= 1 && ((a & 0xf0) === (b & 0xf0) || (a & 0x0f) === (b & 0x0f));
}

/** Packs each contact's documents into `lists` lists (chosen by `listOf`), each sorted by `keyOf`. */
function sortedLists(
  partyOf: Int32Array,
  lists: number,
  listOf: (d: number) => number,
  keyOf: (d: number) => number,
): SortedLists {
  const n = partyOf.length;
  const slots = partyOf.reduce((max, p) => Math.max(max, p + 1), 0) * lists;
  const start = new Int32Array(slots + 1);
  const slotOf = new Int32Array(n);
  for (let d = 0; d < n; d++) {
    slotOf[d] = partyOf[d]! * lists + listOf(d);
    start[slotOf[d]! + 1]!++;
  }
  for (let k = 0; k < slots; k++) start[k + 1]! += start[k]!;
  const docs = new Int32Array(n);
  const keys = new Float64Array(n);
  const fill = start.slice(0, slots);
  for (let d = 0; d < n; d++) docs[fill[slotOf[d]!]!++] = d;
  for (let k = 0; k < slots; k++) {
    docs.subarray(start[k]!, start[k + 1]!).sort((a, b) => keyOf(a) - keyOf(b) || a - b);
  }
  for (let i = 0; i < n; i++) keys[i] = keyOf(docs[i]!);
  return { lists, start, docs, keys };
}

/** Whether a payment reference looks like an ISO 11649 RF reference (then it is trusted as unique). */
export function isStructuredReference(reference: string): boolean {
  return isValidRf(compactReference(reference));
}
