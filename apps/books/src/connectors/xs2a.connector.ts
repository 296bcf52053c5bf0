/**
 * BankConnector for any Berlin Group NextGenPSD2 1.3.12 bank, over @kontor/xs2a's Xs2aClient (which owns
 * the HTTP retry policy: backoff with jitter, Retry-After, timeouts). This file turns the bank's answers into
 * books' types (transform.ts) and its Xs2aErrors into ConnectorErrors.
 */
import {
  type ConsentStatus,
  type ScaStatus,
  Xs2aClient,
  type Xs2aClientOptions,
  Xs2aError,
} from "@kontor/xs2a";
import {
  type BankConnector,
  type BookedBalance,
  ConnectorError,
  type ConsentDetails,
  type ConsentState,
  type OfferedBankAccount,
  type PsuPresence,
  type ScaProgress,
  type TransactionPage,
  type TransactionRead,
} from "./connector.ts";
import {
  bookedBalanceOf,
  type FingerprintCounter,
  type IbanCache,
  type NewBankTransaction,
  type PendingBankTransaction,
  transformBooked,
  transformPending,
} from "./transform.ts";

export interface Xs2aConnectorOptions {
  /** The XS2A API root without /v1, e.g. "http://localhost:4000/xs2a". */
  baseUrl: string;
  tpp: { id: string; key: string };
  /** Passed through to Xs2aClient: timeouts, retries, and test hooks. */
  client?: Omit<Xs2aClientOptions, "baseUrl" | "tpp" | "identify">;
  /** Today in the bank's calendar (Europe/Berlin), from books' clock. */
  today: () => string;
}

/** The bank's consent status in books' terms (exhaustive over the spec's list). */
export function consentStateOf(status: ConsentStatus): ConsentState {
  switch (status) {
    case "valid":
      return "valid";
    case "received":
    case "partiallyAuthorised":
      return "pending";
    case "expired":
      return "expired";
    case "rejected":
      return "rejected";
    case "revokedByPsu":
    case "terminatedByTpp":
      return "revoked";
    default: {
      const never: never = status;
      throw new Error(`unknown consent status ${String(never)}`);
    }
  }
}

/** The bank's SCA status in books' terms (exhaustive over the spec's list). */
export function scaProgressOf(status: ScaStatus): ScaProgress {
  switch (status) {
    case "received":
    case "psuIdentified":
    case "psuAuthenticated":
    case "scaMethodSelected":
    case "started":
    case "unconfirmed":
      return "waiting";
    case "finalised":
    case "exempted":
      return "finalised";
    case "failed":
      return "failed";
    default: {
      const never: never = status;
      throw new Error(`unknown SCA status ${String(never)}`);
    }
  }
}

function presence(p: PsuPresence) {
  return {
    ...(p.psuIpAddress ? { psuIpAddress: p.psuIpAddress } : {}),
    ...(p.psuUserAgent ? { psuUserAgent: p.psuUserAgent } : {}),
  };
}

export function createXs2aConnector(options: Xs2aConnectorOptions): BankConnector {
  const client = new Xs2aClient({
    userAgent: "Kontor Books",
    ...options.client,
    baseUrl: options.baseUrl,
    tpp: options.tpp,
  });

  async function getConsent(consentId: string): Promise<ConsentDetails> {
    try {
      const consent = await client.getConsent(consentId);
      return {
        state: consentStateOf(consent.consentStatus),
        validUntil: consent.validUntil,
        frequencyPerDay: consent.frequencyPerDay,
      };
    } catch (error) {
      if (error instanceof Xs2aError && error.codes.includes("CONSENT_UNKNOWN")) {
        return { state: "revoked", validUntil: null, frequencyPerDay: null };
      }
      throw toConnectorError(error);
    }
  }

  /**
   * CONSENT_INVALID covers "SCA again", "revoked", "rejected" and "not authorised yet"; the consent's status
   * tells them apart without reading the bank's free text.
   */
  async function refine(error: unknown, consentId: string): Promise<ConnectorError> {
    const mapped = toConnectorError(error);
    if (mapped.kind !== "consent_invalid") return mapped;
    let state: ConsentState;
    try {
      state = (await getConsent(consentId)).state;
    } catch {
      return mapped;
    }
    switch (state) {
      case "valid":
        return new ConnectorError("sca_required", mapped.message, { cause: error });
      case "expired":
        return new ConnectorError("consent_expired", mapped.message, { cause: error });
      case "revoked":
      case "rejected":
        return new ConnectorError("consent_revoked", mapped.message, { cause: error });
      case "pending":
      case "sca_required":
        return mapped;
      default: {
        const never: never = state;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
  }

  /** A decoupled authorisation on a consent: the bank sends the request to the PSU-ID's banking app. */
  async function startDecoupled(consentId: string, request: PsuPresence & { psuId: string }) {
    const started = await client.startConsentAuthorisation(consentId, {
      ...presence(request),
      psuId: request.psuId,
      decoupledPreferred: true,
    });
    const { authorisation } = started;
    if (started.scaApproach !== undefined && started.scaApproach !== "DECOUPLED") {
      throw new ConnectorError(
        "bad_response",
        `the bank chose ${started.scaApproach} SCA, not DECOUPLED, for the consent`,
      );
    }
    if (!authorisation.authorisationId) {
      throw new ConnectorError("bad_response", "the bank gave no authorisation id to poll");
    }
    return {
      consentId,
      authorisationId: authorisation.authorisationId,
      psuMessage: authorisation.psuMessage ?? undefined,
    };
  }

  return {
    async createConsent(request) {
      try {
        const { consent } = await client.createConsent(
          {
            // Bank-offered consent: empty lists let the user pick the accounts at the bank.
            access: { accounts: [], balances: [], transactions: [] },
            recurringIndicator: true,
            validUntil: request.validUntil,
            frequencyPerDay: request.frequencyPerDay,
            combinedServiceIndicator: false,
          },
          { ...presence(request), redirectUri: request.redirectUri, nokRedirectUri: request.nokRedirectUri },
        );
        const redirect = consent._links.scaRedirect?.href;
        if (!redirect) {
          throw new ConnectorError("bad_response", "the bank offered no redirect SCA for the consent");
        }
        return { consentId: consent.consentId, redirectUrl: client.resolveHref(redirect) };
      } catch (error) {
        throw toConnectorError(error);
      }
    },

    async createDecoupledConsent(request) {
      let consentId: string | undefined;
      try {
        // Created first and authorised explicitly: the authorisation's id is what books polls.
        const { consent } = await client.createConsent(
          {
            access: { accounts: [], balances: [], transactions: [] },
            recurringIndicator: true,
            validUntil: request.validUntil,
            frequencyPerDay: request.frequencyPerDay,
            combinedServiceIndicator: false,
          },
          { ...presence(request), psuId: request.psuId, explicitAuthorisation: true },
        );
        consentId = consent.consentId;
        return await startDecoupled(consentId, request);
      } catch (error) {
        // A consent without a started authorisation is of no use to anyone: end it at the bank.
        if (consentId !== undefined) await client.deleteConsent(consentId).catch(() => undefined);
        throw toConnectorError(error);
      }
    },

    async getScaStatus(consentId, authorisationId) {
      try {
        const status = await client.getConsentAuthorisationStatus(consentId, authorisationId);
        return { progress: scaProgressOf(status.scaStatus), psuMessage: status.psuMessage ?? undefined };
      } catch (error) {
        throw await refine(error, consentId);
      }
    },

    async startDecoupledSca(consentId, request) {
      try {
        return await startDecoupled(consentId, request);
      } catch (error) {
        throw await refine(error, consentId);
      }
    },

    async startSca(consentId, request) {
      try {
        const { authorisation } = await client.startConsentAuthorisation(consentId, {
          ...presence(request),
          redirectUri: request.redirectUri,
          nokRedirectUri: request.nokRedirectUri,
        });
        const redirect = authorisation._links.scaRedirect?.href;
        if (!redirect) throw new ConnectorError("bad_response", "the bank offered no redirect SCA");
        return { consentId, redirectUrl: client.resolveHref(redirect) };
      } catch (error) {
        throw await refine(error, consentId);
      }
    },

    getConsent,

    async deleteConsent(consentId) {
      try {
        await client.deleteConsent(consentId);
      } catch (error) {
        // Already over at the bank (expired, revoked, unknown): the goal of the call is reached.
        if (error instanceof Xs2aError && error.codes.some((c) => c.startsWith("CONSENT_"))) return;
        throw toConnectorError(error);
      }
    },

    async listAccounts(consentId, psu): Promise<OfferedBankAccount[]> {
      try {
        const list = await client.listAccounts(consentId, presence(psu));
        return list.accounts.flatMap((account) =>
          account.resourceId && account.iban
            ? [
                {
                  resourceId: account.resourceId,
                  iban: account.iban,
                  currency: account.currency,
                  name: account.name ?? account.displayName ?? account.product ?? null,
                },
              ]
            : [],
        );
      } catch (error) {
        throw await refine(error, consentId);
      }
    },

    async getBookedBalance(consentId, resourceId, psu): Promise<BookedBalance | undefined> {
      try {
        return bookedBalanceOf((await client.getBalances(consentId, resourceId, presence(psu))).balances);
      } catch (error) {
        throw await refine(error, consentId);
      }
    },

    async *readTransactions(read: TransactionRead): AsyncGenerator<TransactionPage> {
      const counter: FingerprintCounter = new Map();
      const ibans: IbanCache = new Map();
      const pages = client.iterateTransactionsDeferred(read.consentId, read.resourceId, {
        ...presence(read),
        dateFrom: read.dateFrom,
        dateTo: options.today(),
        // Pending entries come with the first page; withBalance saves the separate balances read.
        bookingStatus: "both",
        withBalance: true,
      });
      let first = true;
      try {
        for (;;) {
          if (read.signal?.aborted) throw new ConnectorError("aborted", "the read was stopped");
          const next = await pages.next();
          if (next.done) return;
          const { page, validate } = next.value;
          // The page is not validated yet (TransactionPage.validate): a transform that trips over it asks the
          // schema first, so a page that breaks the spec fails as such and not with a TypeError.
          let booked: NewBankTransaction[];
          let pending: PendingBankTransaction[] | undefined;
          let balance: BookedBalance | undefined;
          try {
            const report = page.transactions;
            booked = (report?.booked ?? []).map((tx) => transformBooked(tx, counter, ibans));
            pending = first ? (report?.pending ?? []).map(transformPending) : undefined;
            balance = bookedBalanceOf(page.balances);
          } catch (error) {
            validate();
            throw error;
          }
          yield {
            booked,
            pending,
            balance,
            validate() {
              try {
                validate();
              } catch (error) {
                throw toConnectorError(error);
              }
            },
          };
          first = false;
        }
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        throw await refine(error, read.consentId);
      } finally {
        await pages.return(undefined);
      }
    },
  };
}

export function toConnectorError(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (!(error instanceof Xs2aError)) {
    if (error instanceof Error && error.name === "TransformError") {
      return new ConnectorError("bad_response", error.message, { cause: error });
    }
    return new ConnectorError("unavailable", error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const has = (code: string) => error.codes.includes(code);
  const retry = error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs };
  if (has("CONSENT_EXPIRED")) return new ConnectorError("consent_expired", error.message, { cause: error });
  if (has("CONSENT_UNKNOWN")) return new ConnectorError("consent_revoked", error.message, { cause: error });
  if (has("CONSENT_INVALID")) return new ConnectorError("consent_invalid", error.message, { cause: error });
  if (has("PSU_CREDENTIALS_INVALID"))
    return new ConnectorError("psu_unknown", error.message, { cause: error });
  if (has("PERIOD_INVALID")) return new ConnectorError("period_invalid", error.message, { cause: error });
  if (has("ACCESS_EXCEEDED") && error.retryAfterMs === undefined) {
    return new ConnectorError("access_exceeded", error.message, { cause: error });
  }
  switch (error.code) {
    case "NETWORK_ERROR":
    case "TIMEOUT":
      return new ConnectorError("unavailable", error.message, { cause: error, ...retry });
    case "INVALID_RESPONSE":
      return new ConnectorError(error.retryable ? "unavailable" : "bad_response", error.message, {
        cause: error,
      });
    case "HTTP_ERROR": {
      const status = error.status ?? 0;
      const transient = status === 408 || status === 429 || status >= 500;
      return new ConnectorError(transient ? "unavailable" : "bad_response", error.message, {
        cause: error,
        ...retry,
      });
    }
    default: {
      const never: never = error.code;
      throw new Error(`unknown Xs2aError code ${String(never)}`);
    }
  }
}
