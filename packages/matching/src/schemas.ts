/**
 * The matching dataset (input of `kontor match`, contract in shared/DESIGN.md) parsed with zod at the
 * edge. Amounts become integer minor units and dates become day numbers here, so the engine inside only
 * does integer arithmetic. Every problem is reported with the JSON path of the bad field, e.g.
 * `documents[3].openAmount: "12,50" is not a decimal amount`.
 */
import { isCurrency, MoneyError, parseAmount } from "@kontor/money";
import { z } from "zod";

/**
 * Days since 1970-01-01 for a valid `YYYY-MM-DD`, or null when the text is not a real calendar date.
 * Plain arithmetic (days from civil, proleptic Gregorian) instead of a Date object per date: a dataset
 * of 100k lines and 100k documents has ~300k dates, and the Date round trip cost ~0.4 s of them.
 */
export function dayNumber(text: string): number | null {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return null;
  const y = digitsAt(text, 0, 4);
  const m = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  // Years before 100 were never accepted (Date.UTC reads them as 19xx); no bank line is that old.
  if (y < 100 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  // Howard Hinnant's days_from_civil.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The number written by `length` ASCII digits at `from`, or −1 if any is not a digit. */
function digitsAt(text: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

const dateSchema = z
  .string()
  .refine((s) => dayNumber(s) !== null, { message: "expected a calendar date YYYY-MM-DD" });
const currencySchema = z
  .string()
  .refine(isCurrency, { message: "expected an ISO 4217 currency code such as EUR" });
const optionalText = z.string().optional();
const idSchema = z.string().min(1, "must not be empty");
const percentSchema = z
  .string()
  .regex(/^\d{1,2}(\.\d{1,2})?$/, 'expected a percentage below 100 as decimal text, e.g. "2" or "2.5"');

const rawTransactionSchema = z.object({
  id: idSchema,
  bookingDate: dateSchema,
  amount: z.string(),
  currency: currencySchema,
  counterpartyName: optionalText,
  counterpartyIban: optionalText,
  remittanceInformation: optionalText,
  endToEndId: optionalText,
});

const rawDocumentSchema = z.object({
  id: idSchema,
  kind: z.enum(["sales_invoice", "purchase_invoice", "receipt"]),
  number: optionalText,
  issueDate: dateSchema,
  dueDate: dateSchema.optional(),
  openAmount: z.string(),
  currency: currencySchema,
  contactName: optionalText,
  contactIban: optionalText,
  customerNumber: optionalText,
  paymentReference: optionalText,
  cashDiscount: z.object({ percent: percentSchema, until: dateSchema }).optional(),
});

/** Adds an issue at `path` when `text` is not an amount of `currency`; returns the minor units otherwise. */
function checkAmount(
  ctx: z.RefinementCtx,
  text: string,
  currency: string,
  path: string,
  positive: boolean,
): number | undefined {
  if (!isCurrency(currency)) return undefined; // reported on the currency field already
  try {
    const minor = parseAmount(text, currency);
    if (positive && minor <= 0) {
      ctx.addIssue({ code: "custom", path: [path], message: `must be a positive amount, got "${text}"` });
      return undefined;
    }
    if (!positive && minor === 0) {
      ctx.addIssue({ code: "custom", path: [path], message: "must not be zero" });
      return undefined;
    }
    return minor;
  } catch (error) {
    if (!(error instanceof MoneyError)) throw error;
    ctx.addIssue({ code: "custom", path: [path], message: error.message });
    return undefined;
  }
}

export const datasetSchema = z
  .object({
    transactions: z.array(
      rawTransactionSchema.superRefine((t, ctx) => {
        checkAmount(ctx, t.amount, t.currency, "amount", false);
      }),
    ),
    documents: z.array(
      rawDocumentSchema.superRefine((d, ctx) => {
        checkAmount(ctx, d.openAmount, d.currency, "openAmount", true);
        if (d.cashDiscount && Number(d.cashDiscount.percent) >= 100) {
          ctx.addIssue({ code: "custom", path: ["cashDiscount", "percent"], message: "must be below 100" });
        }
      }),
    ),
  })
  .superRefine((data, ctx) => {
    for (const key of ["transactions", "documents"] as const) {
      const seen = new Map<string, number>();
      data[key].forEach((item, i) => {
        const first = seen.get(item.id);
        if (first !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: [key, i, "id"],
            message: `duplicate id "${item.id}" (first used at ${key}[${first}])`,
          });
        } else seen.set(item.id, i);
      });
    }
  });

export type RawDataset = z.infer<typeof datasetSchema>;
export type DocumentKind = z.infer<typeof rawDocumentSchema>["kind"];

export interface Transaction {
  id: string;
  bookingDate: string;
  day: number;
  /** Signed minor units: + money in, − money out. */
  amount: number;
  currency: string;
  counterpartyName?: string;
  counterpartyIban?: string;
  remittanceInformation?: string;
  endToEndId?: string;
}

export interface MatchDocument {
  id: string;
  kind: DocumentKind;
  number?: string;
  issueDate: string;
  issueDay: number;
  dueDay?: number;
  /** Positive minor units. */
  openAmount: number;
  currency: string;
  contactName?: string;
  contactIban?: string;
  customerNumber?: string;
  paymentReference?: string;
  /** Percent in basis points (2 % → 200) and the last day (day number) it may be taken. */
  cashDiscount?: { basisPoints: number; untilDay: number };
}

export interface Dataset {
  transactions: Transaction[];
  documents: MatchDocument[];
}

export interface InputIssue {
  /** JSON path of the bad field, e.g. `documents[3].openAmount`. */
  path: string;
  message: string;
}

export class MatchingInputError extends Error {
  override name = "MatchingInputError";
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[]) {
    const shown = issues.slice(0, 10).map((i) => `${i.path}: ${i.message}`);
    if (issues.length > 10) shown.push(`… and ${issues.length - 10} more`);
    super(`invalid matching dataset:\n  ${shown.join("\n  ")}`);
    this.issues = issues;
  }
}

/** `["documents", 3, "openAmount"]` → `documents[3].openAmount` */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

function basisPoints(percent: string): number {
  const [whole = "0", fraction = ""] = percent.split(".");
  return Number(whole) * 100 + Number(fraction.padEnd(2, "0"));
}

/** Parses and validates a matching dataset; throws MatchingInputError naming every bad field. */
export function parseDataset(input: unknown): Dataset {
  const parsed = datasetSchema.safeParse(input);
  if (!parsed.success) {
    throw new MatchingInputError(
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    );
  }
  return toDataset(parsed.data);
}

function toDataset(raw: RawDataset): Dataset {
  const transactions = raw.transactions.map((t): Transaction => {
    const out: Transaction = {
      id: t.id,
      bookingDate: t.bookingDate,
      day: dayNumber(t.bookingDate)!,
      amount: parseAmount(t.amount, t.currency),
      currency: t.currency,
    };
    if (t.counterpartyName !== undefined) out.counterpartyName = t.counterpartyName;
    if (t.counterpartyIban !== undefined) out.counterpartyIban = t.counterpartyIban;
    if (t.remittanceInformation !== undefined) out.remittanceInformation = t.remittanceInformation;
    if (t.endToEndId !== undefined) out.endToEndId = t.endToEndId;
    return out;
  });
  const documents = raw.documents.map((d): MatchDocument => {
    const out: MatchDocument = {
      id: d.id,
      kind: d.kind,
      issueDate: d.issueDate,
      issueDay: dayNumber(d.issueDate)!,
      openAmount: parseAmount(d.openAmount, d.currency),
      currency: d.currency,
    };
    if (d.number !== undefined) out.number = d.number;
    if (d.dueDate !== undefined) out.dueDay = dayNumber(d.dueDate)!;
    if (d.contactName !== undefined) out.contactName = d.contactName;
    if (d.contactIban !== undefined) out.contactIban = d.contactIban;
    if (d.customerNumber !== undefined) out.customerNumber = d.customerNumber;
    if (d.paymentReference !== undefined) out.paymentReference = d.paymentReference;
    if (d.cashDiscount) {
      out.cashDiscount = {
        basisPoints: basisPoints(d.cashDiscount.percent),
        untilDay: dayNumber(d.cashDiscount.until)!,
      };
    }
    return out;
  });
  return { transactions, documents };
}
