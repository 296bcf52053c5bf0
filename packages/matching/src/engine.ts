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
  relate,
  type SubsetItem,
  undiscountedCandidates,
} from "./amounts.ts";
import { buildIndex, type DocInfo, type MatchIndex, namePair } from "./candidates.ts";
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
const REF_RANK: Record<RefLevel, number> = {
  rf: 7,
  full: 6,
  long: 5,
  medium: 4,
  fuzzy: 3,
  truncated: 2,
  weak: 1,
};

/** One way to explain a transaction: the documents it pays and the signals for it. */
export interface Option {
  docs: number[];
  features: string[];
  logit: number;
  explain: () => string[];
  diff: number;
  diffReason?: DifferenceReason;
  /** Leaves the document partly open: other partial payments may still be allocated to it. */
  partial: boolean;
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
  /** Per-run cache: payer name → similar contacts. */
  names: Map<string, NameMatches>;
}

/** Contacts whose name resembles a payer's: similarity per contact, and those under the same name. */
interface NameMatches {
  sim: ReadonlyMap<number, number>;
  /** Same significant tokens both ways (not merely contained: MUELLER BAU is not Bau Müller Kiel). */
  same: ReadonlySet<number>;
}

function windowLevel(w: Window, via: "full" | "digits"): RefLevel {
  if (w.atCut || w.embedded) return "weak";
  if (via === "full") return w.digitCount >= 3 ? "full" : "medium";
  if (w.digitCount >= 6) return "long";
  if (w.digitCount >= 4) return "medium";
  return "weak";
}

/**
 * Feature names are interned once: building "amt.exact" afresh for every candidate and hashing it in the
 * weight table cost a third of the run time at 100k lines.
 */
const featureCache = new Map<string, string>();
function feature(group: string, value: string | number): string {
  const key = `${group}.${value}`;
  let f = featureCache.get(key);
  if (f === undefined) {
    f = key;
    featureCache.set(key, f);
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
  refHits: Map<number, RefLevel>;
  customerParties: Set<number>;
  ibanParties: Set<number>;
  nameSim: ReadonlyMap<number, number>;
  sameName: ReadonlySet<number>;
  runs: string[];
  consumed: Set<string>;
  /** Glued digits of a number cut off at the end of a 140-character remittance. */
  cutPrefix?: string;
}

const NO_NAME: NameMatches = { sim: new Map(), same: new Set() };

/**
 * Contacts whose name resembles the payer's, with the similarity. Bank lines repeat payer names, so the
 * result is cached per name for the run.
 */
function namesFor(name: string, ctx: Context): NameMatches {
  const cached = ctx.names.get(name);
  if (cached) return cached;
  const index = ctx.index;
  const nameSim = new Map<number, number>();
  const sameNames = new Set<number>();
  const tokens = nameTokens(name).slice(0, 6);
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
  return matches;
}

export function collectSignals(tx: Transaction, ctx: Context): TxSignals {
  const index = ctx.index;
  const raw = tx.remittanceInformation ?? "";
  const rem = normalizeRemittance(raw);
  const e2e = tx.endToEndId ? normalizeRemittance(tx.endToEndId) : "";
  const cut = raw.length >= REMITTANCE_LIMIT - 5;
  const refHits = new Map<number, RefLevel>();
  const consumed = new Set<string>();
  const customerParties = new Set<number>();
  // Rival readings of the same digits: "RE 2026-02154" is RE-2026-2154 of one series or 2026-02154 of
  // another. The reading that keeps the digits as written (leading zeros included), then the one that
  // also matches the letter prefix, wins; the others count as weak hits.
  interface Hit {
    doc: number;
    level: RefLevel;
    span: string;
    fit: number;
    concat?: string;
  }
  const hits: Hit[] = [];
  const spanFit = new Map<string, number>();
  const hit = (docs: number[] | undefined, level: RefLevel, w: Window, prefixed: boolean): boolean => {
    if (!docs || docs.length > MAX_KEY_BUCKET) return false;
    for (const d of docs) {
      const raw = index.docs[d]!.keys.some((k) => k.raw === w.raw);
      const fit = (raw ? 2 : 0) + (prefixed ? 1 : 0);
      const h: Hit = { doc: d, level, span: w.span, fit };
      if (w.concat) h.concat = w.concat;
      hits.push(h);
      if (fit > (spanFit.get(w.span) ?? -1)) spanFit.set(w.span, fit);
    }
    return true;
  };
  let cutPrefix: string | undefined;
  for (const [text, isCut] of [
    [rem, cut],
    [e2e, false],
  ] as const) {
    if (text === "") continue;
    for (const w of windowsOf(text, isCut)) {
      // One or two digits say too little to be worth a lookup, with a prefix or without.
      if (w.digitCount < 2) continue;
      if (w.full) hit(index.byFull.get(w.full), windowLevel(w, "full"), w, true);
      if (w.sig !== undefined && w.digitCount >= 3) {
        const level = windowLevel(w, "digits");
        hit(index.bySig.get(w.sig), level, w, false);
        if (w.concat !== undefined) {
          hit(index.byConcat.get(w.concat), level, w, false);
          if (w.concat !== w.sig) hit(index.bySig.get(w.concat), level, w, false);
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
        const byFull = w.full ? index.byCustomerFull.get(w.full) : undefined;
        const bySig =
          w.sig !== undefined && w.digitCount >= 4 && !w.embedded
            ? index.byCustomerSig.get(w.sig)
            : undefined;
        for (const list of [byFull, bySig]) {
          if (list && list.length <= 3) for (const p of list) customerParties.add(p);
        }
      }
    }
    for (const rf of extractRfs(text)) {
      for (const d of index.byReference.get(rf) ?? [])
        hits.push({ doc: d, level: "rf", span: `rf:${rf}`, fit: 0 });
    }
  }

  for (const h of hits) {
    const level = h.fit < spanFit.get(h.span)! ? "weak" : h.level;
    const prev = refHits.get(h.doc);
    if (!prev || REF_RANK[level] > REF_RANK[prev]) refHits.set(h.doc, level);
    if (h.concat && level !== "weak") consumed.add(h.concat);
  }

  const ibanParties = new Set<number>();
  const iban = compactIban(tx.counterpartyIban);
  if (iban) for (const p of index.byIban.get(iban) ?? []) ibanParties.add(p);

  const names = tx.counterpartyName ? namesFor(tx.counterpartyName, ctx) : NO_NAME;
  const signals: TxSignals = {
    refHits,
    customerParties,
    ibanParties,
    nameSim: names.sim,
    sameName: names.same,
    runs: digitRuns(`${rem} ${e2e}`),
    consumed,
  };
  if (cutPrefix) signals.cutPrefix = cutPrefix;
  // Typo candidates: digit runs long enough to carry a number that matched nothing exactly.
  signals.runs = signals.runs.filter((run) => run.length >= 5 && !consumed.has(run));
  return signals;
}

function partyFeature(tx: Transaction, info: DocInfo, s: TxSignals, index: MatchIndex): string {
  if (s.ibanParties.has(info.party)) return "iban";
  const sim = s.nameSim.get(info.party) ?? 0;
  if (sim >= 0.8) return "name";
  if (sim >= 0.5) return "namepart";
  if ((tx.counterpartyName || tx.counterpartyIban) && index.parties[info.party]!.names.length > 0)
    return "other";
  return "none";
}

function dateFeature(tx: Transaction, info: DocInfo): string {
  const delta = tx.day - info.doc.issueDay;
  if (info.doc.kind === "receipt") {
    if (delta >= -1 && delta <= 4) return "close";
    if (delta >= -3 && delta <= 14) return "near";
    return "far";
  }
  if (delta < -7) return "early";
  if (delta < 0) return "slightlyearly";
  if (delta <= 120) return "normal";
  if (delta <= 365) return "late";
  return "verylate";
}

function refFeature(info: DocInfo, s: TxSignals, docIdx: number): RefLevel | undefined {
  const level = s.refHits.get(docIdx);
  if (level) return level;
  if (s.runs.length === 0 && s.cutPrefix === undefined) return undefined;
  for (const c of info.concats) {
    for (const run of s.runs) {
      if (Math.abs(run.length - c.length) <= 1 && withinOneEdit(run, c)) {
        return "fuzzy";
      }
    }
    if (s.cutPrefix && c.startsWith(s.cutPrefix) && c !== s.cutPrefix) return "truncated";
  }
  return undefined;
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

function partyReason(party: string, who: string): string | undefined {
  if (party === "iban") return `payer IBAN belongs to ${who}`;
  if (party === "name" || party === "namepart") return `payer name matches ${who}`;
  if (party === "other") return `paid by another party than ${who}`;
  return undefined;
}

function singleOption(
  tx: Transaction,
  _paid: number,
  docIdx: number,
  s: TxSignals,
  ctx: Context,
  ref: RefLevel | undefined,
  rel: AmountRelation,
): Option {
  const info = ctx.index.docs[docIdx]!;
  const doc = info.doc;
  const cust = s.customerParties.has(info.party);
  const party = partyFeature(tx, info, s, ctx.index);
  const date = dateFeature(tx, info);
  const reversed = info.outgoing !== tx.amount < 0;
  const features = ["bias.single", feature("amt", rel.kind), feature("party", party), feature("date", date)];
  if (ref) features.push(feature("ref", ref));
  if (cust) features.push("cust");
  if (reversed) features.push("reversed");
  // Reasons are only written for the suggestions that are made (most options are never shown).
  const explain = (): string[] => {
    const reasons: string[] = [];
    const contact = ctx.index.parties[info.party]!;
    if (ref) reasons.push(refReason(ref, info));
    if (cust) reasons.push(`customer number ${contact.customerNumber ?? ""} in remittance`);
    reasons.push(amountReason(rel, tx.currency, false));
    const pr = partyReason(party, contact.name || "the contact");
    if (pr) reasons.push(pr);
    const delta = tx.day - doc.issueDay;
    const what = doc.kind.replace("_", " ");
    if (doc.kind === "receipt") reasons.push(`card payment ${delta} day(s) after the receipt date`);
    else if (delta >= 0) reasons.push(`paid ${delta} day(s) after the ${what} date`);
    else reasons.push(`paid ${-delta} day(s) before the ${what} date`);
    if (reversed) {
      reasons.push(
        info.outgoing
          ? "money flows in: refund or credit note from the supplier"
          : "money flows out: refund or credit note to the customer",
      );
    }
    return reasons;
  };
  const option: Option = {
    docs: [docIdx],
    features,
    logit: logitOf(features, ctx.weights),
    explain,
    diff: rel.diff,
    partial: rel.kind === "partial",
  };
  const why = diffReasonOf(rel.kind);
  if (why) option.diffReason = why;
  return option;
}

/** Discounted amount of a document if paid on `day` within its Skonto terms, else its open amount. */
function settleAmount(info: DocInfo, day: number): number {
  const cd = info.doc.cashDiscount;
  if (cd && info.discounted !== undefined && day <= cd.untilDay + DISCOUNT_GRACE_DAYS) return info.discounted;
  return info.doc.openAmount;
}

function multiOption(
  tx: Transaction,
  paid: number,
  docs: number[],
  kind: "all" | "some" | "none" | "subset",
  filled: number,
  s: TxSignals,
  ctx: Context,
): Option | undefined {
  const infos = docs.map((d) => ctx.index.docs[d]!);
  let open = 0;
  for (const i of infos) open += i.doc.openAmount;
  let rel: AmountRelation;
  if (open === paid) rel = { kind: "exact", diff: 0 };
  else {
    let settle = 0;
    for (const i of infos) settle += settleAmount(i, tx.day);
    if (settle === paid) rel = { kind: "discount_terms", diff: paid - open };
    else {
      rel = { kind: "mismatch", diff: paid - open };
      for (const bp of [200, 300]) {
        let disc = 0;
        for (const i of infos) disc += i.doc.openAmount - discountAmount(i.doc.openAmount, bp);
        if (Math.abs(disc - paid) <= infos.length)
          rel = { kind: "discount_unauth", diff: paid - open, basisPoints: bp };
      }
      if (rel.kind === "mismatch" && paid < open && open - paid <= MAX_FEE_MINOR)
        rel = { kind: "fee", diff: paid - open };
    }
  }
  if (rel.kind === "mismatch") return undefined;
  const features = [
    "bias.multi",
    feature("mref", kind),
    feature("msize", Math.min(docs.length, 5)),
    feature("amt", rel.kind),
  ];
  if (filled > 0) features.push(feature("mfill", Math.min(filled, 4)));
  // The party signal of the set is the strongest one among its documents.
  const order = ["iban", "name", "namepart", "other", "none"];
  const party =
    infos
      .map((i) => partyFeature(tx, i, s, ctx.index))
      .sort((a, b) => order.indexOf(a) - order.indexOf(b))[0] ?? "none";
  features.push(feature("party", party));
  if (infos.some((i) => s.customerParties.has(i.party))) features.push("cust");
  const explain = (): string[] => {
    const reasons: string[] = [];
    const referenced = infos.filter((_, k) => s.refHits.has(docs[k]!));
    const numbers = (list: DocInfo[]) => list.map((i) => i.doc.number ?? i.doc.id).join(", ");
    if (referenced.length > 0) reasons.push(`invoice numbers ${numbers(referenced)} in remittance`);
    if (filled > 0) {
      reasons.push(
        `${numbers(infos.filter((_, k) => !s.refHits.has(docs[k]!)))} of the same contact complete the amount`,
      );
    }
    if (kind === "none")
      reasons.push(`${docs.length} open documents of the same contact add up to the amount`);
    reasons.push(amountReason(rel, tx.currency, true));
    const pr = partyReason(party, ctx.index.parties[infos[0]!.party]!.name || "the contact");
    if (pr) reasons.push(pr);
    return reasons;
  };
  const option: Option = {
    docs: [...docs].sort((a, b) => a - b),
    features,
    logit: logitOf(features, ctx.weights),
    explain,
    diff: rel.diff,
    partial: false,
  };
  const why = diffReasonOf(rel.kind);
  if (why) option.diffReason = why;
  return option;
}

/** First position in `list` (sorted by open amount) whose amount is ≥ `amount`. */
function lowerBound(list: readonly number[], amount: number, index: MatchIndex): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.amountOf[list[mid]!]! < amount) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First position in `list` (sorted by issue day) issued after `day`. */
function upperBoundDay(list: readonly number[], day: number, index: MatchIndex): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.docs[list[mid]!]!.doc.issueDay <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** All options for one transaction, best first. */
export function optionsFor(tx: Transaction, ctx: Context): Option[] {
  const { index } = ctx;
  const paid = Math.abs(tx.amount);
  const outgoing = tx.amount < 0;
  const s = collectSignals(tx, ctx);

  const candidates = new Set<number>();
  for (const d of s.refHits.keys()) candidates.add(d);
  const parties = new Set<number>([...s.ibanParties, ...s.customerParties]);
  // A known IBAN names the payer; names then only add contacts under the same name. Without one, the
  // best name matches count, and half matches ("MUELLER BAU" for "Mueller Technik") only if nothing better.
  let bestSim = 0;
  for (const sim of s.nameSim.values()) bestSim = Math.max(bestSim, sim);
  if (s.ibanParties.size > 0) for (const p of s.sameName) parties.add(p);
  else {
    const minSim = bestSim >= 0.8 ? 0.8 : 0.5;
    for (const [p, sim] of s.nameSim) if (sim >= minSim) parties.add(p);
  }
  // A contact's documents whose open amount the payment could settle (exactly, less Skonto or a fee,
  // or a small overpayment): a range in the contact's amount-sorted list, found by binary search.
  const side = outgoing ? "out" : "in";
  // Without a reference only an exact amount, Skonto (up to 5 %) or a fee (≤ 35.00 and ≤ 10 %) can
  // tie a payment to a contact's document; overpayments and partial payments need the number. A narrow
  // range keeps this cheap for contacts with hundreds of documents (a supermarket's receipts).
  const lowest = paid;
  const highest = Math.max(
    Math.min(paid + MAX_FEE_MINOR, Math.ceil((paid * 10_000) / 9_000)),
    Math.ceil((paid * 10_000) / 9_500),
  );
  for (const p of parties) {
    const byAmount = index.parties[p]!.byAmount[side];
    for (let k = lowerBound(byAmount, lowest, index); k < byAmount.length; k++) {
      const d = byAmount[k]!;
      if (index.amountOf[d]! > highest) break;
      candidates.add(d);
    }
    if (outgoing) {
      const receipts = index.parties[p]!.byAmount.receipts;
      for (let k = lowerBound(receipts, paid, index); k < receipts.length; k++) {
        const d = receipts[k]!;
        if (index.amountOf[d]! !== paid) break;
        candidates.add(d);
      }
    }
  }
  /** The contact's documents issued nearest before the payment, for the subset search (built on demand). */
  let pool: number[] | undefined;
  const partyPool = (): number[] => {
    if (pool) return pool;
    pool = [];
    for (const p of parties) {
      const byDay = index.parties[p]!.byIssue[side];
      // Last document issued no later than 3 days after the payment, then walk back in time.
      let k = upperBoundDay(byDay, tx.day + 3, index) - 1;
      for (let taken = 0; k >= 0 && taken < MAX_PARTY_DOCS; k--, taken++) {
        const d = byDay[k]!;
        if (index.docs[d]!.doc.currency === tx.currency) pool.push(d);
      }
    }
    return pool;
  };
  // Amount lookups only add documents that carry some other evidence (checked below): an amount alone
  // says nothing when hundreds of documents share it.
  // Only a typo'd or cut-off number can make such a document count, so look only when there is one.
  const amountDocs: number[] = [];
  if (s.runs.length > 0 || s.cutPrefix !== undefined) {
    for (const list of [
      index.byAmount.get(paid),
      index.byDiscounted.get(paid),
      ...undiscountedCandidates(paid).map((o) => index.byAmount.get(o)),
    ]) {
      if (list && list.length <= MAX_AMOUNT_BUCKET) amountDocs.push(...list);
    }
  }

  const options: Option[] = [];
  const considered = new Set<number>();
  const consider = (d: number, requireEvidence: boolean): void => {
    if (considered.has(d)) return;
    considered.add(d);
    const info = index.docs[d]!;
    if (info.doc.currency !== tx.currency) return;
    const ref = refFeature(info, s, d);
    const reversed = info.outgoing !== outgoing;
    if (reversed && (!ref || REF_RANK[ref] < REF_RANK.medium)) return;
    if (requireEvidence && !ref) return;
    const rel = relate(paid, info.doc.openAmount, info.doc.cashDiscount, tx.day);
    // Without a reference, a contact's document the amount does not fit is no candidate (a partial
    // payment without any reference is not something to suggest); skipping it keeps big contacts cheap.
    if (!ref && (rel.kind === "partial" || rel.kind === "mismatch" || rel.kind === "overpayment")) return;
    // Card payments are charged exactly; a receipt of another amount is not the one.
    if (!ref && info.doc.kind === "receipt" && rel.kind !== "exact") return;
    options.push(singleOption(tx, paid, d, s, ctx, ref, rel));
  };
  for (const d of candidates) consider(d, false);
  // Documents found by amount alone need a typo'd or cut-off number to count.
  for (const d of amountDocs) consider(d, true);

  // One payment for several documents.
  const strong = (d: number) => {
    const level = s.refHits.get(d);
    return level !== undefined && REF_RANK[level] >= REF_RANK.medium;
  };
  let referenced = [...s.refHits.keys()].filter((d) => {
    const info = index.docs[d]!;
    return strong(d) && info.outgoing === outgoing && info.doc.currency === tx.currency;
  });
  // Numbers of the payer's own documents explain the payment; stray hits in other contacts' series don't.
  const payers = referenced.filter((d) => parties.has(index.docs[d]!.party));
  if (payers.length > 0 && payers.length < referenced.length) referenced = payers;
  const seen = new Set<string>();
  const addMulti = (docs: number[], kind: "all" | "some" | "none" | "subset", filled: number) => {
    const key = [...docs].sort((a, b) => a - b).join(",");
    if (docs.length < 2 || seen.has(key)) return;
    seen.add(key);
    const o = multiOption(tx, paid, docs, kind, filled, s, ctx);
    if (o) options.push(o);
  };
  if (referenced.length >= 2) addMulti(referenced, "all", 0);
  if (referenced.length >= 1) {
    let sumRef = 0;
    for (const d of referenced) sumRef += index.docs[d]!.doc.openAmount;
    if (sumRef < paid) {
      // Fill from the same contact's other open documents, nearest in date to the referenced ones first.
      const lastIssue = Math.max(...referenced.map((d) => index.docs[d]!.doc.issueDay));
      const refSet = new Set(referenced);
      const pool = partyPool()
        .filter((d) => !refSet.has(d))
        .map((d) => ({ d, t: refFeature(index.docs[d]!, s, d) === "truncated" ? 0 : 1 }))
        .sort((x, y) => {
          const a = x.d;
          const b = y.d;
          const ia = index.docs[a]!;
          const ib = index.docs[b]!;
          const ta = x.t;
          const tb = y.t;
          return (
            ta - tb || Math.abs(ia.doc.issueDay - lastIssue) - Math.abs(ib.doc.issueDay - lastIssue) || a - b
          );
        })
        .slice(0, MAX_SUBSET_POOL)
        .map((x) => x.d);
      const items: SubsetItem[] = [...referenced, ...pool].map((d) => ({
        amount: index.docs[d]!.doc.openAmount,
      }));
      const all = [...referenced, ...pool];
      const required = referenced.map((_, k) => k);
      for (const sol of findSubsets(paid, items, required, 4)) {
        addMulti(
          sol.map((k) => all[k]!),
          "some",
          sol.length - referenced.length,
        );
      }
      const discounted: SubsetItem[] = all.map((d) => ({ amount: settleAmount(index.docs[d]!, tx.day) }));
      for (const sol of findSubsets(paid, discounted, required, 4)) {
        addMulti(
          sol.map((k) => all[k]!),
          "some",
          sol.length - referenced.length,
        );
      }
    } else if (sumRef > paid && referenced.length >= 3) {
      const items = referenced.map((d) => ({ amount: index.docs[d]!.doc.openAmount }));
      for (const sol of findSubsets(paid, items, [], Math.min(referenced.length - 1, 6))) {
        addMulti(
          sol.map((k) => referenced[k]!),
          "subset",
          0,
        );
      }
    }
  } else if (parties.size > 0 && !options.some((o) => o.features.includes("amt.exact"))) {
    const pool = partyPool()
      .slice()
      .sort((a, b) => index.docs[b]!.doc.issueDay - index.docs[a]!.doc.issueDay || a - b)
      .slice(0, MAX_SUBSET_POOL);
    for (const amounts of [
      pool.map((d) => ({ amount: index.docs[d]!.doc.openAmount })),
      pool.map((d) => ({ amount: settleAmount(index.docs[d]!, tx.day) })),
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
  // Best first; equal logits keep discovery order, which follows the input. Options this weak change no
  // score by more than e^MIN_LOGIT each, and keeping them would make every document of a big contact
  // (a supermarket's receipts) a competitor of every line of that contact.
  return options
    .map((o, i) => ({ o, i }))
    .filter((x) => x.o.logit >= MIN_LOGIT)
    .sort((a, b) => b.o.logit - a.o.logit || a.i - b.i)
    .slice(0, MAX_OPTIONS)
    .map((x) => x.o);
}

interface Pending {
  tx: number;
  options: Option[];
  score: number;
  version: number;
}

/** Max-heap on score; ties pop the earlier transaction first, so allocation order is deterministic. */
function heapPush(heap: Pending[], item: Pending): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function heapPop(heap: Pending[]): Pending | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0 && last) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

function before(a: Pending, b: Pending): boolean {
  return a.score > b.score || (a.score === b.score && a.tx < b.tx);
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

/** Suggestions for a parsed dataset. */
export function suggestParsed(dataset: Dataset, opts: SuggestOptions = {}): EngineResult {
  const ctx: Context = {
    index: buildIndex(dataset.documents),
    weights: opts.weights ?? WEIGHTS,
    names: new Map(),
  };
  const threshold = opts.threshold ?? SUGGEST_THRESHOLD;
  const { index } = ctx;
  const txs = dataset.transactions;

  const pending: Pending[] = [];
  const byDoc = new Map<number, number[]>();
  const heap: Pending[] = [];
  txs.forEach((tx, t) => {
    const options = optionsFor(tx, ctx);
    const p: Pending = { tx: t, options, score: scoreOf(options), version: 0 };
    pending.push(p);
    for (const o of options) {
      for (const d of o.docs) {
        const list = byDoc.get(d);
        if (!list) byDoc.set(d, [t]);
        else if (list[list.length - 1] !== t) list.push(t);
      }
    }
    if (options.length > 0) heapPush(heap, { ...p });
  });

  // Remaining open amount per document; untouched documents are absent.
  const remaining = new Map<number, number>();
  const chosen = new Map<number, { option: Option; score: number; amounts: number[]; diff: number }>();
  // A partial payment may go to a document while enough of it is open; anything else needs untouched ones.
  const fitsAny = (o: Option, paid: number): boolean => {
    if (o.partial) {
      const d = o.docs[0]!;
      return (remaining.get(d) ?? index.docs[d]!.doc.openAmount) >= paid;
    }
    return o.docs.every((d) => !remaining.has(d));
  };

  for (let item = heapPop(heap); item; item = heapPop(heap)) {
    const current = pending[item.tx]!;
    if (item.version !== current.version || chosen.has(item.tx)) continue;
    if (item.score < threshold) break;
    const tx = txs[item.tx]!;
    const paid = Math.abs(tx.amount);
    const best = current.options[0]!;
    if (!fitsAny(best, paid)) {
      current.options = current.options.filter((o) => fitsAny(o, paid));
      current.score = scoreOf(current.options);
      current.version++;
      if (current.options.length > 0) heapPush(heap, { ...current });
      continue;
    }
    const amounts = best.docs.map((d) => remaining.get(d) ?? index.docs[d]!.doc.openAmount);
    let allocated = 0;
    for (const a of amounts) allocated += a;
    chosen.set(item.tx, { option: best, score: item.score, amounts, diff: paid - allocated });
    const touched = new Set<number>();
    for (const [k, d] of best.docs.entries()) {
      remaining.set(d, best.partial ? amounts[k]! - paid : 0);
      for (const other of byDoc.get(d) ?? []) if (other !== item.tx && !chosen.has(other)) touched.add(other);
    }
    // Competitors for the documents just taken drop out of other transactions' options.
    for (const t of [...touched].sort((a, b) => a - b)) {
      const p = pending[t]!;
      const otherPaid = Math.abs(txs[t]!.amount);
      const kept = p.options.filter((o) => fitsAny(o, otherPaid));
      if (kept.length === p.options.length) continue;
      p.options = kept;
      p.score = scoreOf(kept);
      p.version++;
      // Below the threshold it is never taken; it can only rise again through another removal.
      if (kept.length > 0 && p.score >= threshold) heapPush(heap, { ...p });
    }
  }

  const suggestions: Suggestion[] = [];
  txs.forEach((tx, t) => {
    const c = chosen.get(t);
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
      reasons: o.explain(),
    });
  });
  return { suggestions };
}

/** Suggestions for a matching dataset as read from JSON; throws MatchingInputError on bad input. */
export function suggest(input: unknown, opts: SuggestOptions = {}): EngineResult {
  return suggestParsed(parseDataset(input), opts);
}
