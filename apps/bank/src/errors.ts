/**
 * The bank's one error type. Each code maps to one HTTP status and, on the XS2A interface, to a Berlin Group
 * `tppMessages` entry with the same code (NextGenPSD2 1.3.12, MessageCodeXXX_AIS).
 */
export const ERROR_TABLE = {
  FORMAT_ERROR: 400,
  PARAMETER_NOT_CONSISTENT: 400,
  PARAMETER_NOT_SUPPORTED: 400,
  PERIOD_INVALID: 400,
  SCA_INVALID: 400,
  CERTIFICATE_INVALID: 401,
  CERTIFICATE_MISSING: 401,
  ROLE_INVALID: 401,
  PSU_CREDENTIALS_INVALID: 401,
  CONSENT_INVALID: 401,
  CONSENT_EXPIRED: 401,
  CONSENT_UNKNOWN: 403,
  SERVICE_BLOCKED: 403,
  RESOURCE_UNKNOWN: 404,
  RESOURCE_EXPIRED: 403,
  SERVICE_INVALID: 405,
  REQUESTED_FORMATS_INVALID: 406,
  STATUS_INVALID: 409,
  ACCESS_EXCEEDED: 429,
} as const;

export type ErrorCode = keyof typeof ERROR_TABLE;

export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  readonly path: string | undefined;
  /** Overrides the table's status where the spec uses one code under several statuses (e.g. 403 vs 404). */
  readonly statusOverride: number | undefined;
  constructor(code: ErrorCode, message: string, options: { path?: string; status?: number } = {}) {
    super(message);
    this.code = code;
    this.path = options.path;
    this.statusOverride = options.status;
  }
  get status(): number {
    return this.statusOverride ?? ERROR_TABLE[this.code];
  }
}
