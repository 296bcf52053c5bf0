/**
 * `suggest(dataset)`: for each bank transaction, the document(s) it most likely pays — or nothing.
 *
 * 1. Index the open documents (candidates.ts).
 * 2. Per transaction, look up candidates by reference keys, RF reference, customer number, IBAN, payer
 *    name and amount; describe each candidate (and each plausible set of documents for one payment) by
 *    its signals; score them against each other and against "none" (score.ts).
 * 3. Allocate globally, best score first: a document is taken once (partial payments may share one while
 *    its open amount lasts); a transaction whose candidate was taken is re-scored without it.
 * Deterministic: inputs are walked in order, sorts are stable and ties break on input position.
 */
import { formatAmount } from "@kontor/money";
import {
  type AmountKind,
  type AmountRelation,
  DISCOUNT_GRACE_DAYS,
  discountAmount,
  findSubsets,
  MAX_FEE_MINOR,
  relateAmount,
  type SubsetItem,
  undiscountedCandidates,
} from "./amounts.ts";
import {
  buildIndex,
  type DocInfo,
  FLAG_OUTGOING,
  FLAG_RECEIPT,
  LIST_IN,
  LIST_OUT,
  LIST_RECEIPTS,
  type MatchIndex,
  namePair,
  type SortedLists,
  shapesMayBeOneEdit,
  typoShape,
} from "./candidates.ts";
import { hashKey, type KeyIndex } from "./key-index.ts";
import { compactIban, nameSimilarity, nameTokens, normalizeRemittance } from "./normalize.ts";
import {
  digitRuns,
  extractRfs,
  REMITTANCE_LIMIT,
  type Window,
  windowsOf,
  withinOneEdit,
} from "./references.ts";
import { type Dataset, parseDataset, type Transaction } from "./schemas.ts";
import { confidence, logitOf, SUGGEST_THRESHOLD, WEIGHTS, type Weights } from "./score.ts";

export type DifferenceReason = "cash_discount" | "bank_fee" | "partial_payment" | "overpayment";

export interface Suggestion {
  transactionId: string;
  score: number;
  allocations: { documentId: string; amount: string }[];
  difference?: { amount: string; reason: DifferenceReason };
  reasons: string[];
}

export interface SuggestOptions {
  weights?: Weights;
  threshold?: number;
}

export type RefLevel = "rf" | "full" | "long" | "medium" | "weak" | "fuzzy" | "truncated";
/** Strength of a reference hit; levels are handled by rank inside (0: no reference). */
const REF_RANK = {
  rf: 7,
  full: 6,
  long: 5,
  medium: 4,
  fuzzy: 3,
  truncated: 2,
  weak: 1,
} as const satisfies Record<RefLevel, number>;
const LEVEL_OF_RANK: readonly (RefLevel | undefined)[] = [
  undefined,
  "weak",
  "truncated",
  "fuzzy",
  "medium",
  "long",
  "full",
  "rf",
];
const REF_FEATURE = LEVEL_OF_RANK.map((l) => (l ? `ref.${l}` : ""));

/** One way to explain a transaction: the documents it pays and the signals for it. */
export interface Option {
  docs: number[];
  features: string[];
  logit: number;
  diff: number;
  diffReason?: DifferenceReason;
  /** Leaves the document partly open: other partial payments may still be allocated to it. */
  partial: boolean;
  /** What its reasons are written from, once it is suggested (most options never are). */
  why: SingleWhy | MultiWhy;
}

/** Key buckets larger than this say nothing ("2026" in many numbers); they are not expanded. */
const MAX_KEY_BUCKET = 20;
const MAX_AMOUNT_BUCKET = 64;
const MAX_NAME_BUCKET = 24;
const MAX_TOKEN_BUCKET = 6;
const MAX_NAME_COMPARISONS = 32;
const MAX_PARTY_DOCS = 60;
const MAX_SUBSET_POOL = 16;
const MIN_LOGIT = -6;
const MAX_OPTIONS = 12;

export interface Context {
  index: MatchIndex;
  weights: Weights;
  /** Per-run cache: payer name, and its significant tokens joined by spaces, → similar contacts. */
  names: Map<string, NameMatches>;
  scratch: Scratch;
}

/** Contacts whose name resembles a payer's: similarity per contact, and those under the same name. */
interface NameMatches {
  sim: ReadonlyMap<number, number>;
  /** Same significant tokens both ways (not merely contained: MUELLER BAU is not Bau Müller Kiel). */
  same: ReadonlySet<number>;
}

function windowRank(w: Window, via: "full" | "digits"): number {
  if (w.atCut || w.embedded) return REF_RANK.weak;
  if (via === "full") return w.digitCount >= 3 ? REF_RANK.full : REF_RANK.medium;
  if (w.digitCount >= 6) return REF_RANK.long;
  if (w.digitCount >= 4) return REF_RANK.medium;
  return REF_RANK.weak;
}

/**
 * Feature names are interned once: building "amt.exact" afresh for every candidate and hashing it in the
 * weight table cost a third of the run time at 100k lines.
 */
const featureCache = new Map<string, Map<string | number, string>>();
function feature(group: string, value: string | number): string {
  let byValue = featureCache.get(group);
  if (byValue === undefined) {
    byValue = new Map();
    featureCache.set(group, byValue);
  }
  let f = byValue.get(value);
  if (f === undefined) {
    f = `${group}.${value}`;
    byValue.set(value, f);
  }
  return f;
}

function diffReasonOf(kind: AmountKind): DifferenceReason | undefined {
  switch (kind) {
    case "exact":
    case "mismatch":
      return undefined;
    case "discount_terms":
    case "discount_unauth":
      return "cash_discount";
    case "fee":
      return "bank_fee";
    case "partial":
      return "partial_payment";
    case "overpayment":
      return "overpayment";
  }
}

function percentText(bp: number): string {
  return `${bp / 100}%`.replace(".", ",");
}

function amountReason(rel: AmountRelation, currency: string, plural: boolean): string {
  const what = plural ? "the open amounts" : "the open amount";
  const d = formatAmount(Math.abs(rel.diff), currency);
  switch (rel.kind) {
    case "exact":
      return `amount equals ${what}`;
    case "discount_terms":
      return `amount equals ${what} less ${percentText(rel.basisPoints ?? 0)} cash discount within the terms (${d})`;
    case "discount_unauth":
      return `amount equals ${what} less ${percentText(rel.basisPoints ?? 0)} cash discount taken without terms (${d})`;
    case "fee":
      return `amount is ${d} below ${what}: bank fee deducted`;
    case "partial":
      return `partial payment: ${d} of ${what} stay open`;
    case "overpayment":
      return `overpayment of ${d}`;
    case "mismatch":
      return `amount differs from ${what} by ${d}`;
  }
}

interface TxSignals {
  /** Documents with a reference hit, in the order they were found; their level is in the scratch space. */
  refDocs: number[];
  customerParties: number[];
  ibanParties: number[];
  nameSim: ReadonlyMap<number, number>;
  sameName: ReadonlySet<number>;
  runs: string[];
  /** typoShape of each run. */
  runShapes: number[];
  /** Glued digits of a number cut off at the end of a 140-character remittance. */
  cutPrefix?: string;
}

/**
 * Per-run scratch space shared by all lines: a stamp per document and per contact says whether it was
 * seen on the current line, instead of a fresh Set or Map per line (at 100k lines those, and the garbage
 * they left, took a fifth of the run).
 */
interface Scratch {
  line: number;
  refStamp: Int32Array;
  refRank: Int8Array;
  candStamp: Int32Array;
  consideredStamp: Int32Array;
  partyStamp: Int32Array;
  /** Reference hits of the current line before rival readings are settled (parallel arrays). */
  hitDoc: number[];
  hitRank: number[];
  hitSpan: number[];
  hitFit: number[];
  hitConcat: (string | undefined)[];
}

function newScratch(index: MatchIndex): Scratch {
  const docs = index.docs.length;
  return {
    line: 0,
    refStamp: new Int32Array(docs),
    refRank: new Int8Array(docs),
    candStamp: new Int32Array(docs),
    consideredStamp: new Int32Array(docs),
    partyStamp: new Int32Array(index.parties.length),
    hitDoc: [],
    hitRank: [],
    hitSpan: [],
    hitFit: [],
    hitConcat: [],
  };
}

/** Rank of a document's reference hit on the current line (0: none). */
function refRankOf(scratch: Scratch, doc: number): number {
  return scratch.refStamp[doc] === scratch.line ? scratch.refRank[doc]! : 0;
}

const NO_NAME: NameMatches = { sim: new Map(), same: new Set() };
const RF_SPAN = -1;

/**
 * Contacts whose name resembles the payer's, with the similarity. Bank lines repeat payer names, so the
 * result is cached per name for the run.
 */
function namesFor(name: string, ctx: Context): NameMatches {
  const cached = ctx.names.get(name);
  if (cached) return cached;
  // Spellings of one payer ("MUELLER BAU", "Müller Bau GmbH") share their tokens: matched once.
  const tokens = nameTokens(name).slice(0, 6);
  const key = tokens.join(" ");
  const same = ctx.names.get(key);
  if (same) {
    ctx.names.set(name, same);
    return same;
  }
  const index = ctx.index;
  const nameSim = new Map<number, number>();
  const sameNames = new Set<number>();
  // Pairs of tokens first; a single token only where few contacts share it ("HORNBACH", not "BAUER").
  const lookups: [string, number][] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.length >= 3) lookups.push([tokens[i]!, MAX_TOKEN_BUCKET]);
    for (let j = i + 1; j < tokens.length; j++)
      lookups.push([namePair(tokens[i]!, tokens[j]!), MAX_NAME_BUCKET]);
    // Split spelling of a one-word name: "MEDIA MARKT" for MediaMarkt.
    if (i + 1 < tokens.length) lookups.push([tokens[i]! + tokens[i + 1]!, MAX_TOKEN_BUCKET]);
  }
  // Most selective keys first; a bounded number of contacts is compared per line.
  const buckets: number[][] = [];
  for (const [key, limit] of lookups) {
    const parties = index.byNameToken.get(key);
    if (parties && parties.length <= limit) buckets.push(parties);
  }
  buckets.sort((a, b) => a.length - b.length);
  let compared = 0;
  for (const parties of buckets) {
    if (compared >= MAX_NAME_COMPARISONS) break;
    for (const p of parties) {
      if (nameSim.has(p)) continue;
      compared++;
      let best = 0;
      let same = false;
      for (const n of index.parties[p]!.names) {
        const sim = nameSimilarity(tokens, n);
        if (sim === 1 && n.length === tokens.length) same = true;
        best = Math.max(best, sim);
      }
      if (same) sameNames.add(p);
      // A shared token almost no other contact has ("LIDL", "HORNBACH") identifies the contact even when
      // the rest of the bank's spelling differs ("LIDL SAGT DANKE" for "Lidl Dienstleistung GmbH").
      if (best > 0 && best < 0.85 && parties.length <= 2 && buckets[0] === parties) best = 0.85;
      nameSim.set(p, best);
    }
  }
  const matches = { sim: nameSim, same: sameNames };
  ctx.names.set(name, matches);
  ctx.names.set(key, matches);
  return matches;
}

/** Adds `item` to `list` unless it is there already (lists of one to three contacts). */
function addOnce(list: number[], item: number): void {
  if (!list.includes(item)) list.push(item);
}

/**
 * Signals of one line. Starts a new line in the scratch space: reference levels found here are valid
 * until the next call.
 */
export function collectSignals(tx: Transaction, ctx: Context): TxSignals {
  const { index, scratch } = ctx;
  const line = ++scratch.line;
  const raw = tx.remittanceInformation ?? "";
  const rem = normalizeRemittance(raw);
  const e2e = tx.endToEndId ? normalizeRemittance(tx.endToEndId) : "";
  const cut = raw.length >= REMITTANCE_LIMIT - 5;
  const customerParties: number[] = [];
  // Rival readings of the same digits: "RE 2026-02154" is RE-2026-2154 of one series or 2026-02154 of
  // another. The reading that keeps the digits as written (leading zeros included), then the one that
  // also matches the letter prefix, wins; the others count as weak hits.
  const { hitDoc, hitRank, hitSpan, hitFit, hitConcat } = scratch;
  hitDoc.length = 0;
  hitRank.length = 0;
  hitSpan.length = 0;
  hitFit.length = 0;
  hitConcat.length = 0;
  let hRaw = 0;
  const hit = (keys: KeyIndex, slot: number, rank: number, w: Window, prefixed: boolean): void => {
    if (slot < 0) return;
    const count = keys.count(slot);
    if (count > MAX_KEY_BUCKET) return;
    const start = keys.start(slot);
    for (let k = start; k < start + count; k++) {
      const d = keys.values[k]!;
      let asWritten = false;
      // Digits as written: compared by hash, then by text for the (rare) equal hash.
      if (index.rawHashOf[2 * d] === hRaw || index.rawHashOf[2 * d + 1] === hRaw) {
        for (const key of index.docs[d]!.keys) if (key.raw === w.raw) asWritten = true;
      }
      hitDoc.push(d);
      hitRank.push(rank);
      hitSpan.push(w.span);
      hitFit.push((asWritten ? 2 : 0) + (prefixed ? 1 : 0));
      hitConcat.push(w.concat);
    }
  };
  const customers = (keys: KeyIndex, slot: number): void => {
    if (slot < 0 || keys.count(slot) > 3) return;
    const start = keys.start(slot);
    for (let k = start; k < start + keys.count(slot); k++) addOnce(customerParties, keys.values[k]!);
  };
  let cutPrefix: string | undefined;
  for (let pass = 0; pass < 2; pass++) {
    const text = pass === 0 ? rem : e2e;
    if (text === "") continue;
    for (const w of windowsOf(text, pass === 0 && cut)) {
      // One or two digits say too little to be worth a lookup, with a prefix or without.
      if (w.digitCount < 2) continue;
      // Each key is hashed once and probed in every table it is looked up in.
      hRaw = hashKey(w.raw);
      const hFull = w.full ? hashKey(w.full) : 0;
      if (w.full) hit(index.byFull, index.byFull.find(w.full, hFull), windowRank(w, "full"), w, true);
      const hSig = w.sig !== undefined ? hashKey(w.sig) : 0;
      if (w.sig !== undefined && w.digitCount >= 3) {
        const rank = windowRank(w, "digits");
        hit(index.bySig, index.bySig.find(w.sig, hSig), rank, w, false);
        if (w.concat !== undefined) {
          const hConcat = w.concat === w.sig ? hSig : hashKey(w.concat);
          hit(index.byConcat, index.byConcat.find(w.concat, hConcat), rank, w, false);
          if (w.concat !== w.sig) hit(index.bySig, index.bySig.find(w.concat, hConcat), rank, w, false);
        }
        if (
          w.atCut &&
          w.concat &&
          w.concat.length >= 4 &&
          (!cutPrefix || w.concat.length > cutPrefix.length)
        ) {
          cutPrefix = w.concat;
        }
      }
      if (!w.atCut) {
        if (w.full) customers(index.byCustomerFull, index.byCustomerFull.find(w.full, hFull));
        if (w.sig !== undefined && w.digitCount >= 4 && !w.embedded)
          customers(index.byCustomerSig, index.byCustomerSig.find(w.sig, hSig));
      }
    }
    for (const rf of extractRfs(text)) {
      for (const d of index.byReference.get(rf) ?? []) {
        hitDoc.push(d);
        hitRank.push(REF_RANK.rf);
        hitSpan.push(RF_SPAN);
        hitFit.push(0);
        hitConcat.push(undefined);
      }
    }
  }

  // Best fit per span: by scanning the few hits of a line, or with a map when a line has many.
  let bestFit: Map<number, number> | undefined;
  if (hitDoc.length > 16) {
    bestFit = new Map();
    for (let h = 0; h < hitDoc.length; h++) {
      const span = hitSpan[h]!;
      if (hitFit[h]! > (bestFit.get(span) ?? -1)) bestFit.set(span, hitFit[h]!);
    }
  }
  const refDocs: number[] = [];
  const consumed: string[] = [];
  for (let h = 0; h < hitDoc.length; h++) {
    // A reading of the same digits that fits them better makes this one weak (an RF reference has no rival).
    let rank = hitRank[h]!;
    const span = hitSpan[h]!;
    if (span !== RF_SPAN) {
      let best = hitFit[h]!;
      if (bestFit) best = bestFit.get(span)!;
      else
        for (let o = 0; o < hitDoc.length; o++)
          if (hitSpan[o] === span && hitFit[o]! > best) best = hitFit[o]!;
      if (hitFit[h]! < best) rank = REF_RANK.weak;
    }
    const d = hitDoc[h]!;
    if (scratch.refStamp[d] !== line) {
      scratch.refStamp[d] = line;
      scratch.refRank[d] = rank;
      refDocs.push(d);
    } else if (rank > scratch.refRank[d]!) scratch.refRank[d] = rank;
    const concat = hitConcat[h];
    if (concat && rank !== REF_RANK.weak && !consumed.includes(concat)) consumed.push(concat);
  }

  const ibanParties: number[] = [];
  const iban = compactIban(tx.counterpartyIban);
  if (iban) for (const p of index.byIban.get(iban) ?? []) addOnce(ibanParties, p);

  const names = tx.counterpartyName ? namesFor(tx.counterpartyName, ctx) : NO_NAME;
  // Typo candidates: digit runs long enough to carry a number that matched nothing exactly.
  const runs = digitRuns(`${rem} ${e2e}`).filter((run) => run.length >= 5 && !consumed.includes(run));
  const signals: TxSignals = {
    refDocs,
    customerParties,
    ibanParties,
    nameSim: names.sim,
    sameName: names.same,
    runs,
    runShapes: runs.map(typoShape),
  };
  if (cutPrefix) signals.cutPrefix = cutPrefix;
  return signals;
}

type PartyFeature = "iban" | "name" | "namepart" | "other" | "none";
const PARTY_ORDER: readonly PartyFeature[] = ["iban", "name", "namepart", "other", "none"];

function partyFeature(tx: Transaction, party: number, s: TxSignals, index: MatchIndex): PartyFeature {
  if (s.ibanParties.includes(party)) return "iban";
  const sim = s.nameSim.get(party) ?? 0;
  if (sim >= 0.8) return "name";
  if (sim >= 0.5) return "namepart";
  if ((tx.counterpartyName || tx.counterpartyIban) && index.namedParty[party] === 1) return "other";
  return "none";
}

function dateFeature(tx: Transaction, d: number, index: MatchIndex): string {
  const delta = tx.day - index.issueDayOf[d]!;
  if ((index.flagsOf[d]! & FLAG_RECEIPT) !== 0) {
    if (delta >= -1 && delta <= 4) return "date.close";
    if (delta >= -3 && delta <= 14) return "date.near";
    return "date.far";
  }
  if (delta < -7) return "date.early";
  if (delta < 0) return "date.slightlyearly";
  if (delta <= 120) return "date.normal";
  if (delta <= 365) return "date.late";
  return "date.verylate";
}

/** Rank of the reference to document `docIdx` on the current line, typos and cut-off numbers included. */
function refRankFor(s: TxSignals, docIdx: number, ctx: Context): number {
  const rank = refRankOf(ctx.scratch, docIdx);
  if (rank > 0) return rank;
  if (s.runs.length === 0 && s.cutPrefix === undefined) return 0;
  const shapes = ctx.index.concatShapeOf;
  // Without a cut-off number, only a typo can count: rule it out by shapes before reading any string.
  if (
    s.cutPrefix === undefined &&
    !mayBeTypo(shapes[2 * docIdx]!, s) &&
    !mayBeTypo(shapes[2 * docIdx + 1]!, s)
  )
    return 0;
  const concats = ctx.index.docs[docIdx]!.concats;
  for (let k = 0; k < concats.length; k++) {
    const c = concats[k]!;
    if (mayBeTypo(shapes[2 * docIdx + k]!, s)) {
      for (const run of s.runs) {
        if (Math.abs(run.length - c.length) <= 1 && withinOneEdit(run, c)) return REF_RANK.fuzzy;
      }
    }
    if (s.cutPrefix && c.startsWith(s.cutPrefix) && c !== s.cutPrefix) return REF_RANK.truncated;
  }
  return 0;
}

function mayBeTypo(shape: number, s: TxSignals): boolean {
  if (shape === 0) return false;
  for (const r of s.runShapes) if (shapesMayBeOneEdit(shape, r)) return true;
  return false;
}

function refReason(level: RefLevel, info: DocInfo): string {
  const n = info.doc.number ?? info.doc.paymentReference ?? info.doc.id;
  switch (level) {
    case "rf":
      return `structured creditor reference ${info.doc.paymentReference ?? ""} in remittance`.replace(
        "  ",
        " ",
      );
    case "full":
    case "long":
    case "medium":
      return `invoice number ${n} in remittance`;
    case "weak":
      return `part of invoice number ${n} in remittance`;
    case "fuzzy":
      return `invoice number ${n} in remittance with one typo`;
    case "truncated":
      return `start of invoice number ${n} where the remittance is cut off`;
  }
}

function partyReason(party: PartyFeature, who: string): string | undefined {
  if (party === "iban") return `payer IBAN belongs to ${who}`;
  if (party === "name" || party === "namepart") return `payer name matches ${who}`;
  if (party === "other") return `paid by another party than ${who}`;
  return undefined;
}

/** What the reasons of a one-document option are written from (only for the options suggested). */
interface SingleWhy {
  kind: "single";
  ref: RefLevel | undefined;
  cust: boolean;
  party: PartyFeature;
  rel: AmountRelation;
  reversed: boolean;
}

/** The same for a set of documents; `referenced` flags the documents whose number was read. */
interface MultiWhy {
  kind: "multi";
  set: "all" | "some" | "none" | "subset";
  filled: number;
  /** The documents in the order they were found (reasons list numbers in that order). */
  found: number[];
  referenced: boolean[];
  party: PartyFeature;
  rel: AmountRelation;
}

function singleOption(
  tx: Transaction,
  docIdx: number,
  s: TxSignals,
  ctx: Context,
  refRank: number,
  rel: AmountRelation,
): Option {
  const { index } = ctx;
  const contact = index.partyOf[docIdx]!;
  const cust = s.customerParties.includes(contact);
  const party = partyFeature(tx, contact, s, index);
  const reversed = ((index.flagsOf[docIdx]! & FLAG_OUTGOING) !== 0) !== tx.amount < 0;
  const features = [
    "bias.single",
    feature("amt", rel.kind),
    feature("party", party),
    dateFeature(tx, docIdx, index),
  ];
  if (refRank > 0) features.push(REF_FEATURE[refRank]!);
  if (cust) features.push("cust");
  if (reversed) features.push("reversed");
  const option: Option = {
    docs: [docIdx],
    features,
    logit: logitOf(features, ctx.weights),
    diff: rel.diff,
    partial: rel.kind === "partial",
    why: { kind: "single", ref: LEVEL_OF_RANK[refRank], cust, party, rel, reversed },
  };
  const why = diffReasonOf(rel.kind);
  if (why) option.diffReason = why;
  return option;
}

/** Reasons in words for an option that became a suggestion. */
function explain(o: Option, tx: Transaction, index: MatchIndex): string[] {
  const reasons: string[] = [];
  const why = o.why;
  if (why.kind === "single") {
    const info = index.docs[o.docs[0]!]!;
    const doc = info.doc;
    const contact = index.parties[info.party]!;
    if (why.ref) reasons.push(refReason(why.ref, info));
    if (why.cust) reasons.push(`customer number ${contact.customerNumber ?? ""} in remittance`);
    reasons.push(amountReason(why.rel, tx.currency, false));
    const pr = partyReason(why.party, contact.name || "the contact");
    if (pr) reasons.push(pr);
    const delta = tx.day - doc.issueDay;
    const what = doc.kind.replace("_", " ");
    if (doc.kind === "receipt") reasons.push(`card payment ${delta} day(s) after the receipt date`);
    else if (delta >= 0) reasons.push(`paid ${delta} day(s) after the ${what} date`);
    else reasons.push(`paid ${-delta} day(s) before the ${what} date`);
    if (why.reversed) {
      reasons.push(
        info.outgoing
          ? "money flows in: refund or credit note from the supplier"
          : "money flows out: refund or credit note to the customer",
      );
    }
    return reasons;
  }
  const infos = why.found.map((d) => index.docs[d]!);
  const numbers = (list: DocInfo[]) => list.map((i) => i.doc.number ?? i.doc.id).join(", ");
  const referenced = infos.filter((_, k) => why.referenced[k]);
  if (referenced.length > 0) reasons.push(`invoice numbers ${numbers(referenced)} in remittance`);
  if (why.filled > 0) {
    reasons.push(
      `${numbers(infos.filter((_, k) => !why.referenced[k]))} of the same contact complete the amount`,
    );
  }
  if (why.set === "none")
    reasons.push(`${infos.length} open documents of the same contact add up to the amount`);
  reasons.push(amountReason(why.rel, tx.currency, true));
  const pr = partyReason(why.party, index.parties[infos[0]!.party]!.name || "the contact");
  if (pr) reasons.push(pr);
  return reasons;
}

/** Discounted amount of document `d` if paid on `day` within its Skonto terms, else its open amount. */
function settleAmount(index: MatchIndex, d: number, day: number): number {
  if (index.discountBpOf[d]! >= 0 && day <= index.discountUntilOf[d]! + DISCOUNT_GRACE_DAYS)
    return index.discountedOf[d]!;
  return index.amountOf[d]!;
}

function multiOption(
  tx: Transaction,
  paid: number,
  docs: number[],
  set: "all" | "some" | "none" | "subset",
  filled: number,
  s: TxSignals,
  ctx: Context,
): Option | undefined {
  const { index } = ctx;
  let open = 0;
  for (const d of docs) open += index.amountOf[d]!;
  let rel: AmountRelation;
  if (open === paid) rel = { kind: "exact", diff: 0 };
  else {
    let settle = 0;
    for (const d of docs) settle += settleAmount(index, d, tx.day);
    if (settle === paid) rel = { kind: "discount_terms", diff: paid - open };
    else {
      rel = { kind: "mismatch", diff: paid - open };
      for (const bp of [200, 300]) {
        let disc = 0;
        for (const d of docs) disc += index.amountOf[d]! - discountAmount(index.amountOf[d]!, bp);
        if (Math.abs(disc - paid) <= docs.length)
          rel = { kind: "discount_unauth", diff: paid - open, basisPoints: bp };
      }
      if (rel.kind === "mismatch" && paid < open && open - paid <= MAX_FEE_MINOR)
        rel = { kind: "fee", diff: paid - open };
    }
  }
  if (rel.kind === "mismatch") return undefined;
  const features = [
    "bias.multi",
    feature("mref", set),
    feature("msize", Math.min(docs.length, 5)),
    feature("amt", rel.kind),
  ];
  if (filled > 0) features.push(feature("mfill", Math.min(filled, 4)));
  // The party signal of the set is the strongest one among its documents.
  let party: PartyFeature = "none";
  for (const d of docs) {
    const p = partyFeature(tx, index.partyOf[d]!, s, index);
    if (PARTY_ORDER.indexOf(p) < PARTY_ORDER.indexOf(party)) party = p;
  }
  features.push(feature("party", party));
  if (docs.some((d) => s.customerParties.includes(index.partyOf[d]!))) features.push("cust");
  const option: Option = {
    docs: [...docs].sort((a, b) => a - b),
    features,
    logit: logitOf(features, ctx.weights),
    diff: rel.diff,
    partial: false,
    why: {
      kind: "multi",
      set,
      filled,
      found: docs,
      referenced: docs.map((d) => refRankOf(ctx.scratch, d) > 0),
      party,
      rel,
    },
  };
  const why = diffReasonOf(rel.kind);
  if (why) option.diffReason = why;
  return option;
}

/** First position in list `l` of `sorted` whose key is ≥ `value` (an absolute position in `sorted.docs`). */
function lowerBound(sorted: SortedLists, l: number, value: number): number {
  let lo = sorted.start[l]!;
  let hi = sorted.start[l + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted.keys[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** All options for one transaction, best first. */
export function optionsFor(tx: Transaction, ctx: Context): Option[] {
  const { index, scratch } = ctx;
  const paid = Math.abs(tx.amount);
  const outgoing = tx.amount < 0;
  const currency = index.currencies.get(tx.currency) ?? -1;
  const s = collectSignals(tx, ctx);
  const line = scratch.line;

  const candidates: number[] = [];
  const candidate = (d: number): void => {
    if (scratch.candStamp[d] === line) return;
    scratch.candStamp[d] = line;
    candidates.push(d);
  };
  for (const d of s.refDocs) candidate(d);
  const parties: number[] = [];
  const party = (p: number): void => {
    if (scratch.partyStamp[p] === line) return;
    scratch.partyStamp[p] = line;
    parties.push(p);
  };
  for (const p of s.ibanParties) party(p);
  for (const p of s.customerParties) party(p);
  // A known IBAN names the payer; names then only add contacts under the same name. Without one, the
  // best name matches count, and half matches ("MUELLER BAU" for "Mueller Technik") only if nothing better.
  if (s.ibanParties.length > 0) for (const p of s.sameName) party(p);
  else {
    let bestSim = 0;
    for (const sim of s.nameSim.values()) bestSim = Math.max(bestSim, sim);
    const minSim = bestSim >= 0.8 ? 0.8 : 0.5;
    for (const [p, sim] of s.nameSim) if (sim >= minSim) party(p);
  }
  // A contact's documents whose open amount the payment could settle (exactly, less Skonto or a fee,
  // or a small overpayment): a range in the contact's amount-sorted list, found by binary search.
  const side = outgoing ? LIST_OUT : LIST_IN;
  // Without a reference only an exact amount, Skonto (up to 5 %) or a fee (≤ 35.00 and ≤ 10 %) can
  // tie a payment to a contact's document; overpayments and partial payments need the number. A narrow
  // range keeps this cheap for contacts with hundreds of invoices; receipts only count at their exact
  // amount (a supermarket's hundreds of receipts are never scanned as a range).
  const lowest = paid;
  const highest = Math.max(
    Math.min(paid + MAX_FEE_MINOR, Math.ceil((paid * 10_000) / 9_000)),
    Math.ceil((paid * 10_000) / 9_500),
  );
  const { byAmount, byIssue } = index;
  for (const p of parties) {
    const l = p * byAmount.lists + side;
    const end = byAmount.start[l + 1]!;
    for (let k = lowerBound(byAmount, l, lowest); k < end && byAmount.keys[k]! <= highest; k++) {
      candidate(byAmount.docs[k]!);
    }
    if (outgoing) {
      const r = p * byAmount.lists + LIST_RECEIPTS;
      const rEnd = byAmount.start[r + 1]!;
      for (let k = lowerBound(byAmount, r, paid); k < rEnd && byAmount.keys[k]! === paid; k++) {
        candidate(byAmount.docs[k]!);
      }
    }
  }
  /** The contact's documents issued nearest before the payment, for the subset search (built on demand). */
  let pool: number[] | undefined;
  const partyPool = (): number[] => {
    if (pool) return pool;
    pool = [];
    for (const p of parties) {
      const l = p * byIssue.lists + side;
      const first = byIssue.start[l]!;
      // Last document issued no later than 3 days after the payment, then walk back in time.
      let k = lowerBound(byIssue, l, tx.day + 4) - 1;
      for (let taken = 0; k >= first && taken < MAX_PARTY_DOCS; k--, taken++) {
        const d = byIssue.docs[k]!;
        if (index.currencyOf[d] === currency) pool.push(d);
      }
    }
    return pool;
  };

  const options: Option[] = [];
  let exactSingle = false;
  const consider = (d: number, requireEvidence: boolean): void => {
    if (scratch.consideredStamp[d] === line) return;
    scratch.consideredStamp[d] = line;
    const ref = refRankFor(s, d, ctx);
    if (requireEvidence && ref === 0) return;
    if (index.currencyOf[d] !== currency) return;
    const flags = index.flagsOf[d]!;
    const reversed = ((flags & FLAG_OUTGOING) !== 0) !== outgoing;
    if (reversed && ref < REF_RANK.medium) return;
    const rel = relateAmount(
      paid,
      index.amountOf[d]!,
      index.discountBpOf[d]!,
      index.discountUntilOf[d]!,
      tx.day,
    );
    // Without a reference, a contact's document the amount does not fit is no candidate (a partial
    // payment without any reference is not something to suggest); skipping it keeps big contacts cheap.
    if (ref === 0 && (rel.kind === "partial" || rel.kind === "mismatch" || rel.kind === "overpayment"))
      return;
    // Card payments are charged exactly; a receipt of another amount is not the one.
    if (ref === 0 && (flags & FLAG_RECEIPT) !== 0 && rel.kind !== "exact") return;
    if (rel.kind === "exact") exactSingle = true;
    options.push(singleOption(tx, d, s, ctx, ref, rel));
  };
  for (const d of candidates) consider(d, false);
  // Documents found by amount alone need a typo'd or cut-off number to count: an amount alone says
  // nothing when hundreds of documents share it, so look only when there is such a number.
  if (s.runs.length > 0 || s.cutPrefix !== undefined) {
    const withAmount = (keys: KeyIndex<number>, amount: number): void => {
      const slot = keys.find(amount);
      if (slot < 0 || keys.count(slot) > MAX_AMOUNT_BUCKET) return;
      const start = keys.start(slot);
      for (let k = start; k < start + keys.count(slot); k++) consider(keys.values[k]!, true);
    };
    withAmount(index.byOpenAmount, paid);
    withAmount(index.byDiscounted, paid);
    for (const open of undiscountedCandidates(paid)) withAmount(index.byOpenAmount, open);
  }

  // One payment for several documents.
  let referenced = s.refDocs.filter(
    (d) =>
      refRankOf(scratch, d) >= REF_RANK.medium &&
      ((index.flagsOf[d]! & FLAG_OUTGOING) !== 0) === outgoing &&
      index.currencyOf[d] === currency,
  );
  // Numbers of the payer's own documents explain the payment; stray hits in other contacts' series don't.
  const payers = referenced.filter((d) => scratch.partyStamp[index.partyOf[d]!] === line);
  if (payers.length > 0 && payers.length < referenced.length) referenced = payers;
  const seen = new Set<string>();
  const addMulti = (docs: number[], set: "all" | "some" | "none" | "subset", filled: number) => {
    if (docs.length < 2) return;
    const key = [...docs].sort((a, b) => a - b).join(",");
    if (seen.has(key)) return;
    seen.add(key);
    const o = multiOption(tx, paid, docs, set, filled, s, ctx);
    if (o) options.push(o);
  };
  if (referenced.length >= 2) addMulti(referenced, "all", 0);
  if (referenced.length >= 1) {
    let sumRef = 0;
    for (const d of referenced) sumRef += index.amountOf[d]!;
    if (sumRef < paid) {
      // Fill from the same contact's other open documents, nearest in date to the referenced ones first.
      let lastIssue = Number.NEGATIVE_INFINITY;
      for (const d of referenced) lastIssue = Math.max(lastIssue, index.issueDayOf[d]!);
      const pool = partyPool()
        .filter((d) => !referenced.includes(d))
        .map((d) => ({
          d,
          t: refRankFor(s, d, ctx) === REF_RANK.truncated ? 0 : 1,
          gap: Math.abs(index.issueDayOf[d]! - lastIssue),
        }))
        .sort((x, y) => x.t - y.t || x.gap - y.gap || x.d - y.d)
        .slice(0, MAX_SUBSET_POOL)
        .map((x) => x.d);
      const all = [...referenced, ...pool];
      const items: SubsetItem[] = all.map((d) => ({ amount: index.amountOf[d]! }));
      const required = referenced.map((_, k) => k);
      for (const sol of findSubsets(paid, items, required, 4)) {
        addMulti(
          sol.map((k) => all[k]!),
          "some",
          sol.length - referenced.length,
        );
      }
      const discounted: SubsetItem[] = all.map((d) => ({ amount: settleAmount(index, d, tx.day) }));
      for (const sol of findSubsets(paid, discounted, required, 4)) {
        addMulti(
          sol.map((k) => all[k]!),
          "some",
          sol.length - referenced.length,
        );
      }
    } else if (sumRef > paid && referenced.length >= 3) {
      const items = referenced.map((d) => ({ amount: index.amountOf[d]! }));
      for (const sol of findSubsets(paid, items, [], Math.min(referenced.length - 1, 6))) {
        addMulti(
          sol.map((k) => referenced[k]!),
          "subset",
          0,
        );
      }
    }
  } else if (parties.length > 0 && !exactSingle) {
    const pool = partyPool()
      .slice()
      .sort((a, b) => index.issueDayOf[b]! - index.issueDayOf[a]! || a - b)
      .slice(0, MAX_SUBSET_POOL);
    for (const amounts of [
      pool.map((d) => ({ amount: index.amountOf[d]! })),
      pool.map((d) => ({ amount: settleAmount(index, d, tx.day) })),
    ]) {
      for (const sol of findSubsets(paid, amounts, [], 4, 20_000, 3)) {
        addMulti(
          sol.map((k) => pool[k]!),
          "none",
          0,
        );
      }
    }
  }
  // Best first; equal logits keep discovery order, which follows the input (the sort is stable).
  // Options this weak change no score by more than e^MIN_LOGIT each, and keeping them would make every
  // document of a big contact (a supermarket's receipts) a competitor of every line of that contact.
  const kept = options.filter((o) => o.logit >= MIN_LOGIT).sort((a, b) => b.logit - a.logit);
  if (kept.length > MAX_OPTIONS) kept.length = MAX_OPTIONS;
  return kept;
}

/**
 * Max-heap of (score, transaction, version) in parallel arrays; ties pop the earlier transaction first,
 * so allocation order is deterministic. A stale entry (older version) is skipped when popped.
 */
class AllocationHeap {
  private readonly score: number[] = [];
  private readonly tx: number[] = [];
  private readonly version: number[] = [];

  get size(): number {
    return this.tx.length;
  }

  private before(i: number, j: number): boolean {
    const a = this.score[i]!;
    const b = this.score[j]!;
    return a > b || (a === b && this.tx[i]! < this.tx[j]!);
  }

  private swap(i: number, j: number): void {
    const s = this.score[i]!;
    this.score[i] = this.score[j]!;
    this.score[j] = s;
    const t = this.tx[i]!;
    this.tx[i] = this.tx[j]!;
    this.tx[j] = t;
    const v = this.version[i]!;
    this.version[i] = this.version[j]!;
    this.version[j] = v;
  }

  push(score: number, tx: number, version: number): void {
    this.score.push(score);
    this.tx.push(tx);
    this.version.push(version);
    let i = this.tx.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top entry; its fields are left in `top`. */
  pop(top: { score: number; tx: number; version: number }): boolean {
    const n = this.tx.length;
    if (n === 0) return false;
    top.score = this.score[0]!;
    top.tx = this.tx[0]!;
    top.version = this.version[0]!;
    this.swap(0, n - 1);
    this.score.pop();
    this.tx.pop();
    this.version.pop();
    const size = n - 1;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && this.before(l, m)) m = l;
      if (r < size && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return true;
  }
}

function scoreOf(options: readonly Option[]): number {
  const best = options[0];
  if (!best) return 0;
  return confidence(
    best.logit,
    options.map((o) => o.logit),
  );
}

export interface EngineResult {
  suggestions: Suggestion[];
}

/** A fresh context for one run over `documents`. */
export function createContext(documents: Dataset["documents"], weights: Weights = WEIGHTS): Context {
  const index = buildIndex(documents);
  return { index, weights, names: new Map(), scratch: newScratch(index) };
}

/** Suggestions for a parsed dataset. */
export function suggestParsed(dataset: Dataset, opts: SuggestOptions = {}): EngineResult {
  const ctx = createContext(dataset.documents, opts.weights);
  const threshold = opts.threshold ?? SUGGEST_THRESHOLD;
  const { index } = ctx;
  const txs = dataset.transactions;
  const nDocs = index.docs.length;

  const optionsOf: Option[][] = new Array(txs.length);
  const scores = new Float64Array(txs.length);
  const versions = new Int32Array(txs.length);
  const heap = new AllocationHeap();
  // Lines are read payer by payer: a payer's contacts and documents then stay in cache across its lines
  // (a line's options do not depend on the order lines are read in; allocation below uses input order).
  const payerOf = txs.map((tx) => compactIban(tx.counterpartyIban) ?? tx.counterpartyName ?? "");
  const order = txs
    .map((_, t) => t)
    .sort((a, b) => (payerOf[a]! < payerOf[b]! ? -1 : payerOf[a]! > payerOf[b]! ? 1 : a - b));
  for (const t of order) {
    const options = optionsFor(txs[t]!, ctx);
    optionsOf[t] = options;
    scores[t] = scoreOf(options);
    if (options.length > 0) heap.push(scores[t]!, t, 0);
  }
  // Transactions that have each document among their options, as one flat list per document (CSR).
  const lastTx = new Int32Array(nDocs).fill(-1);
  const start = new Int32Array(nDocs + 1);
  optionsOf.forEach((options, t) => {
    for (const o of options) {
      for (const d of o.docs) {
        if (lastTx[d] === t) continue;
        lastTx[d] = t;
        start[d + 1]!++;
      }
    }
  });
  for (let d = 0; d < nDocs; d++) start[d + 1]! += start[d]!;
  const byDoc = new Int32Array(start[nDocs]!);
  const fillAt = start.slice(0, nDocs);
  lastTx.fill(-1);
  optionsOf.forEach((options, t) => {
    for (const o of options) {
      for (const d of o.docs) {
        if (lastTx[d] === t) continue;
        lastTx[d] = t;
        byDoc[fillAt[d]!++] = t;
      }
    }
  });

  // Remaining open amount per document; NaN while untouched.
  const remaining = new Float64Array(nDocs).fill(Number.NaN);
  const openOf = (d: number): number => {
    const r = remaining[d]!;
    return Number.isNaN(r) ? index.amountOf[d]! : r;
  };
  interface Chosen {
    option: Option;
    score: number;
    amounts: number[];
    diff: number;
  }
  const chosen: (Chosen | undefined)[] = new Array(txs.length);
  // A partial payment may go to a document while enough of it is open; anything else needs untouched ones.
  const fitsAny = (o: Option, paid: number): boolean => {
    if (o.partial) return openOf(o.docs[0]!) >= paid;
    for (const d of o.docs) if (!Number.isNaN(remaining[d]!)) return false;
    return true;
  };

  const item = { score: 0, tx: 0, version: 0 };
  while (heap.pop(item)) {
    const t = item.tx;
    if (item.version !== versions[t] || chosen[t]) continue;
    if (item.score < threshold) break;
    const tx = txs[t]!;
    const paid = Math.abs(tx.amount);
    const best = optionsOf[t]![0]!;
    if (!fitsAny(best, paid)) {
      const kept = optionsOf[t]!.filter((o) => fitsAny(o, paid));
      optionsOf[t] = kept;
      scores[t] = scoreOf(kept);
      versions[t]!++;
      if (kept.length > 0) heap.push(scores[t]!, t, versions[t]!);
      continue;
    }
    const amounts = best.docs.map(openOf);
    let allocated = 0;
    for (const a of amounts) allocated += a;
    chosen[t] = { option: best, score: item.score, amounts, diff: paid - allocated };
    const touched = new Set<number>();
    for (const [k, d] of best.docs.entries()) {
      remaining[d] = best.partial ? amounts[k]! - paid : 0;
      for (let i = start[d]!; i < start[d + 1]!; i++) {
        const other = byDoc[i]!;
        if (other !== t && !chosen[other]) touched.add(other);
      }
    }
    // Competitors for the documents just taken drop out of other transactions' options.
    for (const other of [...touched].sort((a, b) => a - b)) {
      const options = optionsOf[other]!;
      const otherPaid = Math.abs(txs[other]!.amount);
      const kept = options.filter((o) => fitsAny(o, otherPaid));
      if (kept.length === options.length) continue;
      optionsOf[other] = kept;
      scores[other] = scoreOf(kept);
      versions[other]!++;
      // Below the threshold it is never taken; it can only rise again through another removal.
      if (kept.length > 0 && scores[other]! >= threshold) heap.push(scores[other]!, other, versions[other]!);
    }
  }

  const suggestions: Suggestion[] = [];
  txs.forEach((tx, t) => {
    const c = chosen[t];
    if (!c) return;
    const o = c.option;
    // Allocations settle the documents' open amounts; the signed difference explains the rest, so
    // Σ allocations + difference = |transaction amount| always holds.
    const difference =
      c.diff === 0
        ? undefined
        : {
            amount: formatAmount(c.diff, tx.currency),
            reason: o.diffReason ?? (c.diff > 0 ? ("overpayment" as const) : ("partial_payment" as const)),
          };
    suggestions.push({
      transactionId: tx.id,
      score: Math.round(c.score * 1000) / 1000,
      allocations: o.docs.map((d, k) => ({
        documentId: index.docs[d]!.doc.id,
        amount: formatAmount(c.amounts[k]!, tx.currency),
      })),
      ...(difference ? { difference } : {}),
      reasons: explain(o, tx, index),
    });
  });
  return { suggestions };
}

/** Suggestions for a matching dataset as read from JSON; throws MatchingInputError on bad input. */
export function suggest(input: unknown, opts: SuggestOptions = {}): EngineResult {
  return suggestParsed(parseDataset(input), opts);
}
