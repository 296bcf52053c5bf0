/**
 * A typed TPP client for the Berlin Group NextGenPSD2 1.3.12 AIS endpoints.
 *
 * Every response body is parsed with the zod schemas of `schemas.ts`; a bank that answers 2xx with a
 * body that does not fit throws `Xs2aError` INVALID_RESPONSE naming the offending field.
 *
 * Retry policy (see README): GET and DELETE are retried on network errors, timeouts, truncated or
 * non-JSON 2xx bodies, 5xx, 408 and 429. A POST may have been applied by the time anything goes wrong, and
 * XS2A has no idempotency key, so a POST is retried only when the bank said it did not process it
 * (429 or 503 carrying Retry-After) or when the connection was refused before anything was sent.
 * Waits use exponential backoff with jitter and honour Retry-After, up to `maxRetryDelayMs`; a longer
 * Retry-After is not waited out but reported in `Xs2aError.retryAfterMs` for the caller's job queue.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { Xs2aError, type Xs2aErrorKind } from "./errors.ts";
import {
  type AccountDetailsResponse,
  type AccountList,
  type Authorisations,
  accountDetailsResponseSchema,
  accountListSchema,
  authorisationsSchema,
  type BookingStatus,
  type ConsentInformationResponse200,
  type ConsentStatusResponse200,
  type ConsentsRequest,
  type ConsentsResponse201,
  consentInformationResponse200Schema,
  consentStatusResponse200Schema,
  consentsResponse201Schema,
  type ReadAccountBalanceResponse200,
  readAccountBalanceResponse200Schema,
  type ScaApproach,
  type ScaStatusResponse,
  type StartScaprocessResponse,
  scaApproachSchema,
  scaStatusResponseSchema,
  startScaprocessResponseSchema,
  type TppMessage,
  type TransactionDetails,
  type TransactionsResponse200Json,
  tppErrorSchema,
  tppMessageSchema,
  transactionDetailsResponseSchema,
  transactionsResponse200JsonSchema,
  unwrapTransactionDetails,
} from "./schemas.ts";

/** Headers by which the Kontor sandbox bank recognises a registered TPP (in place of an eIDAS QWAC). */
export const SANDBOX_TPP_ID_HEADER = "X-Sandbox-TPP-Id";
export const SANDBOX_TPP_KEY_HEADER = "X-Sandbox-TPP-Key";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface Xs2aClientOptions {
  /** The XS2A API root, without `/v1`, e.g. `http://localhost:4000/xs2a`. */
  baseUrl: string;
  /** Sandbox credentials, sent as X-Sandbox-TPP-Id / X-Sandbox-TPP-Key unless `identify` is given. */
  tpp?: { id: string; key: string };
  /**
   * Adds the headers by which this bank identifies the TPP. Replaces the sandbox headers. A bank that
   * identifies TPPs by mTLS gets its client certificate through `fetch` (e.g. an undici dispatcher)
   * and may add TPP-Signature-Certificate / Signature headers here.
   */
  identify?: (headers: Headers) => void;
  /** Per attempt, covering connect, headers and body. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts after the first for a retryable failure. Default 3. */
  retries?: number;
  /** First backoff step; doubles per retry. Default 500 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait before a retry, and the longest Retry-After worth waiting out. Default 30 s. */
  maxRetryDelayMs?: number;
  fetch?: FetchLike;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

/** Headers that describe the PSU's own request, for calls made while the PSU is present. */
export interface PsuContext {
  /** PSU-IP-Address. Its presence tells the bank the PSU is online (no frequencyPerDay counting). */
  psuIpAddress?: string;
  psuUserAgent?: string;
}

export interface CreateConsentOptions extends PsuContext {
  /** Redirect SCA: where the bank sends the PSU back. Ignored with `explicitAuthorisation`. */
  redirectUri?: string;
  nokRedirectUri?: string;
  psuId?: string;
  /**
   * TPP-Explicit-Authorisation-Preferred: the consent is created without an authorisation, which the TPP
   * then starts with `startConsentAuthorisation` (e.g. for decoupled SCA).
   */
  explicitAuthorisation?: boolean;
}

export interface CreateConsentResult {
  consent: ConsentsResponse201;
  /** ASPSP-SCA-Approach response header. */
  scaApproach: ScaApproach | undefined;
  /** Location response header. */
  location: string | undefined;
  requestId: string;
}

export interface StartAuthorisationOptions extends PsuContext {
  redirectUri?: string;
  nokRedirectUri?: string;
  psuId?: string;
  /** TPP-Decoupled-Preferred: the PSU approves in the bank's app; the TPP polls the SCA status. */
  decoupledPreferred?: boolean;
}

export interface StartAuthorisationResult {
  authorisation: StartScaprocessResponse;
  scaApproach: ScaApproach | undefined;
  location: string | undefined;
  requestId: string;
}

export interface TransactionsQuery extends PsuContext {
  /** YYYY-MM-DD. */
  dateFrom: string;
  dateTo?: string;
  bookingStatus: BookingStatus;
  entryReferenceFrom?: string;
  deltaList?: boolean;
  withBalance?: boolean;
}

export interface NextPageQuery extends PsuContext {
  /** `_links.next.href` of the previous page, as the bank gave it. */
  nextHref: string;
}

interface Call<T> {
  method: "GET" | "POST" | "DELETE";
  /** Path below the base URL (starting with /v1/) or an absolute URL already resolved by `resolveHref`. */
  target: string;
  query?: Record<string, string | boolean | undefined>;
  headers?: Record<string, string | undefined>;
  body?: unknown;
  /** Undefined for a call whose success has no body (204). */
  schema?: z.ZodType<T>;
  /** Return the body unchecked and let the caller run `validate` (see iterateTransactionsDeferred). */
  deferValidation?: boolean;
}

interface Outcome<T> {
  data: T;
  headers: Headers;
  requestId: string;
  /** Checks `data` against the call's schema when that was deferred; a no-op otherwise. */
  validate(): void;
}

type AttemptFailure = {
  kind: Xs2aErrorKind;
  message: string;
  status?: number;
  tppMessages?: TppMessage[];
  extraCodes?: string[];
  retryable: boolean;
  retryAfterMs?: number;
  cause?: unknown;
};

const DEFAULTS = { timeoutMs: 30_000, retries: 3, retryBaseDelayMs: 500, maxRetryDelayMs: 30_000 };
/** A guard against a bank whose `next` links never end. */
const MAX_PAGES = 10_000;

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from `now`
 * (never negative), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

function codeOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Connection refused: nothing reached the bank, so even a POST is safe to send again. */
function isConnectionRefused(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  if (codeOf(cause) === "ECONNREFUSED") return true;
  if (cause instanceof AggregateError) return cause.errors.every((e) => codeOf(e) === "ECONNREFUSED");
  return false;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === "TimeoutError" || codeOf(error) === "UND_ERR_HEADERS_TIMEOUT")
  );
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(body)"}: ${issue.message}`)
    .join("; ");
}

/** Codes of an error body that is not a tppMessages body (RFC 7807 application/problem+json form). */
function problemCodes(body: unknown): string[] {
  if (typeof body !== "object" || body === null) return [];
  const problem = body as { code?: unknown; additionalErrors?: unknown };
  const codes = typeof problem.code === "string" ? [problem.code] : [];
  if (Array.isArray(problem.additionalErrors)) {
    for (const extra of problem.additionalErrors) {
      const code = (extra as { code?: unknown } | null)?.code;
      if (typeof code === "string") codes.push(code);
    }
  }
  return codes;
}

export class Xs2aClient {
  readonly #base: URL;
  readonly #identify: (headers: Headers) => void;
  readonly #fetch: FetchLike;
  readonly #now: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryBaseDelayMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #userAgent: string | undefined;

  constructor(options: Xs2aClientOptions) {
    this.#base = new URL(options.baseUrl.endsWith("/") ? options.baseUrl : `${options.baseUrl}/`);
    const tpp = options.tpp;
    if (options.identify) this.#identify = options.identify;
    else if (tpp) {
      this.#identify = (headers) => {
        headers.set(SANDBOX_TPP_ID_HEADER, tpp.id);
        headers.set(SANDBOX_TPP_KEY_HEADER, tpp.key);
      };
    } else throw new Error("Xs2aClient needs tpp credentials or an identify hook");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => new Date());
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#retries = options.retries ?? DEFAULTS.retries;
    this.#retryBaseDelayMs = options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs;
    this.#userAgent = options.userAgent;
  }

  // -- Consents ---------------------------------------------------------------------------------

  /** POST /v1/consents, asking for the redirect SCA approach, or for an explicit authorisation later. */
  async createConsent(body: ConsentsRequest, options: CreateConsentOptions): Promise<CreateConsentResult> {
    const explicit = options.explicitAuthorisation === true;
    const outcome = await this.#call({
      method: "POST",
      target: "v1/consents",
      headers: {
        ...psuHeaders(options),
        "PSU-ID": options.psuId,
        ...(explicit
          ? { "TPP-Explicit-Authorisation-Preferred": "true" }
          : {
              "TPP-Redirect-Preferred": "true",
              "TPP-Redirect-URI": options.redirectUri,
              "TPP-Nok-Redirect-URI": options.nokRedirectUri,
            }),
      },
      body,
      schema: consentsResponse201Schema,
    });
    return {
      consent: outcome.data,
      scaApproach: readScaApproach(outcome.headers),
      location: outcome.headers.get("Location") ?? undefined,
      requestId: outcome.requestId,
    };
  }

  /** GET /v1/consents/{consentId}. */
  async getConsent(consentId: string, psu: PsuContext = {}): Promise<ConsentInformationResponse200> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/consents/${encodeURIComponent(consentId)}`,
        headers: psuHeaders(psu),
        schema: consentInformationResponse200Schema,
      })
    ).data;
  }

  /** GET /v1/consents/{consentId}/status. */
  async getConsentStatus(consentId: string, psu: PsuContext = {}): Promise<ConsentStatusResponse200> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/consents/${encodeURIComponent(consentId)}/status`,
        headers: psuHeaders(psu),
        schema: consentStatusResponse200Schema,
      })
    ).data;
  }

  /** DELETE /v1/consents/{consentId} (terminatedByTpp). */
  async deleteConsent(consentId: string, psu: PsuContext = {}): Promise<void> {
    await this.#call({
      method: "DELETE",
      target: `v1/consents/${encodeURIComponent(consentId)}`,
      headers: psuHeaders(psu),
    });
  }

  /** POST /v1/consents/{consentId}/authorisations — explicit start of an authorisation (redirect or decoupled SCA). */
  async startConsentAuthorisation(
    consentId: string,
    options: StartAuthorisationOptions = {},
  ): Promise<StartAuthorisationResult> {
    const outcome = await this.#call({
      method: "POST",
      target: `v1/consents/${encodeURIComponent(consentId)}/authorisations`,
      headers: {
        ...psuHeaders(options),
        "PSU-ID": options.psuId,
        "TPP-Redirect-Preferred": options.decoupledPreferred
          ? "false"
          : options.redirectUri === undefined
            ? undefined
            : "true",
        "TPP-Decoupled-Preferred": options.decoupledPreferred ? "true" : undefined,
        "TPP-Redirect-URI": options.redirectUri,
        "TPP-Nok-Redirect-URI": options.nokRedirectUri,
      },
      body: {},
      schema: startScaprocessResponseSchema,
    });
    return {
      authorisation: outcome.data,
      scaApproach: readScaApproach(outcome.headers),
      location: outcome.headers.get("Location") ?? undefined,
      requestId: outcome.requestId,
    };
  }

  /** GET /v1/consents/{consentId}/authorisations. */
  async listConsentAuthorisations(consentId: string, psu: PsuContext = {}): Promise<Authorisations> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/consents/${encodeURIComponent(consentId)}/authorisations`,
        headers: psuHeaders(psu),
        schema: authorisationsSchema,
      })
    ).data;
  }

  /** GET /v1/consents/{consentId}/authorisations/{authorisationId}. */
  async getConsentAuthorisationStatus(
    consentId: string,
    authorisationId: string,
    psu: PsuContext = {},
  ): Promise<ScaStatusResponse> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/consents/${encodeURIComponent(consentId)}/authorisations/${encodeURIComponent(authorisationId)}`,
        headers: psuHeaders(psu),
        schema: scaStatusResponseSchema,
      })
    ).data;
  }

  // -- Accounts ---------------------------------------------------------------------------------

  /** GET /v1/accounts. */
  async listAccounts(
    consentId: string,
    options: PsuContext & { withBalance?: boolean } = {},
  ): Promise<AccountList> {
    return (
      await this.#call({
        method: "GET",
        target: "v1/accounts",
        query: { withBalance: options.withBalance },
        headers: { ...psuHeaders(options), "Consent-ID": consentId },
        schema: accountListSchema,
      })
    ).data;
  }

  /** GET /v1/accounts/{account-id}. */
  async getAccount(
    consentId: string,
    accountId: string,
    options: PsuContext & { withBalance?: boolean } = {},
  ): Promise<AccountDetailsResponse> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/accounts/${encodeURIComponent(accountId)}`,
        query: { withBalance: options.withBalance },
        headers: { ...psuHeaders(options), "Consent-ID": consentId },
        schema: accountDetailsResponseSchema,
      })
    ).data;
  }

  /** GET /v1/accounts/{account-id}/balances. */
  async getBalances(
    consentId: string,
    accountId: string,
    options: PsuContext = {},
  ): Promise<ReadAccountBalanceResponse200> {
    return (
      await this.#call({
        method: "GET",
        target: `v1/accounts/${encodeURIComponent(accountId)}/balances`,
        headers: { ...psuHeaders(options), "Consent-ID": consentId },
        schema: readAccountBalanceResponse200Schema,
      })
    ).data;
  }

  /** One page of GET /v1/accounts/{account-id}/transactions: the first (by query) or a later one (by `nextHref`). */
  async getTransactionsPage(
    consentId: string,
    accountId: string,
    query: TransactionsQuery | NextPageQuery,
  ): Promise<TransactionsResponse200Json> {
    return (await this.#transactionsPage(consentId, accountId, query, false)).data;
  }

  #transactionsPage(
    consentId: string,
    accountId: string,
    query: TransactionsQuery | NextPageQuery,
    deferValidation: boolean,
  ): Promise<Outcome<TransactionsResponse200Json>> {
    const headers = { ...psuHeaders(query), "Consent-ID": consentId };
    const schema = transactionsResponse200JsonSchema;
    if ("nextHref" in query) {
      return this.#call({
        method: "GET",
        target: this.resolveHref(query.nextHref),
        headers,
        schema,
        deferValidation,
      });
    }
    return this.#call({
      method: "GET",
      target: `v1/accounts/${encodeURIComponent(accountId)}/transactions`,
      query: {
        dateFrom: query.dateFrom,
        dateTo: query.dateTo,
        bookingStatus: query.bookingStatus,
        entryReferenceFrom: query.entryReferenceFrom,
        deltaList: query.deltaList,
        withBalance: query.withBalance,
      },
      headers,
      schema,
      deferValidation,
    });
  }

  /**
   * Every page of a transaction report, following `_links.next` (in `transactions._links`, where the
   * spec puts it, or at the top level, where some banks do) until there is none. A failing page
   * throws after its own retries; the pages yielded before it stand.
   */
  async *iterateTransactions(
    consentId: string,
    accountId: string,
    query: TransactionsQuery,
  ): AsyncGenerator<TransactionsResponse200Json, void, undefined> {
    for await (const { page } of this.#pages(consentId, accountId, query, false)) yield page;
  }

  /**
   * The same pages, each yielded as the bank sent it together with `validate()`, which checks it against the
   * schema (throwing an INVALID_RESPONSE Xs2aError as the eager read would). Nothing of a page may be used
   * for good before its `validate()` passed; the point is when: an importer can hand the page's rows to its
   * database first and validate while they are being written, then commit or roll back. Validating 5,000
   * transactions takes ~25-40 ms, which otherwise waits in front of every page's write
   * (docs/design/import-performance.md). Paging itself relies only on `_links.next` being text.
   */
  iterateTransactionsDeferred(
    consentId: string,
    accountId: string,
    query: TransactionsQuery,
  ): AsyncGenerator<{ page: TransactionsResponse200Json; validate(): void }, void, undefined> {
    return this.#pages(consentId, accountId, query, true);
  }

  async *#pages(
    consentId: string,
    accountId: string,
    query: TransactionsQuery,
    deferValidation: boolean,
  ): AsyncGenerator<{ page: TransactionsResponse200Json; validate(): void }, void, undefined> {
    const seen = new Set<string>();
    let outcome = await this.#transactionsPage(consentId, accountId, query, deferValidation);
    for (let count = 1; ; count++) {
      const page = outcome.data;
      yield { page, validate: outcome.validate };
      const next: unknown = page.transactions?._links?.next?.href ?? page._links?.next?.href;
      if (next === undefined) return;
      if (typeof next !== "string") {
        outcome.validate();
        throw new Error("unreachable: a page whose next link is no text passed validation");
      }
      const resolved = this.resolveHref(next);
      if (seen.has(resolved) || count >= MAX_PAGES) {
        throw new Xs2aError({
          kind: "INVALID_RESPONSE",
          message: `transaction pages loop: _links.next ${next} was already followed`,
          method: "GET",
          url: resolved,
          retryable: false,
          requestId: "",
          attempts: 0,
        });
      }
      seen.add(resolved);
      outcome = await this.#transactionsPage(
        consentId,
        accountId,
        { ...pickPsu(query), nextHref: next },
        deferValidation,
      );
    }
  }

  /** GET /v1/accounts/{account-id}/transactions/{transactionId}, unwrapped to the transaction. */
  async getTransactionDetails(
    consentId: string,
    accountId: string,
    transactionId: string,
    options: PsuContext = {},
  ): Promise<TransactionDetails> {
    const outcome = await this.#call({
      method: "GET",
      target: `v1/accounts/${encodeURIComponent(accountId)}/transactions/${encodeURIComponent(transactionId)}`,
      headers: { ...psuHeaders(options), "Consent-ID": consentId },
      schema: transactionDetailsResponseSchema,
    });
    return unwrapTransactionDetails(outcome.data);
  }

  // -- Plumbing ---------------------------------------------------------------------------------

  /**
   * Turns a `_links` href into an absolute URL on the bank's origin. Banks write hrefs absolute,
   * root-relative with their base path (`/xs2a/v1/…`) or relative to the API root (`/v1/…`). An href
   * to another origin is refused: the TPP credentials must not be sent elsewhere.
   */
  resolveHref(href: string): string {
    const basePath = this.#base.pathname.replace(/\/$/, "");
    let url: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) url = new URL(href);
    else if (href.startsWith("/v1/") && basePath !== "" && !href.startsWith(`${basePath}/`)) {
      url = new URL(`${basePath}${href}`, this.#base.origin);
    } else url = new URL(href, this.#base.origin);
    if (url.origin !== this.#base.origin) {
      throw new Xs2aError({
        kind: "INVALID_RESPONSE",
        message: `link ${href} points away from the bank's origin ${this.#base.origin}`,
        method: "GET",
        url: href,
        retryable: false,
        requestId: "",
        attempts: 0,
      });
    }
    return url.href;
  }

  #url(call: Call<unknown>): URL {
    const url = /^https?:/.test(call.target) ? new URL(call.target) : new URL(call.target, this.#base);
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  async #call<T>(call: Call<T>): Promise<Outcome<T>> {
    const url = this.#url(call).href;
    const mayRetry = call.method !== "POST";
    for (let attempt = 1; ; attempt++) {
      const requestId = randomUUID();
      const result = await this.#attempt(call, url, requestId, mayRetry);
      const fail = (failure: AttemptFailure) =>
        new Xs2aError({
          ...failure,
          message: `${call.method} ${url}: ${failure.message}`,
          method: call.method,
          url,
          requestId,
          attempts: attempt,
        });
      if (result.ok) {
        const { data, headers, check } = result;
        const validate = () => {
          const failure = check?.();
          if (failure) throw fail(failure);
        };
        return { data, headers, requestId, validate };
      }
      const failure = result.failure;
      const delay = this.#retryDelay(attempt, failure);
      if (!failure.retryable || attempt > this.#retries || delay === undefined) throw fail(failure);
      await this.#sleep(delay);
    }
  }

  /** Backoff with equal jitter, or the bank's Retry-After; undefined when Retry-After is too far off. */
  #retryDelay(attempt: number, failure: AttemptFailure): number | undefined {
    if (failure.retryAfterMs !== undefined) {
      return failure.retryAfterMs <= this.#maxRetryDelayMs ? failure.retryAfterMs : undefined;
    }
    const step = Math.min(this.#maxRetryDelayMs, this.#retryBaseDelayMs * 2 ** (attempt - 1));
    return Math.round(step / 2 + this.#random() * (step / 2));
  }

  async #attempt<T>(
    call: Call<T>,
    url: string,
    requestId: string,
    mayRetry: boolean,
  ): Promise<
    | { ok: true; data: T; headers: Headers; check?: () => AttemptFailure | undefined }
    | { ok: false; failure: AttemptFailure }
  > {
    const headers = new Headers({ Accept: "application/json", "X-Request-ID": requestId });
    if (this.#userAgent !== undefined) headers.set("User-Agent", this.#userAgent);
    for (const [name, value] of Object.entries(call.headers ?? {})) {
      if (value !== undefined) headers.set(name, value);
    }
    if (call.body !== undefined) headers.set("Content-Type", "application/json");
    this.#identify(headers);

    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: "manual",
      });
      text = await response.text();
    } catch (error) {
      if (isTimeout(error)) {
        return {
          ok: false,
          failure: {
            kind: "TIMEOUT",
            message: `no response within ${this.#timeoutMs} ms`,
            retryable: mayRetry,
            cause: error,
          },
        };
      }
      const refused = isConnectionRefused(error);
      const detail =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      return {
        ok: false,
        failure: {
          kind: "NETWORK_ERROR",
          message: refused ? `connection refused (${detail})` : `network error (${detail})`,
          retryable: mayRetry || refused,
          cause: error,
        },
      };
    }

    const status = response.status;
    if (status >= 200 && status < 300) {
      if (call.schema === undefined) return { ok: true, data: undefined as T, headers: response.headers };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        // A cut-off or garbled body of a GET is worth reading again; a POST's effect already happened.
        return {
          ok: false,
          failure: {
            kind: "INVALID_RESPONSE",
            message: `${status} body is not JSON (${text.length} bytes)`,
            status,
            retryable: mayRetry,
            cause: error,
          },
        };
      }
      const schema = call.schema;
      const notMatching = (error: z.ZodError): AttemptFailure => ({
        kind: "INVALID_RESPONSE",
        message: `${status} body does not match the XS2A schema: ${describeIssues(error)}`,
        status,
        retryable: false,
        cause: error,
      });
      if (call.deferValidation) {
        const check = () => {
          const parsed = schema.safeParse(json);
          return parsed.success ? undefined : notMatching(parsed.error);
        };
        return { ok: true, data: json as T, headers: response.headers, check };
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) return { ok: false, failure: notMatching(parsed.error) };
      return { ok: true, data: parsed.data, headers: response.headers };
    }

    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const tppError = tppErrorSchema.safeParse(body);
    const tppMessages = tppError.success ? tppError.data.tppMessages : lenientTppMessages(body);
    const extraCodes = tppMessages.length > 0 ? [] : problemCodes(body);
    const retryAfterMs = parseRetryAfter(response.headers.get("Retry-After"), this.#now());
    // A 429 without Retry-After is the daily access limit (ACCESS_EXCEEDED under PSD2 RTS Art. 36(5)), not a
    // throttle: retrying cannot succeed before tomorrow, and every retry is counted as another read.
    const transient = status === 408 || (status === 429 && retryAfterMs !== undefined) || status >= 500;
    // The bank says it did not process the request: only then is a POST safe to send again.
    const notProcessed = (status === 429 || status === 503) && retryAfterMs !== undefined;
    const codes = [...tppMessages.map((m) => m.code), ...extraCodes];
    return {
      ok: false,
      failure: {
        kind: "HTTP_ERROR",
        message: `HTTP ${status}${codes.length > 0 ? ` ${codes.join(", ")}` : ""}${tppMessages[0]?.text ? `: ${tppMessages[0].text}` : ""}`,
        status,
        tppMessages,
        extraCodes,
        retryable: transient && (mayRetry || notProcessed),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      },
    };
  }
}

/** tppMessages from a body that does not fully fit the schema: keep the entries that do. */
function lenientTppMessages(body: unknown): TppMessage[] {
  if (typeof body !== "object" || body === null) return [];
  const list = (body as { tppMessages?: unknown }).tppMessages;
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => {
    const parsed = tppMessageSchema.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

function psuHeaders(psu: PsuContext): Record<string, string | undefined> {
  return { "PSU-IP-Address": psu.psuIpAddress, "PSU-User-Agent": psu.psuUserAgent };
}

function pickPsu(psu: PsuContext): PsuContext {
  return {
    ...(psu.psuIpAddress === undefined ? {} : { psuIpAddress: psu.psuIpAddress }),
    ...(psu.psuUserAgent === undefined ? {} : { psuUserAgent: psu.psuUserAgent }),
  };
}

function readScaApproach(headers: Headers): ScaApproach | undefined {
  const parsed = scaApproachSchema.safeParse(headers.get("ASPSP-SCA-Approach")?.toUpperCase());
  return parsed.success ? parsed.data : undefined;
}
