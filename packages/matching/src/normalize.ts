/**
 * Text cleanup shared by references and names: German bank lines arrive upper- or mixed-case, with
 * umlauts spelled out or not, SEPA field keys glued in front of the text and line breaks lost.
 */

const UMLAUTS: Readonly<Record<string, string>> = { Ä: "AE", Ö: "OE", Ü: "UE", ẞ: "SS", ß: "SS" };

const NON_ASCII = /[\u0080-\uffff]/;

/** Upper case, umlauts spelled out (Müller → MUELLER), other diacritics dropped (Café → CAFE). */
export function fold(text: string): string {
  const upper = text.toUpperCase();
  // Most bank lines and numbers are plain ASCII: nothing to spell out or strip (ß is SS after toUpperCase).
  if (!NON_ASCII.test(upper)) return upper;
  return upper
    .replace(/[ÄÖÜẞß]/g, (c) => UMLAUTS[c] ?? c)
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "");
}

/**
 * SEPA "Verwendungszweck" keys (DFÜ-Abkommen, Anlage 3): SVWZ+ remittance, EREF+ end-to-end reference,
 * KREF+ customer reference, MREF+ mandate, CRED+ creditor id, DEBT+ debtor id, ABWA+/ABWE+ ultimate
 * parties, COAM+/OAMT+ amounts, SQTP+/PURP+ codes, IBAN+/BIC+ as some banks print them.
 */
const SEPA_KEYS =
  /(?:^|(?<=[^A-Z]))(?:SVWZ|EREF|KREF|MREF|CRED|DEBT|ABWA|ABWE|COAM|OAMT|SQTP|PURP|IBAN|BIC|BREF|RREF)\+/g;
const NOISE = /\bNOTPROVIDED\b|\bNOT PROVIDED\b/g;

/** Remittance text ready for token extraction: folded, SEPA keys and placeholders removed. */
export function normalizeRemittance(text: string): string {
  return fold(text).replace(SEPA_KEYS, " ").replace(NOISE, " ");
}

/** Legal forms and filler words that say nothing about who a party is. */
const LEGAL_FORMS = new Set([
  "GMBH",
  "MBH",
  "AG",
  "KG",
  "KGAA",
  "OHG",
  "GBR",
  "UG",
  "HAFTUNGSBESCHRAENKT",
  "EK",
  "EV",
  "CO",
  "SE",
  "LTD",
  "LIMITED",
  "INC",
  "LLC",
  "SA",
  "SARL",
  "SAS",
  "BV",
  "NV",
  "PLC",
  "SRL",
  "SPA",
  "UND",
  "AND",
  "DE",
  "THE",
  "DER",
  "DIE",
  "DAS",
  "FA",
  "FIRMA",
  "HERR",
  "FRAU",
  "DR",
]);

/** Significant name tokens: "Müller Bau GmbH & Co. KG" → ["MUELLER", "BAU"]. */
export function nameTokens(name: string): string[] {
  const tokens: string[] = [];
  for (const raw of fold(name)
    .replace(/\b([A-Z])\.(?=[A-Z]\.)/g, "$1")
    .split(/[^A-Z0-9]+/)) {
    // Digits in a payer name are store or terminal numbers ("MEDIA MARKT 3956"), not the name.
    if (raw.length < 2 || LEGAL_FORMS.has(raw) || /^\d+$/.test(raw)) continue;
    if (!tokens.includes(raw)) tokens.push(raw);
  }
  return tokens;
}

/** Electronic IBAN form (no spaces, upper case); no checksum test here — it is only compared for equality. */
export function compactIban(iban: string | undefined): string | undefined {
  if (!iban) return undefined;
  const compact = iban.replace(/\s+/g, "").toUpperCase();
  return compact.length >= 15 ? compact : undefined;
}

/**
 * Similarity of two names in [0, 1] from their significant tokens: a token counts as shared when equal,
 * or when one is a prefix (≥ 4 letters) of the other ("MUELLER" / "MUELLERBAU", "TECHN" / "TECHNIK").
 * Normalised by the shorter token list, so "Mueller Bau" matches "Mueller Bau Nord" fully: bank lines
 * cut and abbreviate names far more often than they add words.
 */
export function nameSimilarity(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let shared = 0;
  for (const x of a) {
    for (const y of b) {
      if (x === y) {
        shared++;
        break;
      }
      // A prefix needs the same first letter; checking it first spares most startsWith calls (this runs
      // for up to 32 contacts per distinct payer name).
      if (x.charCodeAt(0) !== y.charCodeAt(0)) continue;
      if ((x.length >= 4 && y.startsWith(x)) || (y.length >= 4 && x.startsWith(y))) {
        shared++;
        break;
      }
    }
  }
  // Joined spelling: "MUELLERBAU" against ["MUELLER", "BAU"].
  if (shared === 0) {
    const ja = a.join("");
    const jb = b.join("");
    if (ja.length >= 6 && (ja === jb || jb.startsWith(ja) || ja.startsWith(jb))) return 0.9;
    return 0;
  }
  return shared / Math.min(a.length, b.length);
}
