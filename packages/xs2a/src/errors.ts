import type { TppMessage } from "./schemas.ts";

/**
 * What went wrong, from the TPP's point of view:
 * - HTTP_ERROR: the bank answered with a 4xx/5xx (see `status`, `codes`, `tppMessages`);
 * - NETWORK_ERROR: no complete HTTP response (connection refused or reset, socket closed mid-body);
 * - TIMEOUT: no complete response within `timeoutMs`;
 * - INVALID_RESPONSE: a 2xx whose body is not JSON or does not match the XS2A schema.
 */
export const XS2A_ERROR_KINDS = ["HTTP_ERROR", "NETWORK_ERROR", "TIMEOUT", "INVALID_RESPONSE"] as const;
export type Xs2aErrorKind = (typeof XS2A_ERROR_KINDS)[number];

export interface Xs2aErrorInit {
  kind: Xs2aErrorKind;
  message: string;
  method: string;
  url: string;
  status?: number;
  tppMessages?: TppMessage[];
  /** Codes from the body when it was not a tppMessages body (e.g. application/problem+json). */
  extraCodes?: string[];
  retryable: boolean;
  retryAfterMs?: number;
  requestId: string;
  attempts: number;
  cause?: unknown;
}

/** The one error the XS2A client throws. */
export class Xs2aError extends Error {
  override name = "Xs2aError";
  readonly code: Xs2aErrorKind;
  /** HTTP status, when the bank answered at all. */
  readonly status: number | undefined;
  /** The Berlin Group codes of the error body, e.g. ["CONSENT_EXPIRED"]. */
  readonly codes: string[];
  readonly tppMessages: TppMessage[];
  /**
   * True when trying the same call again later may succeed and cannot do harm: transient failures of
   * GET/DELETE, and a POST only when the bank said it did not process it (429/503 with Retry-After) or
   * the connection was refused before anything was sent.
   */
  readonly retryable: boolean;
  /** How long the bank asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** X-Request-ID of the last attempt, for the bank's support. */
  readonly requestId: string;
  readonly method: string;
  readonly url: string;
  readonly attempts: number;

  constructor(init: Xs2aErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.kind;
    this.status = init.status;
    this.tppMessages = init.tppMessages ?? [];
    this.codes = [...this.tppMessages.map((m) => m.code), ...(init.extraCodes ?? [])];
    this.retryable = init.retryable;
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
    this.method = init.method;
    this.url = init.url;
    this.attempts = init.attempts;
  }

  /** Whether the bank reported the given Berlin Group code, e.g. `err.hasCode("CONSENT_EXPIRED")`. */
  hasCode(code: string): boolean {
    return this.codes.includes(code);
  }
}

export function isXs2aError(error: unknown): error is Xs2aError {
  return error instanceof Xs2aError;
}
