/**
 * Pure mapping of XS2A (Berlin Group 1.3.12) transactions and balances to books' rows. No I/O, so every quirk
 * is pinned by fixture tests (transform.test.ts, fixtures/).
 *
 * Identity of a booked transaction (docs/design/dedup.md): the bank's transactionId, else its
 * entryReference, else a fingerprint of the fields that describe the booking plus its occurrence number
 * among identical bookings of the same read, so two identical card payments on one day stay two rows.
 */
import { createHash } from "node:crypto";
import { type MoneyError, normalizeIban, parseAmount } from "@kontor/money";
import type { Balance, TransactionDetails } from "@kontor/xs2a";

export interface NewBankTransaction {
  externalId: string;
  bookingDate: string;
  valueDate: string | null;
  amountMinor: number;
  currency: string;
  counterpartyName: string | null;
  counterpartyIban: string | null;
  remittance: string | null;
  endToEndId: string | null;
  mandateId: string | null;
  creditorId: string | null;
  bankTransactionCode: string | null;
  bookingText: string | null;
}

export interface PendingBankTransaction {
  valueDate: string | null;
  amountMinor: number;
  currency: string;
  counterpartyName: string | null;
  remittance: string | null;
}

export class TransformError extends Error {
  override name = "TransformError";
}

/** Counts identical fingerprints within one read; start a new one per sync read. */
export type FingerprintCounter = Map<string, number>;

/**
 * Normalised counterparty IBANs of one read, by the bank's spelling. Counterparties repeat, and the mod-97
 * check was ~10 % of books' CPU per imported row (bench/import.bench.ts profile). Same input, same output.
 */
export type IbanCache = Map<string, string>;
const IBAN_CACHE_LIMIT = 10_000;

function ibanOf(raw: string, cache: IbanCache | undefined): string {
  const cached = cache?.get(raw);
  if (cached !== undefined) return cached;
  const iban = normalizeIban(raw) ?? raw;
  if (cache) {
    if (cache.size >= IBAN_CACHE_LIMIT) cache.clear();
    cache.set(raw, iban);
  }
  return iban;
}

const MAX_ID = 200;

function text(value: string | undefined | null): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
}

function amountOf(tx: Pick<TransactionDetails, "transactionAmount">): { minor: number; currency: string } {
  const { amount, currency } = tx.transactionAmount;
  try {
    return { minor: parseAmount(amount, currency), currency };
  } catch (error) {
    throw new TransformError(`transactionAmount ${amount} ${currency}: ${(error as MoneyError).message}`, {
      cause: error,
    });
  }
}

function remittanceOf(tx: TransactionDetails): string | null {
  return (
    text(tx.remittanceInformationUnstructured) ??
    text(tx.remittanceInformationUnstructuredArray?.join(" ")) ??
    text(tx.remittanceInformationStructured) ??
    text(tx.remittanceInformationStructuredArray?.map((r) => r.reference).join(" "))
  );
}

/** Money in: the debtor is the other party; money out: the creditor. */
function counterpartyOf(
  tx: TransactionDetails,
  minor: number,
  ibans?: IbanCache,
): { name: string | null; iban: string | null } {
  const incoming = minor > 0;
  const name = incoming ? (tx.debtorName ?? tx.ultimateDebtor) : (tx.creditorName ?? tx.ultimateCreditor);
  const account = incoming ? tx.debtorAccount : tx.creditorAccount;
  const iban = account?.iban ? ibanOf(account.iban, ibans) : null;
  return { name: text(name), iban };
}

/**
 * The documented fingerprint (docs/design/dedup.md): sha256 over booking date, value date, signed minor
 * amount, currency, counterparty IBAN and name, remittance, end-to-end id and mandate id, joined by U+001F.
 */
export function fingerprint(row: Omit<NewBankTransaction, "externalId">): string {
  const parts = [
    row.bookingDate,
    row.valueDate ?? "",
    String(row.amountMinor),
    row.currency,
    row.counterpartyIban ?? "",
    (row.counterpartyName ?? "").toLowerCase(),
    row.remittance ?? "",
    row.endToEndId ?? "",
    row.mandateId ?? "",
  ];
  return createHash("sha256").update(parts.join("\u001f")).digest("hex");
}

/**
 * One booked XS2A transaction → one row. `counter` numbers identical fingerprints within the read; `ibans`
 * (optional, per read) remembers normalised IBANs.
 */
export function transformBooked(
  tx: TransactionDetails,
  counter: FingerprintCounter,
  ibans?: IbanCache,
): NewBankTransaction {
  const bookingDate = tx.bookingDate ?? tx.valueDate;
  if (!bookingDate) throw new TransformError("a booked transaction without bookingDate and valueDate");
  const { minor, currency } = amountOf(tx);
  const counterparty = counterpartyOf(tx, minor, ibans);
  const row: Omit<NewBankTransaction, "externalId"> = {
    bookingDate,
    valueDate: tx.valueDate ?? null,
    amountMinor: minor,
    currency,
    counterpartyName: counterparty.name,
    counterpartyIban: counterparty.iban,
    remittance: remittanceOf(tx),
    endToEndId: text(tx.endToEndId),
    mandateId: text(tx.mandateId),
    creditorId: text(tx.creditorId),
    bankTransactionCode: text(tx.bankTransactionCode) ?? text(tx.proprietaryBankTransactionCode),
    bookingText: text(tx.additionalInformation),
  };
  return { externalId: externalIdOf(tx, row, counter), ...row };
}

function externalIdOf(
  tx: TransactionDetails,
  row: Omit<NewBankTransaction, "externalId">,
  counter: FingerprintCounter,
): string {
  const id = text(tx.transactionId);
  if (id && id.length <= MAX_ID) return `id:${id}`;
  const reference = text(tx.entryReference);
  if (reference) return `ref:${reference}`;
  const print = fingerprint(row);
  const occurrence = (counter.get(print) ?? 0) + 1;
  counter.set(print, occurrence);
  return `fp:${print}:${occurrence}`;
}

export function transformPending(tx: TransactionDetails): PendingBankTransaction {
  const { minor, currency } = amountOf(tx);
  return {
    valueDate: tx.valueDate ?? tx.bookingDate ?? null,
    amountMinor: minor,
    currency,
    counterpartyName: counterpartyOf(tx, minor).name,
    remittance: remittanceOf(tx),
  };
}

/**
 * The booked balance among a bank's balances: closingBooked, else interimBooked (some banks only give that
 * during the day). Undefined when there is neither.
 */
export function bookedBalanceOf(
  balances: readonly Balance[] | undefined,
): { amountMinor: number; currency: string; referenceDate: string | null } | undefined {
  const pick =
    balances?.find((b) => b.balanceType === "closingBooked") ??
    balances?.find((b) => b.balanceType === "interimBooked");
  if (!pick) return undefined;
  const { amount, currency } = pick.balanceAmount;
  try {
    return {
      amountMinor: parseAmount(amount, currency),
      currency,
      referenceDate: pick.referenceDate ?? pick.lastChangeDateTime?.slice(0, 10) ?? null,
    };
  } catch (error) {
    throw new TransformError(`balance ${amount} ${currency}: ${(error as Error).message}`, { cause: error });
  }
}
