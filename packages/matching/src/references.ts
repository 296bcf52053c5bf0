/**
 * Invoice numbers and structured references in remittance text.
 *
 * A number is split into atoms — maximal runs of letters or of digits — so that every way people write
 * "RE-2026-0042" (RE2026-0042, RE 2026 0042, 2026/42, 20260042, RE-2026-00 42 after a lost line break)
 * reduces to the same keys:
 * - `full`:   all atoms, digit atoms without leading zeros, joined:  RE|2026|42
 * - `sig`:    digit atoms only, without leading zeros:                 2026|42
 * - `concat`: digit atoms glued, without leading zeros:                20260042
 * Remittance text yields the same keys for every window of up to six neighbouring atoms, so a document
 * is found by hash lookups, never by comparing it against every line.
 */
import { fold } from "./normalize.ts";

export interface Atom {
  text: string;
  digits: boolean;
  start: number;
  end: number;
}

/** Maximal runs of A–Z or of 0–9 (a character scan: this runs for every bank line and document). */
export function atomsOf(folded: string): Atom[] {
  const out: Atom[] = [];
  const n = folded.length;
  let i = 0;
  while (i < n) {
    const kind = charKind(folded.charCodeAt(i));
    if (kind === 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && charKind(folded.charCodeAt(i)) === kind) i++;
    out.push({ text: folded.slice(start, i), digits: kind === 1, start, end: i });
  }
  return out;
}

/** 1 for a digit, 2 for an upper-case ASCII letter, 0 for anything else. */
function charKind(c: number): number {
  if (c >= 48 && c <= 57) return 1;
  if (c >= 65 && c <= 90) return 2;
  return 0;
}

function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  if (i === 0) return digits === "" ? "0" : digits;
  return digits.slice(i);
}

export interface NumberKeys {
  full?: string;
  sig?: string;
  concat?: string;
  /** Significant digits (without leading zeros): how much a digit-only hit says. */
  digitCount: number;
  letters: string;
  /** Digit atoms glued as written, leading zeros kept: tells "RE-2026-2154" from "2026-02154". */
  raw: string;
}

/** Lookup keys of a document number or payment reference. */
export function numberKeys(number: string): NumberKeys {
  const atoms = atomsOf(fold(number));
  let letters = "";
  let full = "";
  let sig = "";
  let raw = "";
  for (const [k, a] of atoms.entries()) {
    const part = a.digits ? stripZeros(a.text) : a.text;
    full = k === 0 ? part : `${full}|${part}`;
    if (a.digits) {
      sig = raw === "" ? part : `${sig}|${part}`;
      raw += a.text;
    } else letters += a.text;
  }
  if (raw === "") {
    const keys: NumberKeys = { digitCount: 0, letters, raw: "" };
    if (atoms.length > 0) keys.full = full;
    return keys;
  }
  const concat = stripZeros(raw);
  const keys: NumberKeys = { sig, concat, digitCount: concat.length, letters, raw };
  if (letters !== "") keys.full = full;
  return keys;
}

/** Atoms are neighbours when at most two separator characters lie between them. */
function joined(text: string, a: Atom, b: Atom): boolean {
  const gap = b.start - a.end;
  if (gap > 2) return false;
  for (let i = a.end; i < b.start; i++) {
    const c = text[i];
    if (c !== " " && c !== "-" && c !== "/" && c !== "." && c !== "_" && c !== ":" && c !== "#") return false;
  }
  return true;
}

/** Digit atoms separated by nothing or by -, /, . belong to one number (a space may separate two). */
function tight(text: string, a: Atom, b: Atom): boolean {
  const gap = b.start - a.end;
  if (gap === 0) return true;
  if (gap > 1) return false;
  const c = text[a.end];
  return c === "-" || c === "/" || c === ".";
}

export interface Window {
  full?: string;
  sig?: string;
  concat?: string;
  digitCount: number;
  /** Part of a longer number (more digits glued on either side): "0042" inside "2026-0042". */
  embedded: boolean;
  /** Touches the end of a remittance cut off at the field limit: possibly only the start of a number. */
  atCut: boolean;
  /** A letter atom leads the window (the number's own prefix, "RE" in RE-2026-0042). */
  prefixed: boolean;
  /** Which digits of the text the window covers (first digit atom and last atom), to compare rival readings. */
  span: number;
  /** The window's digits as written. */
  raw: string;
}

/** Spans are (first digit atom, last atom) packed in one number; a remittance has far fewer atoms. */
const SPAN_STRIDE = 4096;

/** SEPA remittance is limited to 140 characters; a line this long may have lost its tail. */
export const REMITTANCE_LIMIT = 140;

/**
 * Every lookup window of the (normalised) remittance text. Keys are built incrementally as a window
 * grows by one atom (this runs for every bank line: ~8 windows each).
 */
export function windowsOf(text: string, cut: boolean): Window[] {
  const atoms = atomsOf(text);
  const out: Window[] = [];
  const end = text.trimEnd().length;
  // Atom texts without leading zeros, once per atom rather than once per window.
  const stripped = atoms.map((a) => (a.digits ? stripZeros(a.text) : a.text));
  for (let i = 0; i < atoms.length; i++) {
    const first = atoms[i]!;
    // Number prefixes are short (RE, AR, INV, BILL); "RECHNUNG 2026-0042" is found by its digits.
    if (!first.digits && first.text.length > 5) continue;
    const prev = i > 0 ? atoms[i - 1] : undefined;
    const leadEmbedded = (first.digits && prev?.digits && tight(text, prev, first)) === true;
    let raw = "";
    let full = "";
    let firstDigit = -1;
    let allDigits = true;
    for (let j = i; j < atoms.length && j < i + 5; j++) {
      const atom = atoms[j]!;
      if (j > i && !joined(text, atoms[j - 1]!, atom)) break;
      full = j === i ? stripped[j]! : `${full}|${stripped[j]!}`;
      if (atom.digits) {
        raw += atom.text;
        if (firstDigit < 0) firstDigit = j;
      } else allDigits = false;
      if (firstDigit < 0) continue;
      const next = atoms[j + 1];
      const embedded = leadEmbedded || (atom.digits && next?.digits && tight(text, atom, next)) === true;
      const concat = stripZeros(raw);
      const w: Window = {
        digitCount: concat.length,
        embedded,
        atCut: cut && atom.end >= end,
        prefixed: !first.digits,
        span: firstDigit * SPAN_STRIDE + j,
        raw,
      };
      // A window of digit atoms only: its full key is its digit key.
      if (!first.digits) w.full = full;
      else if (allDigits) {
        w.sig = full;
        w.concat = concat;
      }
      out.push(w);
    }
  }
  return out;
}

/** Digit strings of the remittance (every run of neighbouring digit atoms, glued), for fuzzy comparison. */
export function digitRuns(text: string): string[] {
  const atoms = atomsOf(text).filter((a) => a.digits);
  const out = new Set<string>();
  for (let i = 0; i < atoms.length; i++) {
    let glued = "";
    for (let j = i; j < atoms.length && j < i + 4; j++) {
      if (j > i && !joined(text, atoms[j - 1]!, atoms[j]!)) break;
      glued += atoms[j]!.text;
      const s = stripZeros(glued);
      if (s.length >= 4) out.add(s);
    }
  }
  return [...out];
}

/** True when a and b differ by at most one insertion, deletion, substitution or adjacent transposition. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  // Compares the tails a[i + da …] and b[i + db …] without building substrings.
  const sameTail = (da: number, db: number): boolean => {
    if (la - da !== lb - db) return false;
    for (let k = i; k + da < la; k++) if (a.charCodeAt(k + da) !== b.charCodeAt(k + db)) return false;
    return true;
  };
  if (la === lb) {
    if (sameTail(1, 1)) return true; // substitution
    // transposition
    return (
      a.charCodeAt(i) === b.charCodeAt(i + 1) && a.charCodeAt(i + 1) === b.charCodeAt(i) && sameTail(2, 2)
    );
  }
  return la > lb ? sameTail(1, 0) : sameTail(0, 1);
}

/** ISO 11649 creditor reference check: "RF" + 2 check digits + up to 21 alphanumerics, mod 97 = 1. */
export function isValidRf(reference: string): boolean {
  const ref = reference.replace(/\s+/g, "").toUpperCase();
  if (!/^RF\d{2}[0-9A-Z]{1,21}$/.test(ref)) return false;
  const rearranged = ref.slice(4) + ref.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code <= 57 ? String(code - 48) : String(code - 55);
    for (const d of value) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** Builds a valid ISO 11649 reference for a payload (used by the generator and tests). */
export function makeRf(payload: string): string {
  const body = payload.replace(/[^0-9A-Z]/gi, "").toUpperCase();
  let remainder = 0;
  for (const ch of `${body}RF00`) {
    const code = ch.charCodeAt(0);
    const value = code <= 57 ? String(code - 48) : String(code - 55);
    for (const d of value) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return `RF${String(98 - remainder).padStart(2, "0")}${body}`;
}

/**
 * Valid RF references in (folded) text, printed whole ("RF18539007547034") or in groups of four
 * ("RF18 5390 0754 7034"). The longest valid reading wins.
 */
export function extractRfs(text: string): string[] {
  const parts = text.split(/[^A-Z0-9]+/).filter((p) => p !== "");
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const head = parts[i]!;
    if (!/^RF\d{2}/.test(head)) continue;
    let candidate = head;
    let best: string | undefined = isValidRf(candidate) ? candidate : undefined;
    for (let j = i + 1; j < parts.length && candidate.length < 25; j++) {
      const part = parts[j]!;
      if (part.length > 4) break;
      candidate += part;
      if (candidate.length <= 25 && isValidRf(candidate)) best = candidate;
    }
    if (best && !out.includes(best)) out.push(best);
  }
  return out;
}

/** Compact form used to compare payment references: upper case, letters and digits only. */
export function compactReference(reference: string): string {
  return fold(reference).replace(/[^A-Z0-9]/g, "");
}
