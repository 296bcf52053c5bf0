import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one table of books' error codes and their HTTP statuses. Every failure a caller may see is an AppError
 * with one of these codes; the error boundary (web/error-boundary.ts) renders it as a localized page or JSON.
 * Anything else that escapes a handler is a bug: it becomes "internal" and is logged with the request id.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  permission_required: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  internal: 500,
  bank_unavailable: 502,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorIssue {
  /** Dotted path of the offending field, "" for the whole input. */
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** For logs only; the client sees the localized text for the code. */
  message?: string;
  /** Safe to show to the client. */
  details?: Readonly<Record<string, string | number | boolean>>;
  issues?: readonly ErrorIssue[];
  cause?: unknown;
}

export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean>>;
  readonly issues: readonly ErrorIssue[];

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super(options.message ?? code, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.issues = options.issues ?? [];
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }
}
