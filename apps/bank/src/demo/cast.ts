import { ibanFromBban } from "@kontor/money";
import { digits, int, pick, type Rng } from "./random.ts";

/**
 * The people and firms on the demo business's statements. The first customers and suppliers are a fixed,
 * hand-written cast (fictitious firms); bigger volumes add generated ones of the same kind. Only names are
 * fixed: account numbers, invoice styles and amounts come from the seed.
 */

export interface CounterpartyBank {
  blz: string;
  bic: string;
}

/**
 * Bank codes of large German banks paired with their BICs, so counterparty IBANs and BICs look like real
 * ones; the 10-digit account numbers behind them are drawn at random, so they are not anyone's account.
 */
export const COUNTERPARTY_BANKS: readonly CounterpartyBank[] = [
  { blz: "37040044", bic: "COBADEFFXXX" },
  { blz: "10070000", bic: "DEUTDEBBXXX" },
  { blz: "50010517", bic: "INGDDEFFXXX" },
  { blz: "12030000", bic: "BYLADEM1001" },
  { blz: "70150000", bic: "SSKMDEMMXXX" },
  { blz: "20050550", bic: "HASPDEHHXXX" },
  { blz: "43060967", bic: "GENODEM1GLS" },
  { blz: "60050101", bic: "SOLADEST600" },
  { blz: "76050101", bic: "SSKNDE77XXX" },
  { blz: "10011001", bic: "NTSBDEB1XXX" },
];

/** Public bodies keep their accounts at the Bundesbank. */
const BUNDESBANK: CounterpartyBank = { blz: "10000000", bic: "MARKDEF1100" };

export interface Party {
  name: string;
  iban: string;
  bic: string;
}

export interface Customer extends Party {
  /** Customer number in the demo business's books, e.g. "K-10007". */
  number: string;
  /** How this customer usually words the remittance (index into the styles in generate.ts). */
  style: number;
  /** How often this customer pays, relative to the others. */
  weight: number;
}

export interface Supplier extends Party {
  /** Format of the supplier's own invoice numbers (index into the formats in generate.ts). */
  invoiceFormat: number;
  /** The demo business's customer number at this supplier. */
  ourNumber: string;
  /** Typical invoice size (gross, euros) and how much sizes vary. */
  median: number;
  sigma: number;
  weight: number;
}

export interface Employee extends Party {
  personnelNo: string;
  grossMonthlyMinor: number;
  /** Index into the health insurers that collect this employee's social security contributions. */
  insurer: number;
}

export interface Creditor extends Party {
  /** SEPA creditor identifier (Gläubiger-ID), e.g. "DE98ZZZ09999999999". */
  creditorId: string;
}

export function mintIban(
  rng: Rng,
  bank: CounterpartyBank = pick(rng, COUNTERPARTY_BANKS),
): Party & { bic: string } {
  return { name: "", iban: ibanFromBban("DE", `${bank.blz}${digits(rng, 10)}`), bic: bank.bic };
}

/**
 * A German SEPA creditor identifier: "DE", two check digits computed like an IBAN's over the national part
 * (the business code "ZZZ" is left out of the check), the business code, then 11 digits.
 */
export function creditorIdentifier(nationalId: string): string {
  const withCheck = ibanFromBban("DE", nationalId); // "DE" + check digits + national id
  return `${withCheck.slice(0, 4)}ZZZ${nationalId}`;
}

const CUSTOMER_NAMES = [
  "Hausverwaltung Krüger GmbH",
  "Wohnungsbau Lindenhof eG",
  "Bäckerei Schmidt e.K.",
  "Autohaus Lehmann GmbH & Co. KG",
  "Dr. Anna Vogel",
  "Thomas Becker",
  "Immobilien Schulte KG",
  "Gasthof Zur Linde GbR",
  "Praxis Dr. med. Hoffmann",
  "Familie Neumann",
  "Stadtwerke Musterstadt GmbH",
  "Kita Sonnenschein e.V.",
  "Hotel Am Markt GmbH",
  "Julia Hartmann",
  "Wagner Logistik GmbH",
  "Evangelische Kirchengemeinde St. Petri",
  "Brauerei Fischer GmbH",
  "Steuerkanzlei Möller & Partner mbB",
  "Sabine und Peter Richter",
  "Zahnarztpraxis Dr. Weber",
  "Supermarkt Koch OHG",
  "Gemeinde Musterdorf",
  "Fitnessstudio Aktiv GmbH",
  "Peter Zimmermann",
  "WEG Goethestraße 14",
];

const SUPPLIERS: ReadonlyArray<Omit<Supplier, "iban" | "bic" | "ourNumber">> = [
  { name: "Baustoff Krämer GmbH", invoiceFormat: 0, median: 900, sigma: 0.9, weight: 10 },
  { name: "Elektro-Großhandel Nord GmbH", invoiceFormat: 1, median: 600, sigma: 0.9, weight: 9 },
  { name: "Sanitär Heinze KG", invoiceFormat: 2, median: 700, sigma: 0.9, weight: 8 },
  { name: "Holzhandel Vogt GmbH & Co. KG", invoiceFormat: 3, median: 800, sigma: 0.8, weight: 6 },
  { name: "Schrauben Maier e.K.", invoiceFormat: 0, median: 120, sigma: 0.7, weight: 8 },
  { name: "Werkzeug Becker GmbH", invoiceFormat: 1, median: 250, sigma: 0.9, weight: 6 },
  { name: "Fliesen Schulz GmbH", invoiceFormat: 2, median: 900, sigma: 0.8, weight: 4 },
  { name: "Farben Wagner KG", invoiceFormat: 3, median: 300, sigma: 0.7, weight: 5 },
  { name: "Dachbau Zimmermann GmbH", invoiceFormat: 1, median: 3000, sigma: 0.5, weight: 2 },
  { name: "Gerüstbau Hartmann GmbH", invoiceFormat: 0, median: 1400, sigma: 0.4, weight: 2 },
  { name: "Steuerberatung Dr. Lang & Partner mbB", invoiceFormat: 2, median: 850, sigma: 0.2, weight: 2 },
  { name: "Containerdienst Peters GmbH", invoiceFormat: 3, median: 400, sigma: 0.4, weight: 4 },
  { name: "Kfz-Werkstatt Braun", invoiceFormat: 0, median: 450, sigma: 0.8, weight: 3 },
  { name: "Büro & Papier Fischer GmbH", invoiceFormat: 1, median: 90, sigma: 0.6, weight: 4 },
  { name: "Entsorgung Süd GmbH", invoiceFormat: 2, median: 260, sigma: 0.5, weight: 3 },
];

const SURNAMES = [
  "Müller",
  "Schmidt",
  "Schneider",
  "Fischer",
  "Weber",
  "Meyer",
  "Wagner",
  "Becker",
  "Schulz",
  "Hoffmann",
  "Schäfer",
  "Koch",
  "Bauer",
  "Richter",
  "Klein",
  "Wolf",
  "Schröder",
  "Neumann",
  "Schwarz",
  "Zimmermann",
  "Braun",
  "Krüger",
  "Hofmann",
  "Hartmann",
  "Lange",
  "Schmitt",
  "Werner",
  "Schmitz",
  "Krause",
  "Meier",
  "Lehmann",
  "Schmid",
  "Schulze",
  "Maier",
  "Köhler",
  "Herrmann",
  "König",
  "Walter",
  "Mayer",
  "Huber",
  "Kaiser",
  "Fuchs",
  "Peters",
  "Lang",
  "Scholz",
  "Möller",
  "Weiß",
  "Jung",
  "Hahn",
  "Schubert",
];

const FIRST_NAMES = [
  "Anna",
  "Lukas",
  "Marie",
  "Jonas",
  "Sophie",
  "Leon",
  "Laura",
  "Felix",
  "Lena",
  "Paul",
  "Julia",
  "Tim",
  "Sarah",
  "Jan",
  "Lisa",
  "Niklas",
  "Katharina",
  "Tobias",
  "Hannah",
  "Florian",
  "Sabine",
  "Michael",
  "Andrea",
  "Stefan",
  "Petra",
  "Thomas",
  "Claudia",
  "Markus",
  "Monika",
  "Frank",
  "Ayşe",
  "Mehmet",
];

const TRADES = [
  ["Hausverwaltung", "GmbH"],
  ["Immobilien", "KG"],
  ["Bauträger", "GmbH"],
  ["Praxis Dr.", ""],
  ["Autohaus", "GmbH & Co. KG"],
  ["Gaststätte", "e.K."],
  ["Bäckerei", "OHG"],
  ["Wohnbau", "GmbH"],
  ["Hotel", "GmbH"],
  ["Logistik", "GmbH"],
] as const;

/** Customer #i: the fixed cast first, then generated firms and private clients. */
function customerName(rng: Rng, i: number): string {
  const fixed = CUSTOMER_NAMES[i];
  if (fixed) return fixed;
  const surname = pick(rng, SURNAMES);
  if (i % 3 === 0) return `${pick(rng, FIRST_NAMES)} ${surname}`;
  const [trade, form] = pick(rng, TRADES);
  return form ? `${trade} ${surname} ${form}` : `${trade} ${surname}`;
}

export function buildCustomers(rng: Rng, count: number): Customer[] {
  const customers: Customer[] = [];
  for (let i = 0; i < count; i++) {
    const name = customerName(rng, i);
    customers.push({
      ...mintIban(rng),
      name,
      number: `K-${10001 + i}`,
      style: int(rng, 0, 9),
      // A few regulars pay most invoices (a long tail, as in every small business's ledger).
      weight: 1 / (1 + i * 0.15),
    });
  }
  return customers;
}

export function buildSuppliers(rng: Rng, count: number): Supplier[] {
  const suppliers: Supplier[] = [];
  for (let i = 0; i < count; i++) {
    const base = SUPPLIERS[i % SUPPLIERS.length]!;
    // Beyond the fixed cast: the same kinds of supplier in other towns ("Baustoff Krämer GmbH Niederlassung 3").
    const name = i < SUPPLIERS.length ? base.name : `${base.name} NL ${Math.floor(i / SUPPLIERS.length) + 1}`;
    suppliers.push({
      ...base,
      ...mintIban(rng),
      name,
      ourNumber: digits(rng, 6),
      weight: i < SUPPLIERS.length ? base.weight : base.weight / 2,
    });
  }
  return suppliers;
}

/** The managing director (the demo PSU) first; then the crew. */
export function buildEmployees(rng: Rng, count: number, insurers: number): Employee[] {
  const employees: Employee[] = [];
  for (let i = 0; i < count; i++) {
    const name = i === 0 ? "Max Mustermann" : `${pick(rng, FIRST_NAMES)} ${pick(rng, SURNAMES)}`;
    const gross = i === 0 ? 7_500_00 : Math.round(int(rng, 2_600, 4_200) * 100);
    employees.push({
      ...mintIban(rng),
      name,
      personnelNo: String(i + 1).padStart(4, "0"),
      grossMonthlyMinor: gross,
      insurer: i % insurers,
    });
  }
  return employees;
}

export function buildCreditor(rng: Rng, name: string): Creditor {
  return { ...mintIban(rng), name, creditorId: creditorIdentifier(digits(rng, 11)) };
}

export function buildAuthority(rng: Rng, name: string): Party {
  return { ...mintIban(rng, BUNDESBANK), name };
}
