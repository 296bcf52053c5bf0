/**
 * What books needs from a bank or an aggregator, whatever protocol it speaks. One file per bank or
 * aggregator implements it (xs2a.connector.ts for any Berlin Group bank); a bank's quirks live in its own
 * file that overrides the default. Everything a connector returns is already parsed into books' own types,
 * and every failure is a ConnectorError with a closed set of kinds.
 */
import type { NewBankTransaction, PendingBankTransaction } from "./transform.ts";

/** Headers about the user's own request: their presence tells the bank the user is there (attended read). */
export interface PsuPresence {
  psuIpAddress?: string | undefined;
  psuUserAgent?: string | undefined;
}

/** Books' view of a consent at the bank (docs/design/consent-lifecycle.md). */
export type ConsentState = "pending" | "valid" | "sca_required" | "expired" | "revoked" | "rejected";

export interface ConsentDetails {
  state: ConsentState;
  /** YYYY-MM-DD, inclusive. */
  validUntil: string | null;
  frequencyPerDay: number | null;
}

export interface ConsentRequest extends PsuPresence {
  /** Where the bank sends the user back after SCA (books' callback with its state token). */
  redirectUri: string;
  /** Where the bank sends the user when SCA fails or is cancelled. */
  nokRedirectUri: string;
  validUntil: string;
  frequencyPerDay: number;
}

export interface ScaRedirect {
  consentId: string;
  /** The bank's SCA page to send the user's browser to. */
  redirectUrl: string;
}

/** A bank-offered consent whose SCA the user approves in the bank's own app (the decoupled approach). */
export interface DecoupledConsentRequest extends PsuPresence {
  /** The user's login at the bank (PSU-ID): the bank sends the approval request to that user's app. */
  psuId: string;
  validUntil: string;
  frequencyPerDay: number;
}

export interface DecoupledSca {
  consentId: string;
  /** The authorisation whose SCA status books polls. */
  authorisationId: string;
  /** What the bank tells the user to do, in its own words, when it said something. */
  psuMessage: string | undefined;
}

/** Where a decoupled SCA stands: still with the user, approved, or over without approval. */
export type ScaProgress = "waiting" | "finalised" | "failed";

export interface ScaStatus {
  progress: ScaProgress;
  /** What the bank tells the user now, in its own words, when it said something. */
  psuMessage: string | undefined;
}

export interface OfferedBankAccount {
  resourceId: string;
  iban: string;
  currency: string;
  name: string | null;
}

export interface BookedBalance {
  amountMinor: number;
  currency: string;
  /** The day the balance holds for (end of day, or "now" on that day). */
  referenceDate: string | null;
}

/** One page of a transaction read. */
export interface TransactionPage {
  booked: NewBankTransaction[];
  /** Only on the first page; replaced wholesale on every sync. */
  pending: PendingBankTransaction[] | undefined;
  /** closingBooked (or interimBooked), when the bank sent balances with the page. */
  balance: BookedBalance | undefined;
  /**
   * Checks the page as the bank sent it against the bank API's schema, throwing a ConnectorError
   * (bad_response) when it does not match. Nothing of the page (rows, pending entries, balance) may be
   * committed before it passed: the sync calls it while the page's rows are being written, in the page's
   * transaction (docs/design/import-performance.md).
   */
  validate(): void;
}

export interface TransactionRead extends PsuPresence {
  consentId: string;
  resourceId: string;
  dateFrom: string;
  /** Stops the read between pages (a worker shutting down, a test killing it). */
  signal?: AbortSignal | undefined;
}

export interface BankConnector {
  /** A bank-offered consent: the user picks the accounts at the bank. */
  createConsent(request: ConsentRequest): Promise<ScaRedirect>;
  /** Like createConsent, but the user approves in the bank's app while books polls getScaStatus. */
  createDecoupledConsent(request: DecoupledConsentRequest): Promise<DecoupledSca>;
  getScaStatus(consentId: string, authorisationId: string): Promise<ScaStatus>;
  /** SCA again on the same consent (the bank asked for it, or books needs fresh SCA for older history). */
  startSca(
    consentId: string,
    request: PsuPresence & { redirectUri: string; nokRedirectUri: string },
  ): Promise<ScaRedirect>;
  /** Like startSca, but the user approves in the bank's app while books polls getScaStatus. */
  startDecoupledSca(consentId: string, request: PsuPresence & { psuId: string }): Promise<DecoupledSca>;
  getConsent(consentId: string): Promise<ConsentDetails>;
  /** Ends the consent at the bank. A consent that is already over counts as done. */
  deleteConsent(consentId: string): Promise<void>;
  listAccounts(consentId: string, presence: PsuPresence): Promise<OfferedBankAccount[]>;
  /** Booked transactions from dateFrom to today, page by page, with the booked balance. */
  readTransactions(read: TransactionRead): AsyncIterable<TransactionPage>;
  getBookedBalance(
    consentId: string,
    resourceId: string,
    presence: PsuPresence,
  ): Promise<BookedBalance | undefined>;
}

export const CONNECTOR_ERROR_KINDS = [
  /** The consent ran out (validUntil passed): a new consent is needed. */
  "consent_expired",
  /** The bank wants SCA again on the same consent. */
  "sca_required",
  /** The user revoked the consent at the bank, or it was rejected or terminated. */
  "consent_revoked",
  /** The bank does not know the user id (PSU-ID) given for decoupled SCA. */
  "psu_unknown",
  /** Consent not usable for another reason (not yet authorised, unknown). */
  "consent_invalid",
  /** The daily number of unattended reads is used up. */
  "access_exceeded",
  /** The bank refuses the requested period (e.g. beyond 90 days without fresh SCA). */
  "period_invalid",
  /** The bank did not answer usefully; trying again later may work. */
  "unavailable",
  /** The bank answered with something books cannot read, or refused the request as malformed. */
  "bad_response",
  /** The read was aborted through its signal. */
  "aborted",
] as const;
export type ConnectorErrorKind = (typeof CONNECTOR_ERROR_KINDS)[number];

export class ConnectorError extends Error {
  override name = "ConnectorError";
  readonly kind: ConnectorErrorKind;
  /** How long the bank asked to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ConnectorErrorKind,
    message: string,
    options: { cause?: unknown; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** Worth a retry of the whole job later. */
  get transient(): boolean {
    return this.kind === "unavailable" || this.kind === "aborted";
  }
}
