/**
 * Zod schemas for the Berlin Group NextGenPSD2 XS2A 1.3.12 account information (AIS) messages,
 * transcribed from `spec/ngpsd2-1-3-12.json` (components/schemas): same field names, same required
 * fields, same enums, same length limits and patterns.
 *
 * Conventions:
 * - Response bodies (and everything nested in them) are loose objects: unknown fields pass through,
 *   because real ASPSPs add proprietary fields and a TPP must not break on them.
 * - Request bodies the bank parses (`consentsRequestSchema`) are strict: an unknown field is a
 *   FORMAT_ERROR rather than something silently ignored.
 * - The spec's `pattern`s are unanchored (JSON Schema semantics); here they are anchored, since a
 *   zod parse is meant to accept the whole value.
 * - Amounts stay decimal strings; convert them with `parseAmount` from `@kontor/money`, never
 *   with parseFloat.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// Primitives

/** ISO 4217 alpha-3 code (spec: currencyCode). */
export const currencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 alpha-3 code");
/** Decimal amount text, up to 14 integer digits and 3 fraction digits, minus-signed (spec: amountValue). */
export const amountValueSchema = z
  .string()
  .regex(/^-?[0-9]{1,14}(\.[0-9]{1,3})?$/, "expected a decimal amount such as 1056, -1.50 or 5877.78");
export const ibanSchema = z.string().regex(/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/, "expected an IBAN");
export const bbanSchema = z.string().regex(/^[a-zA-Z0-9]{1,30}$/, "expected a BBAN");
export const bicfiSchema = z
  .string()
  .regex(/^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/, "expected a BIC (ISO 9362)");
export const panSchema = z.string().max(35);
export const maskedPanSchema = z.string().max(35);
export const msisdnSchema = z.string().max(35);
/** Calendar date, YYYY-MM-DD (spec: format date). */
export const isoDateSchema = z.iso.date();
/** RFC 3339 instant with an offset or Z (spec: format date-time). */
export const isoDateTimeSchema = z.iso.datetime({ offset: true });
export const cashAccountTypeSchema = z.string();
export const psuMessageTextSchema = z.string().max(500);

export const amountSchema = z.looseObject({
  currency: currencyCodeSchema,
  amount: amountValueSchema,
});
export type Amount = z.infer<typeof amountSchema>;

// ---------------------------------------------------------------------------------------------
// Links

/** spec: hrefType. The spec leaves `href` optional; a link without one is useless, so it is required here. */
export const hrefSchema = z.looseObject({ href: z.string() });
export type Href = z.infer<typeof hrefSchema>;

/** A `_links` object: any link name to `{ href }` (spec: _linksAll and friends). */
export const linksSchema = z.record(z.string(), hrefSchema);
export type Links = z.infer<typeof linksSchema>;

// ---------------------------------------------------------------------------------------------
// Account references

const otherAccountIdentificationShape = {
  identification: z.string().max(35),
  schemeNameCode: z.string().max(35).optional(),
  schemeNameProprietary: z.string().max(35).optional(),
  issuer: z.string().max(35).optional(),
};
/** spec: otherType — a proprietary account identification. */
export const otherAccountIdentificationSchema = z.looseObject(otherAccountIdentificationShape);

const accountReferenceShape = {
  iban: ibanSchema.optional(),
  bban: bbanSchema.optional(),
  pan: panSchema.optional(),
  maskedPan: maskedPanSchema.optional(),
  msisdn: msisdnSchema.optional(),
  other: otherAccountIdentificationSchema.optional(),
  currency: currencyCodeSchema.optional(),
  cashAccountType: cashAccountTypeSchema.optional(),
};
const ACCOUNT_IDENTIFIERS = ["iban", "bban", "pan", "maskedPan", "msisdn", "other"] as const;

function countIdentifiers(ref: Partial<Record<(typeof ACCOUNT_IDENTIFIERS)[number], unknown>>): number {
  return ACCOUNT_IDENTIFIERS.filter((key) => ref[key] !== undefined).length;
}

/**
 * spec: accountReference — an account by IBAN, BBAN, PAN, masked PAN, MSISDN or proprietary id, with
 * an optional currency (for multi-currency accounts). Tolerant form for responses: at least one identifier.
 */
export const accountReferenceSchema = z
  .looseObject(accountReferenceShape)
  .refine((ref) => countIdentifiers(ref) >= 1, {
    message: "an account reference needs one of iban, bban, pan, maskedPan, msisdn or other",
  });
export type AccountReference = z.infer<typeof accountReferenceSchema>;

/** Strict form for requests: no unknown fields and exactly one identifier ("either … or" in the spec). */
export const accountReferenceRequestSchema = z
  .strictObject({
    ...accountReferenceShape,
    other: z.strictObject(otherAccountIdentificationShape).optional(),
  })
  .refine((ref) => countIdentifiers(ref) === 1, {
    message: "an account reference needs exactly one of iban, bban, pan, maskedPan, msisdn or other",
  });

// ---------------------------------------------------------------------------------------------
// Consents

export const ALL_ACCOUNTS_VALUES = ["allAccounts", "allAccountsWithOwnerName"] as const;
const allAccountsSchema = z.enum(ALL_ACCOUNTS_VALUES);

function accountAccessShape<R extends z.ZodType>(ref: R, strict: boolean) {
  const refs = z.array(ref);
  const additional = {
    ownerName: refs.optional(),
    trustedBeneficiaries: refs.optional(),
  };
  return {
    accounts: refs.optional(),
    balances: refs.optional(),
    transactions: refs.optional(),
    additionalInformation: (strict ? z.strictObject(additional) : z.looseObject(additional)).optional(),
    availableAccounts: allAccountsSchema.optional(),
    availableAccountsWithBalance: allAccountsSchema.optional(),
    allPsd2: allAccountsSchema.optional(),
    restrictedTo: z.array(cashAccountTypeSchema).optional(),
  };
}

/** spec: accountAccess, as returned by GET /v1/consents/{consentId}. */
export const accountAccessSchema = z.looseObject(accountAccessShape(accountReferenceSchema, false));
export type AccountAccess = z.infer<typeof accountAccessSchema>;

/** spec: accountAccess, as sent in POST /v1/consents (strict). */
export const accountAccessRequestSchema = z.strictObject(
  accountAccessShape(accountReferenceRequestSchema, true),
);
export type AccountAccessRequest = z.infer<typeof accountAccessRequestSchema>;

/** spec: frequencyPerDay — integer ≥ 1. */
export const frequencyPerDaySchema = z.number().int().min(1);

/** spec: consents — the body of POST /v1/consents. */
export const consentsRequestSchema = z.strictObject({
  access: accountAccessRequestSchema,
  recurringIndicator: z.boolean(),
  validUntil: isoDateSchema,
  frequencyPerDay: frequencyPerDaySchema,
  combinedServiceIndicator: z.boolean(),
});
export type ConsentsRequest = z.infer<typeof consentsRequestSchema>;

export const CONSENT_STATUSES = [
  "received",
  "rejected",
  "valid",
  "revokedByPsu",
  "expired",
  "terminatedByTpp",
  "partiallyAuthorised",
] as const;
export const consentStatusSchema = z.enum(CONSENT_STATUSES);
export type ConsentStatus = z.infer<typeof consentStatusSchema>;

export const SCA_STATUSES = [
  "received",
  "psuIdentified",
  "psuAuthenticated",
  "scaMethodSelected",
  "started",
  "unconfirmed",
  "finalised",
  "failed",
  "exempted",
] as const;
export const scaStatusSchema = z.enum(SCA_STATUSES);
export type ScaStatus = z.infer<typeof scaStatusSchema>;

/** spec: ASPSP-SCA-Approach response header values. */
export const SCA_APPROACHES = ["EMBEDDED", "DECOUPLED", "REDIRECT"] as const;
export const scaApproachSchema = z.enum(SCA_APPROACHES);
export type ScaApproach = z.infer<typeof scaApproachSchema>;

export const AUTHENTICATION_TYPES = ["SMS_OTP", "CHIP_OTP", "PHOTO_OTP", "PUSH_OTP", "SMTP_OTP"] as const;

/** spec: authenticationObject. authenticationType is an open list in practice (the spec allows ASPSP-specific types). */
export const authenticationObjectSchema = z.looseObject({
  authenticationType: z.string(),
  authenticationVersion: z.string().optional(),
  authenticationMethodId: z.string().max(35),
  name: z.string().optional(),
  explanation: z.string().optional(),
});
export type AuthenticationObject = z.infer<typeof authenticationObjectSchema>;

/** spec: challengeData. */
export const challengeDataSchema = z.looseObject({
  image: z.string().optional(),
  data: z.array(z.string()).optional(),
  imageLink: z.string().optional(),
  otpMaxLength: z.number().int().optional(),
  otpFormat: z.enum(["characters", "integer"]).optional(),
  additionalInformation: z.string().optional(),
});

/** spec: consentsResponse-201 — body of 201 Created on POST /v1/consents. */
export const consentsResponse201Schema = z.looseObject({
  consentStatus: consentStatusSchema,
  consentId: z.string(),
  scaMethods: z.array(authenticationObjectSchema).optional(),
  chosenScaMethod: authenticationObjectSchema.optional(),
  challengeData: challengeDataSchema.optional(),
  _links: linksSchema,
  psuMessage: psuMessageTextSchema.optional(),
});
export type ConsentsResponse201 = z.infer<typeof consentsResponse201Schema>;

/** spec: consentInformationResponse-200_json — GET /v1/consents/{consentId}. */
export const consentInformationResponse200Schema = z.looseObject({
  access: accountAccessSchema,
  recurringIndicator: z.boolean(),
  validUntil: isoDateSchema,
  frequencyPerDay: frequencyPerDaySchema,
  lastActionDate: isoDateSchema,
  consentStatus: consentStatusSchema,
  _links: linksSchema.optional(),
});
export type ConsentInformationResponse200 = z.infer<typeof consentInformationResponse200Schema>;

/** spec: consentStatusResponse-200 — GET /v1/consents/{consentId}/status. */
export const consentStatusResponse200Schema = z.looseObject({
  consentStatus: consentStatusSchema,
  psuMessage: psuMessageTextSchema.optional(),
});
export type ConsentStatusResponse200 = z.infer<typeof consentStatusResponse200Schema>;

/** spec: startScaprocessResponse — 201 on POST …/authorisations. */
export const startScaprocessResponseSchema = z.looseObject({
  scaStatus: scaStatusSchema,
  authorisationId: z.string(),
  scaMethods: z.array(authenticationObjectSchema).optional(),
  chosenScaMethod: authenticationObjectSchema.optional(),
  challengeData: challengeDataSchema.optional(),
  _links: linksSchema,
  psuMessage: psuMessageTextSchema.optional(),
});
export type StartScaprocessResponse = z.infer<typeof startScaprocessResponseSchema>;

// ---------------------------------------------------------------------------------------------
// tppMessages (error and warning bodies)

export const tppMessageCategorySchema = z.enum(["ERROR", "WARNING"]);

/** spec: tppMessageGeneric — `code` is any string here; see TPP_MESSAGE_CODES for the spec's lists. */
export const tppMessageSchema = z.looseObject({
  category: tppMessageCategorySchema,
  code: z.string(),
  path: z.string().optional(),
  text: z.string().max(500).optional(),
});
export type TppMessage = z.infer<typeof tppMessageSchema>;

/** spec: scaStatusResponse — GET …/authorisations/{authorisationId}. */
export const scaStatusResponseSchema = z.looseObject({
  scaStatus: scaStatusSchema,
  psuMessage: psuMessageTextSchema.optional(),
  psuName: z.string().max(140).optional(),
  trustedBeneficiaryFlag: z.boolean().optional(),
  _links: linksSchema.optional(),
  tppMessage: z.array(tppMessageSchema).optional(),
});
export type ScaStatusResponse = z.infer<typeof scaStatusResponseSchema>;

/** spec: authorisations — GET …/authorisations. */
export const authorisationsSchema = z.looseObject({
  authorisationIds: z.array(z.string()),
});
export type Authorisations = z.infer<typeof authorisationsSchema>;

/**
 * The JSON error body of every 4xx/5xx (spec: Error400_NG_AIS … Error429_NG_AIS). The spec leaves
 * `tppMessages` optional; Kontor's bank always sends it, and the client copes with its absence by
 * parsing error bodies leniently.
 */
export const tppErrorSchema = z.looseObject({
  tppMessages: z.array(tppMessageSchema),
  _links: linksSchema.optional(),
});
export type TppError = z.infer<typeof tppErrorSchema>;

/**
 * Every `tppMessages[].code` of the spec (MessageCode4xx_AIS/PIS/PIIS/SBS) with the HTTP statuses it
 * may be sent with. The first status is the usual one (per the Implementation Guidelines):
 * RESOURCE_UNKNOWN is 404 for a resource addressed in the path, 403 when the resource exists but the
 * consent does not cover it, 400 when it is named in the payload; CONSENT_UNKNOWN is 403 for a consent
 * in the path and 400 for one in the Consent-ID header; SERVICE_INVALID is 405 for a method, 400 otherwise.
 */
export const TPP_MESSAGE_CODES = {
  FORMAT_ERROR: [400],
  PARAMETER_NOT_CONSISTENT: [400],
  PARAMETER_NOT_SUPPORTED: [400],
  SERVICE_INVALID: [405, 400],
  RESOURCE_UNKNOWN: [404, 403, 400],
  RESOURCE_EXPIRED: [403, 400],
  RESOURCE_BLOCKED: [400],
  TIMESTAMP_INVALID: [400],
  PERIOD_INVALID: [400],
  SCA_METHOD_UNKNOWN: [400],
  SCA_INVALID: [400],
  CONSENT_UNKNOWN: [403, 400],
  SESSIONS_NOT_SUPPORTED: [400],
  PAYMENT_FAILED: [400],
  EXECUTION_DATE_INVALID: [400],
  CARD_INVALID: [400],
  NO_PIIS_ACTIVATION: [400],
  REFERENCE_MIX_INVALID: [400],
  CERTIFICATE_INVALID: [401],
  ROLE_INVALID: [401],
  CERTIFICATE_EXPIRED: [401],
  CERTIFICATE_BLOCKED: [401],
  CERTIFICATE_REVOKE: [401],
  CERTIFICATE_MISSING: [401],
  SIGNATURE_INVALID: [401],
  SIGNATURE_MISSING: [401],
  CORPORATE_ID_INVALID: [401],
  PSU_CREDENTIALS_INVALID: [401],
  CONSENT_INVALID: [401],
  CONSENT_EXPIRED: [401],
  TOKEN_UNKNOWN: [401],
  TOKEN_INVALID: [401],
  TOKEN_EXPIRED: [401],
  KID_MISSING: [401],
  SERVICE_BLOCKED: [403],
  PRODUCT_INVALID: [403],
  PRODUCT_UNKNOWN: [404],
  CANCELLATION_INVALID: [405],
  REQUESTED_FORMATS_INVALID: [406],
  STATUS_INVALID: [409],
  REFERENCE_STATUS_INVALID: [409],
  ACCESS_EXCEEDED: [429],
} as const satisfies Record<string, readonly [number, ...number[]]>;
export type TppMessageCode = keyof typeof TPP_MESSAGE_CODES;

/** The usual HTTP status for a tppMessages code. */
export function tppMessageStatus(code: TppMessageCode): number {
  return TPP_MESSAGE_CODES[code][0];
}

/** The codes the spec allows per status on the AIS endpoints (MessageCode400_AIS … MessageCode429_AIS). */
export const AIS_TPP_MESSAGE_CODES_BY_STATUS = {
  400: [
    "FORMAT_ERROR",
    "PARAMETER_NOT_CONSISTENT",
    "PARAMETER_NOT_SUPPORTED",
    "SERVICE_INVALID",
    "RESOURCE_UNKNOWN",
    "RESOURCE_EXPIRED",
    "RESOURCE_BLOCKED",
    "TIMESTAMP_INVALID",
    "PERIOD_INVALID",
    "SCA_METHOD_UNKNOWN",
    "SCA_INVALID",
    "CONSENT_UNKNOWN",
    "SESSIONS_NOT_SUPPORTED",
  ],
  401: [
    "CERTIFICATE_INVALID",
    "ROLE_INVALID",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_BLOCKED",
    "CERTIFICATE_REVOKE",
    "CERTIFICATE_MISSING",
    "SIGNATURE_INVALID",
    "SIGNATURE_MISSING",
    "CORPORATE_ID_INVALID",
    "PSU_CREDENTIALS_INVALID",
    "CONSENT_INVALID",
    "CONSENT_EXPIRED",
    "TOKEN_UNKNOWN",
    "TOKEN_INVALID",
    "TOKEN_EXPIRED",
  ],
  403: ["CONSENT_UNKNOWN", "SERVICE_BLOCKED", "RESOURCE_UNKNOWN", "RESOURCE_EXPIRED"],
  404: ["RESOURCE_UNKNOWN"],
  405: ["SERVICE_INVALID"],
  406: ["REQUESTED_FORMATS_INVALID"],
  409: ["STATUS_INVALID"],
  429: ["ACCESS_EXCEEDED"],
} as const satisfies Record<number, readonly TppMessageCode[]>;

// ---------------------------------------------------------------------------------------------
// Accounts and balances

export const BALANCE_TYPES = [
  "closingBooked",
  "expected",
  "openingBooked",
  "interimAvailable",
  "interimBooked",
  "forwardAvailable",
  "nonInvoiced",
] as const;
export const balanceTypeSchema = z.enum(BALANCE_TYPES);
export type BalanceType = z.infer<typeof balanceTypeSchema>;

/** spec: balance. */
export const balanceSchema = z.looseObject({
  balanceAmount: amountSchema,
  balanceType: balanceTypeSchema,
  creditLimitIncluded: z.boolean().optional(),
  lastChangeDateTime: isoDateTimeSchema.optional(),
  referenceDate: isoDateSchema.optional(),
  lastCommittedTransaction: z.string().max(35).optional(),
});
export type Balance = z.infer<typeof balanceSchema>;

export const ACCOUNT_STATUSES = ["enabled", "deleted", "blocked"] as const;
export const accountStatusSchema = z.enum(ACCOUNT_STATUSES);

/** spec: accountDetails. */
export const accountDetailsSchema = z.looseObject({
  resourceId: z.string().optional(),
  iban: ibanSchema.optional(),
  bban: bbanSchema.optional(),
  msisdn: msisdnSchema.optional(),
  currency: currencyCodeSchema,
  ownerName: z.string().max(140).optional(),
  ownerNames: z
    .array(z.looseObject({ name: z.string().max(70), role: z.string().max(35).optional() }))
    .optional(),
  psuName: z.string().max(140).optional(),
  name: z.string().max(70).optional(),
  displayName: z.string().max(70).optional(),
  product: z.string().max(35).optional(),
  cashAccountType: cashAccountTypeSchema.optional(),
  status: accountStatusSchema.optional(),
  bic: bicfiSchema.optional(),
  linkedAccounts: z.string().max(70).optional(),
  usage: z.enum(["PRIV", "ORGA"]).optional(),
  details: z.string().max(500).optional(),
  balances: z.array(balanceSchema).optional(),
  _links: linksSchema.optional(),
});
export type AccountDetails = z.infer<typeof accountDetailsSchema>;

/** spec: accountList — GET /v1/accounts. */
export const accountListSchema = z.looseObject({
  accounts: z.array(accountDetailsSchema),
});
export type AccountList = z.infer<typeof accountListSchema>;

/** GET /v1/accounts/{account-id} (spec: OK_200_AccountDetails). */
export const accountDetailsResponseSchema = z.looseObject({
  account: accountDetailsSchema,
});
export type AccountDetailsResponse = z.infer<typeof accountDetailsResponseSchema>;

/** spec: readAccountBalanceResponse-200 — GET /v1/accounts/{account-id}/balances. */
export const readAccountBalanceResponse200Schema = z.looseObject({
  account: accountReferenceSchema.optional(),
  balances: z.array(balanceSchema),
});
export type ReadAccountBalanceResponse200 = z.infer<typeof readAccountBalanceResponse200Schema>;

// ---------------------------------------------------------------------------------------------
// Transactions

export const BOOKING_STATUSES = ["information", "booked", "pending", "both", "all"] as const;
/** spec: bookingStatusGeneric — the bookingStatus query parameter of GET …/transactions. */
export const bookingStatusSchema = z.enum(BOOKING_STATUSES);
export type BookingStatus = z.infer<typeof bookingStatusSchema>;

/** spec: reportExchangeRate. `exchangeRate` is decimal text, like amounts. */
export const reportExchangeRateSchema = z.looseObject({
  sourceCurrency: currencyCodeSchema,
  exchangeRate: z.string(),
  unitCurrency: currencyCodeSchema,
  targetCurrency: currencyCodeSchema,
  quotationDate: isoDateSchema,
  contractIdentification: z.string().max(35).optional(),
});

/** spec: remittanceInformationStructured (the object form, used in arrays and entryDetails). */
export const remittanceInformationStructuredSchema = z.looseObject({
  reference: z.string().max(35),
  referenceType: z.string().max(35).optional(),
  referenceIssuer: z.string().max(35).optional(),
});

/**
 * spec: purposeCode is a closed ISO 20022 ExternalPurpose1Code list of ~200 values; taken here as four
 * capital letters so a newer code list at a bank does not fail a whole transaction page.
 */
export const purposeCodeSchema = z.string().regex(/^[A-Z]{4}$/);

/** spec: standingOrderDetails (inside additionalInformationStructured). */
export const standingOrderDetailsSchema = z.looseObject({
  startDate: isoDateSchema,
  frequency: z.string(),
  endDate: isoDateSchema.optional(),
  executionRule: z.string().optional(),
  withinAMonthFlag: z.boolean().optional(),
  monthsOfExecution: z.array(z.string()).optional(),
  multiplicator: z.number().int().optional(),
  dayOfExecution: z.string().optional(),
  limitAmount: amountSchema.optional(),
});

const transactionPartyShape = {
  endToEndId: z.string().max(35).optional(),
  mandateId: z.string().max(35).optional(),
  checkId: z.string().max(35).optional(),
  creditorId: z.string().max(35).optional(),
  transactionAmount: amountSchema,
  currencyExchange: z.array(reportExchangeRateSchema).optional(),
  creditorName: z.string().max(70).optional(),
  creditorAccount: accountReferenceSchema.optional(),
  creditorAgent: bicfiSchema.optional(),
  ultimateCreditor: z.string().max(70).optional(),
  debtorName: z.string().max(70).optional(),
  debtorAccount: accountReferenceSchema.optional(),
  debtorAgent: bicfiSchema.optional(),
  ultimateDebtor: z.string().max(70).optional(),
  remittanceInformationUnstructured: z.string().max(140).optional(),
  remittanceInformationUnstructuredArray: z.array(z.string().max(140)).optional(),
  remittanceInformationStructuredArray: z.array(remittanceInformationStructuredSchema).optional(),
  purposeCode: purposeCodeSchema.optional(),
};

/** spec: EntryDetailsElement — one entry of a batch booking. */
export const entryDetailsElementSchema = z.looseObject({
  ...transactionPartyShape,
  remittanceInformationStructured: remittanceInformationStructuredSchema.optional(),
});

/** spec: transactions — one booked, pending or information entry of an account report. */
export const transactionDetailsSchema = z.looseObject({
  ...transactionPartyShape,
  transactionId: z.string().optional(),
  entryReference: z.string().max(35).optional(),
  batchIndicator: z.boolean().optional(),
  batchNumberOfTransactions: z.number().int().optional(),
  bookingDate: isoDateSchema.optional(),
  valueDate: isoDateSchema.optional(),
  /** In a transaction (unlike an entry detail) the spec makes this a plain string of max 140. */
  remittanceInformationStructured: z.string().max(140).optional(),
  entryDetails: z.array(entryDetailsElementSchema).optional(),
  additionalInformation: z.string().max(500).optional(),
  additionalInformationStructured: z
    .looseObject({ standingOrderDetails: standingOrderDetailsSchema })
    .optional(),
  bankTransactionCode: z.string().optional(),
  proprietaryBankTransactionCode: z.string().max(35).optional(),
  balanceAfterTransaction: balanceSchema.optional(),
  _links: linksSchema.optional(),
});
export type TransactionDetails = z.infer<typeof transactionDetailsSchema>;

/** spec: _linksAccountReport — `account` is required; `next` is how a TPP pages. */
export const accountReportLinksSchema = z
  .looseObject({
    account: hrefSchema,
    first: hrefSchema.optional(),
    next: hrefSchema.optional(),
    previous: hrefSchema.optional(),
    last: hrefSchema.optional(),
  })
  .catchall(hrefSchema);

/** spec: accountReport. */
export const accountReportSchema = z.looseObject({
  booked: z.array(transactionDetailsSchema).optional(),
  pending: z.array(transactionDetailsSchema).optional(),
  information: z.array(transactionDetailsSchema).optional(),
  _links: accountReportLinksSchema,
});
export type AccountReport = z.infer<typeof accountReportSchema>;

/**
 * spec: transactionsResponse-200_json — GET /v1/accounts/{account-id}/transactions. The spec makes
 * every field optional: `transactions` is absent when the report is offered as a download
 * (`_links.download`, required in that case by _linksDownload).
 */
export const transactionsResponse200JsonSchema = z.looseObject({
  account: accountReferenceSchema.optional(),
  transactions: accountReportSchema.optional(),
  balances: z.array(balanceSchema).optional(),
  _links: z.looseObject({ download: hrefSchema }).catchall(hrefSchema).optional(),
});
export type TransactionsResponse200Json = z.infer<typeof transactionsResponse200JsonSchema>;

/**
 * GET /v1/accounts/{account-id}/transactions/{transactionId} (spec: OK_200_TransactionDetails).
 * The spec's schema nests the transaction twice — `{ transactionsDetails: { transactionDetails: <tx> } }`
 * (transactionDetailsBody) — while its own example (transactionDetailsExample) and several ASPSPs put the
 * transaction directly under `transactionsDetails`. Both shapes are accepted; read it with
 * `unwrapTransactionDetails`. Kontor's bank sends the nested shape, which is what the schema demands.
 */
export const transactionDetailsResponseSchema = z.looseObject({
  transactionsDetails: z.union([
    z.looseObject({ transactionDetails: transactionDetailsSchema }),
    transactionDetailsSchema,
  ]),
});
export type TransactionDetailsResponse = z.infer<typeof transactionDetailsResponseSchema>;

/** The transaction inside a transaction details response, whichever of the two shapes the bank used. */
export function unwrapTransactionDetails(response: TransactionDetailsResponse): TransactionDetails {
  const inner = response.transactionsDetails;
  return "transactionDetails" in inner && inner.transactionDetails !== undefined
    ? (inner.transactionDetails as TransactionDetails)
    : (inner as TransactionDetails);
}
