import { ibanFromBban } from "@kontor/money";
import { z } from "zod";
import { PRODUCTS } from "../accounts/products.ts";
import type { BookingStatus, NewTransaction } from "../db/schema.ts";
import {
  compactDate,
  dayNumber,
  dayOf,
  germanDate,
  isBusinessDay,
  isoDate,
  nextBusinessDay,
  ymd,
} from "./calendar.ts";
import {
  buildAuthority,
  buildCreditor,
  buildCustomers,
  buildEmployees,
  buildSuppliers,
  type Creditor,
  type Customer,
  type Employee,
  type Party,
  type Supplier,
} from "./cast.ts";
import {
  apportion,
  chance,
  createRng,
  cumulative,
  digits,
  hex,
  int,
  logNormal,
  normal,
  pick,
  pickCumulative,
  type Rng,
  uuid,
} from "./random.ts";

/**
 * The demo business's history, generated from a seed: a plan (accounts, cast, how many rows go where) and a
 * generator that streams booked rows month by month, each account's rows in booking order, then a few
 * pending card payments. Pure: no database, no clock; `today` comes from the caller's injected clock.
 */

export const DEMO_BUSINESS_NAME = "Muster Handwerk GmbH";
/** The sandbox bank's own bank code and BIC (the test harness uses the same). */
export const DEMO_BANK = { blz: "10010010", bic: "KONTDEB1XXX" } as const;
export const DEMO_DEFAULTS = { seed: 42, months: 13, transactions: 3_500, extraAccounts: 0 } as const;

/** Random streams derived from the one seed, so changing how one part draws never shifts the others. */
export const STREAM = { plan: 1, ids: 2, history: 3 } as const;

export const demoOptionsSchema = z
  .object({
    seed: z.number().int().safe().default(DEMO_DEFAULTS.seed),
    today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD"),
    /** Whole calendar months before today's month; the window runs from the 1st of the first to today. */
    months: z.number().int().min(1).max(120).default(DEMO_DEFAULTS.months),
    /**
     * Booked transactions in total, over all accounts; exact unless below the calendar's own items (payroll,
     * taxes, fees, direct debits: ≈ 35 a month at the default size).
     */
    transactions: z.number().int().min(0).max(50_000_000).default(DEMO_DEFAULTS.transactions),
    extraAccounts: z.number().int().min(0).max(500).default(DEMO_DEFAULTS.extraAccounts),
  })
  .strict();

export type DemoOptions = z.input<typeof demoOptionsSchema>;

export type DemoCategory =
  | "customer_payment"
  | "supplier_payment"
  | "salary"
  | "tax"
  | "card"
  | "direct_debit"
  | "fee"
  | "internal_transfer";

export const DEMO_CATEGORIES: readonly DemoCategory[] = [
  "customer_payment",
  "supplier_payment",
  "salary",
  "tax",
  "card",
  "direct_debit",
  "fee",
  "internal_transfer",
];

/** One row of the transactions table (every column but the serial and the timestamp), plus its category. */
export interface GeneratedTransaction {
  category: DemoCategory;
  account_id: string;
  transaction_id: string;
  entry_reference: string | null;
  status: BookingStatus;
  booking_date: string;
  value_date: string;
  amount_minor: number;
  currency: string;
  counterparty_name: string | null;
  counterparty_iban: string | null;
  counterparty_bic: string | null;
  remittance: string | null;
  end_to_end_id: string | null;
  mandate_id: string | null;
  creditor_id: string | null;
  bank_transaction_code: string | null;
  proprietary_code: string | null;
  booking_text: string | null;
}

type Assignable<T extends U, U> = T;
/** A generated row minus its category is a transactions row as it is (checked by the compiler). */
export type GeneratedRow = Assignable<Omit<GeneratedTransaction, "category">, NewTransaction>;

export type AccountRole = "main" | "reserve" | "project";

export interface DemoAccount {
  index: number;
  role: AccountRole;
  id: string;
  /** 10-digit account number inside the IBAN; fixed per position, so the demo IBANs never change. */
  accountNo: string;
  /** 4 digits naming the account inside transaction ids: "TX-0001-0000042". */
  short: string;
  iban: string;
  bic: string;
  currency: "EUR";
  name: string;
  product: string;
  parentId: string | null;
  /** The opening balance unless the history needs more to stay positive (see seed.ts). */
  baseOpeningMinor: number;
  /** Booked rows planned for this account. */
  planned: number;
  vehicles: number;
  cards: string[];
}

export interface DemoMonth {
  index: number;
  year: number;
  month: number;
  /** "03/2026", as in "LOHN/GEHALT 03/2026". */
  label: string;
  /** Every business day of the calendar month, and those inside the seeded window. */
  allBusinessDays: number[];
  businessDays: number[];
}

export interface DemoCast {
  customers: Customer[];
  /** Cumulative customer weights, for a binary-search weighted pick among thousands. */
  customerCumulative: Float64Array;
  suppliers: Supplier[];
  employees: Employee[];
  insurers: Creditor[];
  creditors: Record<ContractKey, Creditor>;
  finanzamt: Party;
  stadtkasse: Party;
  landlord: Party;
  /** Per-contract random digits (customer and contract numbers at the creditor). */
  contractNumbers: Record<ContractKey, string>;
}

export interface DemoPlan {
  seed: number;
  today: string;
  /** The seeded window: first and last possible booking date. */
  from: string;
  to: string;
  businessId: string;
  psuIds: { demo: string; clerk: string };
  accounts: DemoAccount[];
  months: DemoMonth[];
  /** How large the business is relative to the default demo (3,500 rows ⇒ 1). */
  scale: number;
  cast: DemoCast;
  /** Customer payments, supplier transfers and card payments per [account][month]; the rest follows the calendar. */
  variable: number[][];
  bookedTotal: number;
  pendingCount: number;
}

// ---------------------------------------------------------------------------------------------------------
// Codes. ISO 20022 bank transaction codes (domain-family-subfamily) and German GVCs (DFÜ-Abkommen, Anlage 3).

interface Coding {
  btc: string;
  gvc: string;
  text: string;
}

const CODES = {
  sepaCredit: { btc: "PMNT-RCDT-ESCT", gvc: "166", text: "SEPA-Gutschrift" },
  sepaTransfer: { btc: "PMNT-ICDT-ESCT", gvc: "116", text: "SEPA-Überweisung" },
  standingOrder: { btc: "PMNT-ICDT-STDO", gvc: "116", text: "Dauerauftrag" },
  salary: { btc: "PMNT-ICDT-SALA", gvc: "153", text: "Lohn/Gehalt" },
  directDebit: { btc: "PMNT-IDDT-ESDD", gvc: "105", text: "SEPA-Lastschrift" },
  card: { btc: "PMNT-CCRD-POSD", gvc: "106", text: "Kartenzahlung" },
  cardRefund: { btc: "PMNT-CCRD-RIMB", gvc: "106", text: "Kartengutschrift" },
  cash: { btc: "PMNT-CCRD-CWDL", gvc: "083", text: "Bargeldauszahlung" },
  fee: { btc: "ACMT-MDOP-CHRG", gvc: "808", text: "Entgelt" },
  bookOut: { btc: "PMNT-ICDT-BOOK", gvc: "116", text: "Umbuchung" },
  bookIn: { btc: "PMNT-RCDT-BOOK", gvc: "166", text: "Umbuchung" },
} as const satisfies Record<string, Coding>;

// ---------------------------------------------------------------------------------------------------------
// Direct debit contracts: who collects what, when, and per what.

const CONTRACT_KEYS = [
  "power",
  "landline",
  "mobile",
  "liability",
  "carInsurance",
  "leasing",
  "fuel",
  "software",
  "accidentInsurance",
  "chamber",
  "broadcasting",
] as const;
export type ContractKey = (typeof CONTRACT_KEYS)[number];

interface Contract {
  creditor: string;
  /** Calendar day of collection, moved to the next business day. */
  day: number;
  /** Months of collection; null = every month. */
  months: readonly number[] | null;
  /** One contract per business, per vehicle, or per fuel card (one card per three vehicles). */
  per: "business" | "vehicle" | "fuelCard";
  onProjects: boolean;
  /** Whether the amount carries input VAT (feeds the monthly VAT return). */
  vat: boolean;
  mandatePrefix: string;
}

const CONTRACTS: Record<ContractKey, Contract> = {
  power: {
    creditor: "Stadtwerke Musterstadt GmbH",
    day: 15,
    months: null,
    per: "business",
    onProjects: false,
    vat: true,
    mandatePrefix: "SWM",
  },
  landline: {
    creditor: "Telekom Deutschland GmbH",
    day: 7,
    months: null,
    per: "business",
    onProjects: false,
    vat: true,
    mandatePrefix: "TDG",
  },
  mobile: {
    creditor: "Vodafone GmbH",
    day: 22,
    months: null,
    per: "business",
    onProjects: false,
    vat: true,
    mandatePrefix: "VF",
  },
  liability: {
    creditor: "Allianz Versicherungs-AG",
    day: 1,
    months: [1, 4, 7, 10],
    per: "business",
    onProjects: false,
    vat: false,
    mandatePrefix: "AZ",
  },
  carInsurance: {
    creditor: "HUK-COBURG Allgemeine Versicherung AG",
    day: 1,
    months: null,
    per: "vehicle",
    onProjects: true,
    vat: false,
    mandatePrefix: "HUK",
  },
  leasing: {
    creditor: "VW Leasing GmbH",
    day: 1,
    months: null,
    per: "vehicle",
    onProjects: true,
    vat: true,
    mandatePrefix: "VWL",
  },
  fuel: {
    creditor: "DKV Euro Service GmbH + Co. KG",
    day: 20,
    months: null,
    per: "fuelCard",
    onProjects: true,
    vat: true,
    mandatePrefix: "DKV",
  },
  software: {
    creditor: "DATEV eG",
    day: 18,
    months: null,
    per: "business",
    onProjects: false,
    vat: true,
    mandatePrefix: "DATEV",
  },
  accidentInsurance: {
    creditor: "BG BAU Berufsgenossenschaft der Bauwirtschaft",
    day: 15,
    months: [5],
    per: "business",
    onProjects: false,
    vat: false,
    mandatePrefix: "BGB",
  },
  chamber: {
    creditor: "Handwerkskammer Musterstadt",
    day: 15,
    months: [4],
    per: "business",
    onProjects: false,
    vat: false,
    mandatePrefix: "HWK",
  },
  broadcasting: {
    creditor: "Rundfunk ARD, ZDF, DRadio",
    day: 15,
    months: [2, 5, 8, 11],
    per: "business",
    onProjects: false,
    vat: false,
    mandatePrefix: "RBS",
  },
};

const INSURERS = ["AOK Nordost", "Techniker Krankenkasse", "BARMER"] as const;

// ---------------------------------------------------------------------------------------------------------
// Planning: accounts, cast and row counts. Counts are exact: calendar items first, the rest is filled with
// customer payments, supplier transfers and card payments.

const DEFAULT_MAIN_SHARE = 3_480;
const VARIABLE_MIX = [40, 17, 43]; // customer payments : supplier transfers : card payments, in percent
/** Handwerk is seasonal: quiet around the turn of the year and in August, busy in spring and autumn. */
const SEASON = [0.85, 0.9, 0.95, 1.05, 1.1, 1.1, 1.05, 0.92, 1.1, 1.05, 1.0, 0.88];

const POWERS = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];
/** Zero-padded decimal; the fast path avoids padStart, which showed up in profiles at a million rows. */
const pad = (n: number, width: number): string => {
  const power = POWERS[width];
  return power !== undefined && n >= 0 && n < power
    ? String(power + n).slice(1)
    : String(n).padStart(width, "0");
};

export function planDemo(input: DemoOptions): DemoPlan {
  const options = demoOptionsSchema.parse(input);
  const today = dayNumber(options.today);
  const rng = createRng(options.seed, STREAM.plan);
  const ids = createRng(options.seed, STREAM.ids);

  const { year: ty, month: tm } = ymd(today);
  const from = dayOf(ty, tm - options.months, 1);
  const months: DemoMonth[] = [];
  for (let i = 0; i <= options.months; i++) {
    const start = dayOf(ty, tm - options.months + i, 1);
    const { year, month } = ymd(start);
    const end = dayOf(year, month + 1, 1) - 1;
    const allBusinessDays: number[] = [];
    for (let d = start; d <= end; d++) if (isBusinessDay(d)) allBusinessDays.push(d);
    months.push({
      index: i,
      year,
      month,
      label: `${pad(month, 2)}/${year}`,
      allBusinessDays,
      businessDays: allBusinessDays.filter((d) => d >= from && d <= today),
    });
  }

  const scale = Math.max(options.transactions, 1) / DEMO_DEFAULTS.transactions;
  const businessId = uuid(ids);
  const psuIds = { demo: uuid(ids), clerk: uuid(ids) };

  const accounts: DemoAccount[] = [];
  const addAccount = (role: AccountRole, name: string, product: string, baseOpeningMinor: number) => {
    const index = accounts.length;
    const accountNo = `47110${pad(index + 1, 5)}`;
    accounts.push({
      index,
      role,
      id: uuid(ids),
      accountNo,
      short: pad(index + 1, 4),
      iban: ibanFromBban("DE", `${DEMO_BANK.blz}${accountNo}`),
      bic: DEMO_BANK.bic,
      currency: "EUR",
      name,
      product,
      parentId: index === 0 ? null : (accounts[0]?.id ?? null),
      baseOpeningMinor,
      planned: 0,
      vehicles: 0,
      cards: [],
    });
  };
  addAccount("main", "Geschäftskonto", PRODUCTS.business.name, 50_000_00);
  addAccount("reserve", "Rücklagen Steuern", PRODUCTS.businessSub.name, 8_000_00);
  for (let i = 1; i <= options.extraAccounts; i++) {
    addAccount("project", `Projektkonto ${pad(i, 2)}`, PRODUCTS.businessSub.name, 0);
  }

  const employeeCount = Math.max(2, Math.round(9 * scale));
  const cast: DemoCast = {
    customers: buildCustomers(rng, Math.min(50_000, Math.max(25, Math.round(25 * scale)))),
    customerCumulative: new Float64Array(0),
    suppliers: buildSuppliers(rng, Math.max(15, Math.round(15 * Math.sqrt(scale)))),
    employees: buildEmployees(rng, employeeCount, Math.min(INSURERS.length, employeeCount)),
    insurers: INSURERS.slice(0, Math.min(INSURERS.length, employeeCount)).map((name) =>
      buildCreditor(rng, name),
    ),
    creditors: Object.fromEntries(
      CONTRACT_KEYS.map((k) => [k, buildCreditor(rng, CONTRACTS[k].creditor)]),
    ) as Record<ContractKey, Creditor>,
    finanzamt: buildAuthority(rng, "Finanzamt Musterstadt"),
    stadtkasse: buildAuthority(rng, "Stadtkasse Musterstadt"),
    landlord: { ...buildCreditor(rng, "Hausverwaltung Lindner GmbH") },
    contractNumbers: Object.fromEntries(CONTRACT_KEYS.map((k) => [k, digits(rng, 10)])) as Record<
      ContractKey,
      string
    >,
  };
  cast.customerCumulative = cumulative(cast.customers.map((c) => c.weight));

  const plan: DemoPlan = {
    seed: options.seed,
    today: options.today,
    from: isoDate(from),
    to: isoDate(today),
    businessId,
    psuIds,
    accounts,
    months,
    scale,
    cast,
    variable: accounts.map(() => months.map(() => 0)),
    bookedTotal: 0,
    pendingCount: int(rng, 3, 6),
  };

  // The reserve only mirrors the main account's transfers; every other account shares the rest equally.
  const reserve = accounts[1]!;
  const reserveRows = months.reduce((n, m) => n + fixedEvents(plan, reserve, m).length, 0);
  const operating = accounts.filter((a) => a.role !== "reserve");
  const shares = apportion(
    Math.max(0, options.transactions - reserveRows),
    operating.map(() => 1),
  );
  const seasonWeights = months.map((m) => m.businessDays.length * (SEASON[m.month - 1] ?? 1));
  operating.forEach((account, i) => {
    const share = shares[i] ?? 0;
    const accountScale = share / DEFAULT_MAIN_SHARE;
    account.vehicles = Math.max(1, Math.round(3 * accountScale));
    const cardCount = Math.min(2_000, Math.max(2, Math.round(3 * accountScale)));
    const lastDigits = new Set<string>(account.role === "main" ? ["1234"] : []);
    while (lastDigits.size < cardCount) lastDigits.add(digits(rng, 4));
    account.cards = [...lastDigits].map((last) => `4871******${last}`);
    account.baseOpeningMinor ||= sweepBuffer(account);
    const fixed = months.reduce((n, m) => n + fixedEvents(plan, account, m).length, 0);
    plan.variable[account.index] = apportion(Math.max(0, share - fixed), seasonWeights);
  });
  for (const account of accounts) {
    account.planned =
      months.reduce((n, m) => n + fixedEvents(plan, account, m).length, 0) +
      (plan.variable[account.index] ?? []).reduce((s, v) => s + v, 0);
    plan.bookedTotal += account.planned;
  }
  return plan;
}

/** What a project account keeps; the surplus is swept to the main account at each month's end. */
function sweepBuffer(account: DemoAccount): number {
  return Math.max(5_000_00, Math.round((15_000_00 * account.vehicles) / 3 / 100_00) * 100_00);
}

// ---------------------------------------------------------------------------------------------------------
// The calendar items of one account in one month. Planning counts them; the generator prices them.

type FixedKind =
  | "fee"
  | "rent"
  | "salary"
  | "social"
  | "vat"
  | "wageTax"
  | "corporateTax"
  | "tradeTax"
  | "reserveTransfer"
  | "reserveWithdrawal"
  | "sweep"
  | "debit";

interface FixedEvent {
  kind: FixedKind;
  day: number;
  /** Employee, insurer, vehicle, fuel card or project account index, by kind. */
  unit: number;
  contract?: ContractKey;
}

function unitsOf(contract: Contract, account: DemoAccount): number {
  if (account.role === "reserve") return 0;
  if (account.role === "project" && !contract.onProjects) return 0;
  if (contract.per === "vehicle") return account.vehicles;
  if (contract.per === "fuelCard") return Math.ceil(account.vehicles / 3);
  return 1;
}

function fixedEvents(plan: DemoPlan, account: DemoAccount, month: DemoMonth): FixedEvent[] {
  const days = month.allBusinessDays;
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const inWindow = (day: number) => month.businessDays.includes(day);
  const on = (d: number) => nextBusinessDay(dayOf(month.year, month.month, d));
  const events: FixedEvent[] = [];
  const push = (kind: FixedKind, day: number, unit = 0, contract?: ContractKey) => {
    if (!inWindow(day)) return;
    events.push(contract ? { kind, day, unit, contract } : { kind, day, unit });
  };
  const taxDay = on(10);
  const reserveDay = nextBusinessDay(taxDay + 1);
  const quarterlyCorporate = month.month % 3 === 0;
  const quarterlyTrade = month.month % 3 === 2;

  if (account.role === "reserve") {
    push("reserveTransfer", reserveDay);
    if (quarterlyCorporate) push("reserveWithdrawal", taxDay, 0);
    if (quarterlyTrade) push("reserveWithdrawal", on(15), 1);
    return events;
  }

  push("fee", first);
  for (const key of CONTRACT_KEYS) {
    const contract = CONTRACTS[key];
    if (contract.months && !contract.months.includes(month.month)) continue;
    const units = unitsOf(contract, account);
    for (let u = 0; u < units; u++) push("debit", on(contract.day), u, key);
  }
  if (account.role === "project") {
    push("sweep", last, account.index);
    return events;
  }

  // Main account: rent, payroll, taxes, the tax reserve, and the projects' sweeps.
  push("rent", first);
  // Salaries leave the day before the health insurers collect social security (third-last business day).
  const socialDay = days[Math.max(0, days.length - 3)]!;
  const salaryDay = days[Math.max(0, days.length - 4)]!;
  for (let e = 0; e < plan.cast.employees.length; e++) push("salary", salaryDay, e);
  for (let i = 0; i < plan.cast.insurers.length; i++) push("social", socialDay, i);
  push("vat", taxDay);
  push("wageTax", taxDay);
  if (quarterlyCorporate) {
    push("corporateTax", taxDay);
    push("reserveWithdrawal", taxDay, 0);
  }
  if (quarterlyTrade) {
    push("tradeTax", on(15));
    push("reserveWithdrawal", on(15), 1);
  }
  push("reserveTransfer", reserveDay);
  for (const project of plan.accounts) if (project.role === "project") push("sweep", last, project.index);
  return events;
}

// ---------------------------------------------------------------------------------------------------------
// Generation.

/**
 * A row to come: when it is booked and what it is. A month is planned as slots, sorted, and only then turned
 * into rows, one at a time, so the rows (a kilobyte each, with their strings) die young instead of a whole
 * month of them surviving into the old generation. Measured at 1M rows: GC time 2.6 s → see the commit.
 */
interface Slot {
  /** day * 1440 + minute of the day: the booking order within the month. */
  key: number;
  kind: "customer" | "supplier" | "card" | FixedKind | "prebuilt";
  event: FixedEvent | null;
  /** A row built earlier: the other side of an internal transfer. */
  row: GeneratedTransaction | null;
}

interface MonthStats {
  receipts: number;
  vatablePurchases: number;
}

const MERCHANTS = [
  { name: "AMAZON EU SARL", city: "LUXEMBOURG", median: 45, sigma: 0.9, weight: 14 },
  { name: "ARAL STATION 281147", city: "MUSTERSTADT", median: 85, sigma: 0.3, weight: 14 },
  { name: "SHELL 10028514", city: "MUSTERSTADT", median: 80, sigma: 0.3, weight: 9 },
  { name: "BAUHAUS", city: "MUSTERSTADT", median: 60, sigma: 0.9, weight: 10 },
  { name: "HORNBACH BAUMARKT", city: "MUSTERSTADT", median: 70, sigma: 0.9, weight: 8 },
  { name: "OBI MARKT 0412", city: "MUSTERDORF", median: 40, sigma: 0.8, weight: 6 },
  { name: "WUERTH NIEDERLASSUNG", city: "MUSTERSTADT", median: 55, sigma: 0.8, weight: 6 },
  { name: "DB VERTRIEB GMBH", city: "FRANKFURT", median: 90, sigma: 0.6, weight: 3 },
  { name: "LIDL SAGT DANKE", city: "MUSTERSTADT", median: 18, sigma: 0.6, weight: 6 },
  { name: "REWE MARKT GMBH", city: "MUSTERSTADT", median: 22, sigma: 0.6, weight: 5 },
  { name: "MCDONALDS 1234", city: "MUSTERSTADT", median: 14, sigma: 0.4, weight: 4 },
  { name: "BAECKEREI KAMPS", city: "MUSTERSTADT", median: 9, sigma: 0.4, weight: 5 },
  { name: "APCOA PARKING", city: "MUSTERSTADT", median: 6, sigma: 0.5, weight: 4 },
  { name: "GOOGLE *WORKSPACE", city: "DUBLIN", median: 13.8, sigma: 0, weight: 1 },
  { name: "ADOBE *CREATIVE CLOUD", city: "DUBLIN", median: 29.74, sigma: 0, weight: 1 },
  { name: "MICROSOFT*365", city: "DUBLIN", median: 12.6, sigma: 0, weight: 1 },
  { name: "IKEA DEUTSCHLAND", city: "MUSTERSTADT", median: 120, sigma: 0.8, weight: 2 },
  { name: "MEDIAMARKT", city: "MUSTERSTADT", median: 150, sigma: 1.0, weight: 2 },
  { name: "BOOKING.COM", city: "AMSTERDAM", median: 110, sigma: 0.4, weight: 1 },
  { name: "RESTAURANT ZUM ADLER", city: "MUSTERSTADT", median: 65, sigma: 0.5, weight: 3 },
] as const;
const MERCHANT_WEIGHTS = cumulative(MERCHANTS.map((m) => m.weight));

const POSITIONS = 1_048_576;

const ROMAN = ["I", "II", "III", "IV"] as const;

/** Minute of the day each calendar item is booked at; only their order within a day matters. */
const MINUTE: Record<FixedKind, number> = {
  fee: 30,
  debit: 60,
  social: 70,
  rent: 90,
  salary: 200,
  reserveWithdrawal: 250,
  vat: 300,
  wageTax: 301,
  corporateTax: 302,
  tradeTax: 302,
  reserveTransfer: 1100,
  sweep: 1400,
};

/** Rough mean of a customer payment, used only to estimate the month before the window (its VAT and reserve). */
const MEAN_RECEIPT_MINOR = 1_150_00;

/**
 * Streams the booked history, then the pending card payments. Month by month; within a month one account
 * after the other, each account's rows in booking order, so the bank's (booking_date, seq) paging order is
 * chronological. Deterministic for a given plan and rng state; memory stays at one account-month of slots.
 */
export function* generateTransactions(
  rng: Rng,
  plan: DemoPlan,
): Generator<GeneratedTransaction, void, undefined> {
  const { accounts, cast } = plan;
  const main = accounts[0]!;
  const reserve = accounts[1]!;
  const counters = accounts.map(() => 0);
  const balances = accounts.map(() => 0);
  const invoiceCounters = new Map<number, number>();
  const supplierCounters = new Map<number, number>();
  const supplierWeights = cumulative(cast.suppliers.map((s) => s.weight));
  let outgoingRef = 0;
  const fromYear = Number(plan.from.slice(0, 4));
  const fromMonth = Number(plan.from.slice(5, 7));
  const customerShare = (VARIABLE_MIX[0] ?? 0) / 100;
  const customersIn = (m: DemoMonth) =>
    plan.variable.reduce((n, row) => n + (row[m.index] ?? 0), 0) * customerShare;
  const customerRowsPerMonth =
    plan.months.reduce((n, m) => n + customersIn(m), 0) / Math.max(1, plan.months.length);
  const firstMonth = plan.months[0];
  // The month before the window, estimated, so the first VAT payment and reserve transfer look like the rest.
  let previous: MonthStats = {
    receipts: (firstMonth ? customersIn(firstMonth) : 0) * MEAN_RECEIPT_MINOR,
    vatablePurchases: (firstMonth ? customersIn(firstMonth) : 0) * MEAN_RECEIPT_MINOR * 0.45,
  };

  const nextInvoice = (year: number): number => {
    let n = invoiceCounters.get(year);
    if (n === undefined) {
      // The business did not start with our window: its invoice numbers for that year are already running.
      const monthsBefore = year === fromYear ? fromMonth - 1 : year < fromYear ? 11 : 0;
      n = Math.round(customerRowsPerMonth * monthsBefore);
    }
    n += 1;
    invoiceCounters.set(year, n);
    return n;
  };

  const base = (
    account: DemoAccount,
    category: DemoCategory,
    day: number,
    amount: number,
    coding: Coding,
  ) => {
    const date = isoDate(day);
    const row: GeneratedTransaction = {
      category,
      account_id: account.id,
      transaction_id: "",
      entry_reference: null,
      status: "booked",
      booking_date: date,
      value_date: date,
      amount_minor: amount,
      currency: account.currency,
      counterparty_name: null,
      counterparty_iban: null,
      counterparty_bic: null,
      remittance: null,
      end_to_end_id: null,
      mandate_id: null,
      creditor_id: null,
      bank_transaction_code: coding.btc,
      proprietary_code: coding.gvc,
      booking_text: coding.text,
    };
    return row;
  };

  const withParty = (row: GeneratedTransaction, party: Party) => {
    row.counterparty_name = party.name;
    row.counterparty_iban = party.iban;
    row.counterparty_bic = party.bic;
    return row;
  };

  // --- customers, suppliers, cards ------------------------------------------------------------------------

  const customerPayment = (account: DemoAccount, day: number, stat: MonthStats): GeneratedTransaction => {
    const customer = cast.customers[pickCumulative(rng, cast.customerCumulative)]!;
    const issued = day - int(rng, 5, 45);
    const year = ymd(issued).year;
    const n = nextInvoice(year);
    const grossOf = () => Math.round(Math.min(40_000, logNormal(rng, 780, 0.75)) * 119);
    let amount = grossOf();
    const style = chance(rng, 0.8) ? customer.style : int(rng, 0, 9);
    const e2eRoll = rng();
    const e2e =
      e2eRoll < 0.45
        ? "NOTPROVIDED"
        : e2eRoll < 0.65
          ? `RE-${year}-${pad(n, 4)}`
          : e2eRoll < 0.85
            ? `${compactDate(day)}${digits(rng, 10)}`
            : hex(rng, 24).toUpperCase();
    const roll = rng();
    let remittance: string;
    if (roll < 0.72) {
      remittance = invoiceReference(style, year, n, issued, customer, e2e);
    } else if (roll < 0.82) {
      // Paid within the discount period, less 2 % Skonto.
      amount = Math.round(amount * 0.98);
      remittance =
        style === 4 || style === 8
          ? invoiceReference(style, year, n, issued, customer, e2e)
          : `${invoiceReference(style === 9 ? 0 : style, year, n, issued, customer, e2e)} ${pick(rng, SKONTO)}`;
    } else if (roll < 0.87) {
      const m = nextInvoice(year);
      amount += grossOf();
      remittance = pick(rng, [
        `RE-${year}-${pad(n, 4)}, RE-${year}-${pad(m, 4)}`,
        `Rechnungen ${year}-${pad(n, 3)} und ${year}-${pad(m, 3)}`,
        `Rg.Nr. ${n} u. ${m}`,
        `${customer.number} RE-${year}-${pad(n, 4)} RE-${year}-${pad(m, 4)}`,
      ]);
    } else if (roll < 0.92) {
      amount = Math.max(100_00, Math.round((amount * pick(rng, [0.3, 0.5])) / 100) * 100);
      remittance = pick(rng, [
        `Abschlag RE-${year}-${pad(n, 4)}`,
        `Teilzahlung Rechnung ${year}-${pad(n, 3)}`,
        `1. Rate Rg.Nr. ${n}`,
      ]);
    } else {
      remittance = pick(rng, [
        `Rechnung vom ${germanDate(issued)}`,
        "Danke für die schnelle Reparatur!",
        `Bauvorhaben ${pick(rng, SITES)}`,
        customer.number,
        "Handwerkerleistung",
      ]);
    }
    stat.receipts += amount;
    const row = withParty(base(account, "customer_payment", day, amount, CODES.sepaCredit), customer);
    row.remittance = remittance;
    row.end_to_end_id = e2e;
    if (chance(rng, 0.05)) row.value_date = isoDate(day - 1);
    return row;
  };

  const supplierPayment = (account: DemoAccount, day: number, stat: MonthStats): GeneratedTransaction => {
    const index = pickCumulative(rng, supplierWeights);
    const supplier = cast.suppliers[index]!;
    const counter = (supplierCounters.get(index) ?? int(rng, 1_000, 90_000)) + int(rng, 1, 40);
    supplierCounters.set(index, counter);
    const number = supplierInvoiceNumber(supplier.invoiceFormat, ymd(day).year, counter);
    let amount = Math.max(
      100,
      Math.round(Math.min(25_000, logNormal(rng, supplier.median, supplier.sigma)) * 100),
    );
    let remittance: string;
    switch (int(rng, 0, 4)) {
      case 0:
        remittance = `Rechnung ${number}`;
        break;
      case 1:
        remittance = `Re. ${number} Kd-Nr. ${supplier.ourNumber}`;
        break;
      case 2:
        remittance = number;
        break;
      case 3:
        remittance = `RG ${number} vom ${germanDate(day - int(rng, 3, 30))}`;
        break;
      default:
        remittance = `Kundennr ${supplier.ourNumber} Rechnung ${number}`;
    }
    if (chance(rng, 0.15)) {
      amount = Math.round(amount * 0.97);
      remittance += " abzgl. 3% Skonto";
    }
    stat.vatablePurchases += amount;
    const row = withParty(base(account, "supplier_payment", day, -amount, CODES.sepaTransfer), supplier);
    row.remittance = remittance;
    outgoingRef += 1;
    row.end_to_end_id = chance(rng, 0.4)
      ? "NOTPROVIDED"
      : `MH-${compactDate(day)}-${pad(outgoingRef % 10_000, 4)}`;
    return row;
  };

  const cardPayment = (
    account: DemoAccount,
    day: number,
    stat: MonthStats | null,
    status: BookingStatus,
  ): GeneratedTransaction => {
    // Booked one to three days after the purchase, with the purchase date as value date; pending ones are
    // dated on the purchase day.
    const purchased = status === "booked" ? day - int(rng, 1, 3) : day;
    const pan = pick(rng, account.cards);
    const roll = rng();
    let row: GeneratedTransaction;
    if (roll < 0.015 && status === "booked") {
      const amount = int(rng, 2, 10) * 50_00;
      row = base(account, "card", day, -amount, CODES.cash);
      row.counterparty_name = "Sparkasse Musterstadt";
      row.remittance = `VISA Debit ${pan} Bargeldauszahlung GA SPK MUSTERSTADT ${germanDate(purchased)}`;
    } else {
      const merchant = MERCHANTS[pickCumulative(rng, MERCHANT_WEIGHTS)]!;
      const amount = Math.max(
        50,
        Math.round(Math.min(3_000, logNormal(rng, merchant.median, merchant.sigma)) * 100),
      );
      const refund = roll < 0.035 && status === "booked";
      row = base(account, "card", day, refund ? amount : -amount, refund ? CODES.cardRefund : CODES.card);
      row.counterparty_name = merchant.name;
      const text = chance(rng, 0.6)
        ? `VISA Debit ${pan} ${merchant.name}`
        : `VISA Debit ${pan} ${merchant.name} ${merchant.city} ${germanDate(purchased)}`;
      row.remittance = refund ? `Gutschrift ${text}` : text;
      if (stat) stat.vatablePurchases += refund ? -amount : amount;
    }
    row.status = status;
    row.value_date = isoDate(purchased);
    return row;
  };

  // --- calendar items -------------------------------------------------------------------------------------

  /** Both sides of a transfer between two of the business's accounts: same day, same text, same E2E id. */
  const internal = (
    from: DemoAccount,
    to: DemoAccount,
    day: number,
    amount: number,
    remittance: string,
  ): [GeneratedTransaction, GeneratedTransaction] => {
    const e2e = `UMB-${compactDate(day)}-${from.short}${to.short}`;
    const out = withParty(base(from, "internal_transfer", day, -amount, CODES.bookOut), {
      name: DEMO_BUSINESS_NAME,
      iban: to.iban,
      bic: to.bic,
    });
    const inn = withParty(base(to, "internal_transfer", day, amount, CODES.bookIn), {
      name: DEMO_BUSINESS_NAME,
      iban: from.iban,
      bic: from.bic,
    });
    out.remittance = remittance;
    inn.remittance = remittance;
    out.end_to_end_id = e2e;
    inn.end_to_end_id = e2e;
    return [out, inn];
  };

  const debit = (account: DemoAccount, event: FixedEvent, month: DemoMonth, stat: MonthStats) => {
    const key = event.contract!;
    const contract = CONTRACTS[key];
    const creditor = cast.creditors[key];
    const number = cast.contractNumbers[key];
    const plate = `MU-HW ${pad(100 + account.index * 1000 + event.unit, 3)}`;
    let amount: number;
    let remittance: string;
    switch (key) {
      case "power":
        amount = 412_00 + (month.year - 2020) * 12_00;
        remittance = `Abschlag Strom/Gas ${month.label} Vertragskonto ${number}`;
        break;
      case "landline":
        amount = 89_95 + int(rng, 0, 4) * 2_49;
        remittance = `Festnetz/Internet Kd-Nr. ${number.slice(0, 9)} RG ${month.year}${pad(month.month, 2)}${number.slice(6)}`;
        break;
      case "mobile":
        amount = Math.round(cast.employees.length * 19_99 * (1 + normal(rng) * 0.03));
        remittance = `Mobilfunk Kundennr. ${number.slice(0, 8)} Rechnung vom ${germanDate(event.day - 9)}`;
        break;
      case "liability":
        amount = Math.max(1_240_50, Math.round(1_240_50 * plan.scale));
        remittance = `Betriebshaftpflicht Vers.-Nr. AS-${number.slice(0, 8)} Beitrag ${ROMAN[Math.floor((month.month - 1) / 3)]}/${month.year}`;
        break;
      case "carInsurance":
        amount = 96_40 + (event.unit % 7) * 4_15;
        remittance = `Kfz-Versicherung ${plate} Vers.-Nr. ${number.slice(0, 7)}-${pad(event.unit + 1, 3)} ${month.label}`;
        break;
      case "leasing":
        amount = 489_00 + (event.unit % 5) * 35_00;
        remittance = `Leasingrate ${month.label} Vertrag ${number.slice(2, 9)}${pad(event.unit + 1, 3)} ${plate}`;
        break;
      case "fuel":
        amount = Math.max(50_00, Math.round(logNormal(rng, 700, 0.25) * 100));
        remittance = `Tankkarten-Abrechnung ${month.label} Kunde ${number.slice(0, 7)} Karte ${pad(event.unit + 1, 3)}`;
        break;
      case "software":
        amount = 85_60 + int(rng, 0, 3) * 6_90;
        remittance = `DATEV Rechnung ${month.year}${pad(month.month, 2)}${number.slice(0, 5)} Berater-Nr. ${number.slice(5)}`;
        break;
      case "accidentInsurance":
        amount = Math.max(2_800_00, Math.round(2_800_00 * plan.scale));
        remittance = `Beitrag ${month.year - 1} Mitglieds-Nr. ${number.slice(0, 9)}`;
        break;
      case "chamber":
        amount = 380_00;
        remittance = `Kammerbeitrag ${month.year} Betriebs-Nr. ${number.slice(0, 6)}`;
        break;
      case "broadcasting":
        amount = 55_08 * Math.max(1, Math.ceil(cast.employees.length / 20));
        remittance = `Beitragsnummer ${number.slice(0, 9)} ${pad(month.month, 2)}.${month.year}-${pad(month.month + 2, 2)}.${month.year}`;
        break;
    }
    if (contract.vat) stat.vatablePurchases += amount;
    const row = withParty(base(account, "direct_debit", event.day, -amount, CODES.directDebit), creditor);
    row.remittance = remittance;
    row.creditor_id = creditor.creditorId;
    row.mandate_id = `${contract.mandatePrefix}-${number.slice(0, 6)}-${account.short}${pad(event.unit + 1, 4)}`;
    row.end_to_end_id = chance(rng, 0.05)
      ? "NOTPROVIDED"
      : `${contract.mandatePrefix}${month.year}${pad(month.month, 2)}${digits(rng, 8)}`;
    return row;
  };

  const fee = (account: DemoAccount, event: FixedEvent, month: DemoMonth) => {
    const lastDay = dayOf(month.year, month.month, 0);
    const amount = account.role === "main" ? 29_00 + Math.round(plan.scale * 1_50) : 9_00;
    const row = base(account, "fee", event.day, -amount, CODES.fee);
    row.remittance = `Kontoführungsgebühr ${isoDate(lastDay).slice(5, 7)}/${isoDate(lastDay).slice(0, 4)} Tarif Smart`;
    row.value_date = isoDate(lastDay);
    return row;
  };

  // --- months ---------------------------------------------------------------------------------------------

  /** Slots for an operating account's month: customers, suppliers and cards, plus its calendar items. */
  const slotsFor = (account: DemoAccount, month: DemoMonth, events: FixedEvent[]): Slot[] => {
    const slots: Slot[] = [];
    const [customers = 0, suppliers = 0, cards = 0] = apportion(
      plan.variable[account.index]?.[month.index] ?? 0,
      VARIABLE_MIX,
    );
    const days = month.businessDays;
    const add = (kind: Slot["kind"], min: number, max: number) =>
      slots.push({ key: pick(rng, days) * 1440 + int(rng, min, max), kind, event: null, row: null });
    for (let i = 0; i < customers; i++) add("customer", 360, 1000);
    for (let i = 0; i < suppliers; i++) add("supplier", 420, 1000);
    for (let i = 0; i < cards; i++) add("card", 300, 1300);
    for (const event of events) {
      // The main account's share of a project's sweep arrives prebuilt from that project.
      if (account.role === "main" && event.kind === "sweep") continue;
      slots.push({ key: event.day * 1440 + MINUTE[event.kind], kind: event.kind, event, row: null });
    }
    return slots;
  };

  /** Sorts a month's slots into booking order (ties keep insertion order), builds and numbers each row. */
  function* emit(
    account: DemoAccount,
    slots: Slot[],
    build: (slot: Slot) => GeneratedTransaction,
  ): Generator<GeneratedTransaction, void, undefined> {
    // A numeric sort of key·2^20 + position: stable, and no comparator call per comparison (~2× faster).
    // A month of one account beyond 2^20 rows (≈ 13M a year) takes the comparator path.
    let ordered: Iterable<Slot>;
    if (slots.length < POSITIONS) {
      const order = new Float64Array(slots.length);
      for (let i = 0; i < slots.length; i++) order[i] = slots[i]!.key * POSITIONS + i;
      order.sort();
      ordered = Array.from(order, (packed) => slots[packed % POSITIONS]!);
    } else {
      ordered = slots.sort((a, b) => a.key - b.key);
    }
    const index = account.index;
    for (const slot of ordered) {
      const row = slot.row ?? build(slot);
      const n = (counters[index] ?? 0) + 1;
      counters[index] = n;
      row.transaction_id = `TX-${account.short}-${pad(n, 7)}`;
      row.entry_reference = `${compactDate(Math.floor(slot.key / 1440))}${account.short}${pad(n, 7)}`;
      balances[index] = (balances[index] ?? 0) + row.amount_minor;
      yield row;
    }
  }

  for (const month of plan.months) {
    const stat: MonthStats = { receipts: 0, vatablePurchases: 0 };
    const toMain: Slot[] = [];
    const toReserve: Slot[] = [];

    // Projects first: their month-end sweeps land on the main account.
    for (const project of accounts) {
      if (project.role !== "project") continue;
      const events = fixedEvents(plan, project, month);
      yield* emit(project, slotsFor(project, month, events), (slot) => {
        switch (slot.kind) {
          case "customer":
            return customerPayment(project, Math.floor(slot.key / 1440), stat);
          case "supplier":
            return supplierPayment(project, Math.floor(slot.key / 1440), stat);
          case "card":
            return cardPayment(project, Math.floor(slot.key / 1440), stat, "booked");
          case "debit":
            return debit(project, slot.event!, month, stat);
          case "fee":
            return fee(project, slot.event!, month);
          case "sweep": {
            // Booked last in the month: the running sum is the month's surplus above the buffer.
            const day = slot.event!.day;
            const surplus = balances[project.index] ?? 0;
            const amount = Math.max(100_00, Math.floor(Math.abs(surplus) / 100_00) * 100_00);
            const [own, other] =
              surplus >= 100_00
                ? internal(project, main, day, amount, `Umbuchung Überschuss ${project.name} ${month.label}`)
                : internal(
                    main,
                    project,
                    day,
                    amount,
                    `Umbuchung Liquidität ${project.name} ${month.label}`,
                  ).reverse();
            toMain.push({ key: slot.key, kind: "prebuilt", event: null, row: other! });
            return own!;
          }
          default:
            throw new Error(`unexpected ${slot.kind} on a project account`);
        }
      });
    }

    // The main account: its own trade, payroll, taxes and the tax reserve, plus the projects' sweeps.
    const payroll = payrollOf(cast.employees, month);
    const corporateTax = Math.max(100_00, Math.round((1_800_00 * plan.scale) / 100_00) * 100_00);
    const tradeTax = Math.max(100_00, Math.round((1_500_00 * plan.scale) / 100_00) * 100_00);
    const lastDay = ymd(dayOf(month.year, month.month, 0));
    const lastLabel = `${pad(lastDay.month, 2)}/${lastDay.year}`;
    const quarter = `${ROMAN[Math.floor((month.month - 1) / 3)]}/${month.year}`;
    const taxRow = (day: number, amount: number, party: Party, remittance: string) => {
      const row = withParty(base(main, "tax", day, -amount, CODES.sepaTransfer), party);
      row.remittance = remittance;
      row.end_to_end_id = "NOTPROVIDED";
      return row;
    };
    const mainSlots = slotsFor(main, month, fixedEvents(plan, main, month)).concat(toMain);
    yield* emit(main, mainSlots, (slot) => {
      const day = Math.floor(slot.key / 1440);
      const event = slot.event;
      switch (slot.kind) {
        case "customer":
          return customerPayment(main, day, stat);
        case "supplier":
          return supplierPayment(main, day, stat);
        case "card":
          return cardPayment(main, day, stat, "booked");
        case "debit":
          return debit(main, event!, month, stat);
        case "fee":
          return fee(main, event!, month);
        case "rent": {
          const amount = Math.max(3_450_00, Math.round((3_450_00 * plan.scale) / 100) * 100);
          const row = withParty(
            base(main, "supplier_payment", day, -amount, CODES.standingOrder),
            cast.landlord,
          );
          row.remittance = `Miete Werkstatt Industriestr. 7 ${month.label}`;
          row.end_to_end_id = "NOTPROVIDED";
          return row;
        }
        case "salary": {
          const employee = cast.employees[event!.unit]!;
          const bonus = month.month === 11;
          const row = withParty(
            base(main, "salary", day, -netPay(rng, employee, event!.unit === 0, bonus), CODES.salary),
            employee,
          );
          row.remittance = bonus
            ? `LOHN/GEHALT ${month.label} INKL. WEIHNACHTSGELD`
            : `LOHN/GEHALT ${month.label}`;
          row.end_to_end_id = chance(rng, 0.3)
            ? "NOTPROVIDED"
            : `LG${month.year}${pad(month.month, 2)}${employee.personnelNo}`;
          return row;
        }
        case "social": {
          // Health insurers collect employer and employee social security contributions by direct debit.
          const insurer = cast.insurers[event!.unit]!;
          const amount = Math.max(1_00, Math.round((payroll.byInsurer[event!.unit] ?? 0) * 0.41));
          const row = withParty(base(main, "direct_debit", day, -amount, CODES.directDebit), insurer);
          row.remittance = `Beitragsnachweis ${month.label} Betriebsnr. ${insurer.creditorId.slice(-8)}`;
          row.creditor_id = insurer.creditorId;
          row.mandate_id = `SV-${insurer.creditorId.slice(-6)}-${main.short}`;
          row.end_to_end_id = `SV${month.year}${pad(month.month, 2)}${insurer.creditorId.slice(-6)}`;
          return row;
        }
        case "vat": {
          // Umsatzsteuer-Vorauszahlung for last month: output VAT on receipts less input VAT on purchases.
          const amount = Math.round(((previous.receipts - previous.vatablePurchases) * 19) / 119) || 1_00;
          if (amount > 0)
            return taxRow(day, amount, cast.finanzamt, `Steuernr ${TAX_NUMBER} USt-VA ${lastLabel}`);
          const row = withParty(base(main, "tax", day, -amount, CODES.sepaCredit), cast.finanzamt);
          row.remittance = `Erstattung USt ${lastLabel} StNr ${TAX_NUMBER}`;
          row.end_to_end_id = `FA${compactDate(day)}${digits(rng, 8)}`;
          return row;
        }
        case "wageTax":
          return taxRow(
            day,
            Math.max(1_00, Math.round(payroll.previousGross * 0.15)),
            cast.finanzamt,
            `Steuernr ${TAX_NUMBER} LSt ${lastLabel}`,
          );
        case "corporateTax":
          return taxRow(day, corporateTax, cast.finanzamt, `Steuernr ${TAX_NUMBER} KSt-VZ ${quarter}`);
        case "tradeTax":
          return taxRow(
            day,
            tradeTax,
            cast.stadtkasse,
            `Kassenzeichen 5.123.${TAX_NUMBER.slice(-5)}.7 GewSt-VZ ${germanDate(day)}`,
          );
        case "reserveWithdrawal": {
          const corporate = event!.unit === 0;
          const [out, inn] = internal(
            reserve,
            main,
            day,
            corporate ? corporateTax : tradeTax,
            corporate ? `Entnahme Rücklage KSt-VZ ${quarter}` : `Entnahme Rücklage GewSt-VZ ${quarter}`,
          );
          toReserve.push({ key: slot.key, kind: "prebuilt", event: null, row: out });
          return inn;
        }
        case "reserveTransfer": {
          const amount = Math.max(100_00, Math.round((previous.receipts * 0.04) / 100_00) * 100_00);
          const [out, inn] = internal(main, reserve, day, amount, `Rücklage Steuern ${lastLabel}`);
          toReserve.push({ key: slot.key, kind: "prebuilt", event: null, row: inn });
          return out;
        }
        default:
          throw new Error(`unexpected ${slot.kind} on the main account`);
      }
    });

    yield* emit(reserve, toReserve, (slot) => {
      throw new Error(`unexpected ${slot.kind} on the reserve account`);
    });
    previous = stat;
  }

  // Card payments from today and yesterday that the card processor has not settled yet.
  const today = dayNumber(plan.today);
  for (let i = 0; i < plan.pendingCount; i++) {
    const row = cardPayment(main, today - (i % 2), null, "pending");
    counters[main.index] = (counters[main.index] ?? 0) + 1;
    row.transaction_id = `TX-${main.short}-${pad(counters[main.index] ?? 0, 7)}`;
    yield row;
  }
}

const SKONTO = ["abzgl. 2% Skonto", "./. 2 % Skonto", "minus Skonto"] as const;
const SITES = ["Goethestr. 14", "Lindenallee 3", "Am Markt 7", "Schulweg 22"] as const;

const TAX_NUMBER = "27/612/04711";

/** The demo business's invoice reference in one of the styles customers really use. */
function invoiceReference(
  style: number,
  year: number,
  n: number,
  issued: number,
  customer: Customer,
  e2e: string,
): string {
  switch (style) {
    case 0:
      return `RE-${year}-${pad(n, 4)}`;
    case 1:
      return `Rechnung RE-${year}-${pad(n, 4)}`;
    case 2:
      return `Rechnung ${year}-${pad(n, 3)}`;
    case 3:
      return `Rg.Nr. ${n} vom ${germanDate(issued)}`;
    case 4:
      return `SVWZ+RE ${year} ${pad(n, 4)} EREF+${e2e}`;
    case 5:
      return `RE-${year}-${pad(n, 4)} Kd-Nr. ${customer.number}`;
    case 6:
      return `Re.Nr. RE${year}${pad(n, 4)} ${customer.name.slice(0, 27)}`;
    case 7:
      return `${customer.number} / RE-${year}-${pad(n, 4)}`;
    case 8:
      // ISO 11649 structured creditor reference; its check digits are computed like an IBAN's.
      return ibanFromBban("RF", `RE${year}${pad(n, 4)}`);
    default:
      return `Rechnung vom ${germanDate(issued)} RE ${year}/${n}`;
  }
}

function supplierInvoiceNumber(format: number, year: number, counter: number): string {
  switch (format) {
    case 0:
      return `R${pad(counter, 6)}`;
    case 1:
      return `${year}-${pad(counter, 5)}`;
    case 2:
      return `INV-${year}${pad(counter, 6)}`;
    default:
      return `${counter}/${String(year).slice(2)}`;
  }
}

function payrollOf(employees: Employee[], month: DemoMonth) {
  const byInsurer: number[] = [];
  let gross = 0;
  for (const e of employees) {
    const g = month.month === 11 ? Math.round(e.grossMonthlyMinor * 1.5) : e.grossMonthlyMinor;
    byInsurer[e.insurer] = (byInsurer[e.insurer] ?? 0) + g;
    gross += g;
  }
  // Wage tax is paid on the 10th for the month before; November's bonus shows up in December's payment.
  const previousGross = month.month === 12 ? Math.round(gross * 1.5) : gross;
  return { byInsurer, gross, previousGross };
}

function netPay(rng: Rng, employee: Employee, director: boolean, bonus: boolean): number {
  const net = employee.grossMonthlyMinor * 0.64;
  // Hourly staff's pay moves a little with overtime; the director's salary is fixed.
  const overtime = director ? 0 : Math.round(Math.max(-1, normal(rng)) * 40_00);
  return (
    Math.round((net + overtime + (bonus ? net * 0.5 : 0)) / 100) * 100 + (director ? 0 : int(rng, 0, 99))
  );
}
