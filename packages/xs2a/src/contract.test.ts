import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { type ContractValidator, ContractViolationError, createContractValidator } from "./contract.ts";
import {
  accountListSchema,
  consentInformationResponse200Schema,
  consentsRequestSchema,
  consentsResponse201Schema,
  readAccountBalanceResponse200Schema,
  transactionsResponse200JsonSchema,
} from "./schemas.ts";

const requestId = "99391c7e-ad88-49ec-a2ad-99ddcb1f7721";
const json = { "X-Request-ID": requestId, "Content-Type": "application/json" };
const base = "http://localhost:4000/xs2a";

let contract: ContractValidator;
beforeAll(() => {
  contract = createContractValidator();
});

function errorsOf(result: ReturnType<ContractValidator["validateResponse"]>): string[] {
  return result.ok ? [] : result.errors;
}

describe("path matching", () => {
  it("maps concrete URLs under a base path to the spec's templates", () => {
    expect(contract.matchPath(`${base}/v1/accounts/abc/transactions?bookingStatus=booked`)).toBe(
      "/v1/accounts/{account-id}/transactions",
    );
    expect(contract.matchPath("/v1/accounts/abc")).toBe("/v1/accounts/{account-id}");
    expect(contract.matchPath(`${base}/v1/consents/c1/authorisations/a1`)).toBe(
      "/v1/consents/{consentId}/authorisations/{authorisationId}",
    );
    expect(contract.matchPath("/v1/payments/sepa-credit-transfers")).toBe(
      "/v1/{payment-service}/{payment-product}",
    );
    expect(contract.matchPath("/v2/accounts")).toBeUndefined();
  });
});

describe("validateResponse", () => {
  it("accepts a valid account list, transaction page, 204 and error body", () => {
    const accounts = {
      accounts: [{ resourceId: "a1", iban: "DE89370400440532013000", currency: "EUR", name: "Main" }],
    };
    expect(
      contract.validateResponse({
        method: "GET",
        url: `${base}/v1/accounts`,
        status: 200,
        headers: json,
        body: accounts,
      }),
    ).toEqual({ ok: true });

    const page = {
      account: { iban: "DE89370400440532013000" },
      transactions: {
        booked: [
          {
            transactionId: "t1",
            bookingDate: "2026-03-02",
            transactionAmount: { currency: "EUR", amount: "-1190.00" },
            creditorName: "Bürobedarf GmbH",
            creditorAccount: { iban: "DE02120300000000202051" },
            remittanceInformationUnstructured: "RE-2026-0042",
          },
        ],
        _links: {
          account: { href: "/xs2a/v1/accounts/a1" },
          next: { href: "/xs2a/v1/accounts/a1/transactions?p=2" },
        },
      },
    };
    expect(
      contract.validateResponse({
        method: "GET",
        url: `${base}/v1/accounts/a1/transactions?bookingStatus=both&dateFrom=2026-01-01`,
        status: 200,
        headers: json,
        body: JSON.stringify(page),
      }),
    ).toEqual({ ok: true });

    expect(
      contract.validateResponse({
        method: "DELETE",
        url: `${base}/v1/consents/c1`,
        status: 204,
        headers: json,
      }),
    ).toEqual({ ok: true });

    const error = { tppMessages: [{ category: "ERROR", code: "CONSENT_EXPIRED", text: "consent expired" }] };
    expect(
      contract.validateResponse({
        method: "GET",
        url: `${base}/v1/accounts`,
        status: 401,
        headers: json,
        body: error,
      }),
    ).toEqual({ ok: true });
  });

  it("names each violation of the body schema", () => {
    const result = contract.validateResponse({
      method: "GET",
      url: `${base}/v1/accounts/a1/balances`,
      status: 200,
      headers: json,
      body: {
        balances: [
          { balanceAmount: { currency: "EURO", amount: "12,50" }, balanceType: "closing" },
          { balanceAmount: { currency: "EUR", amount: "1.00" } },
        ],
      },
    });
    expect(errorsOf(result)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("body/balances/0/balanceAmount/currency must match pattern"),
        expect.stringContaining("body/balances/0/balanceAmount/amount must match pattern"),
        expect.stringContaining("body/balances/0/balanceType must be one of"),
        "body/balances/1 must have required property 'balanceType'",
      ]),
    );
  });

  it("rejects a tppMessages code the spec does not allow for the status", () => {
    const body = { tppMessages: [{ category: "ERROR", code: "CONSENT_UNKNOWN" }] };
    const result = contract.validateResponse({
      method: "GET",
      url: "/v1/accounts",
      status: 401,
      headers: json,
      body,
    });
    expect(errorsOf(result)).toEqual([
      expect.stringMatching(/^body\/tppMessages\/0\/code must be one of .*CONSENT_EXPIRED/),
    ]);
  });

  it("treats an undocumented status as an error", () => {
    const result = contract.validateResponse({
      method: "GET",
      url: "/v1/accounts",
      status: 418,
      headers: json,
      body: {},
    });
    expect(errorsOf(result)).toEqual([
      expect.stringContaining("status 418 is not a documented response of GET /v1/accounts"),
    ]);
  });

  it("rejects an unknown path, an undocumented method and a non-empty 204", () => {
    expect(
      errorsOf(contract.validateResponse({ method: "GET", url: "/v1/nope/a/b/c/d/e/f", status: 200 })),
    ).toEqual(["no path in the spec matches the URL"]);
    expect(
      errorsOf(contract.validateResponse({ method: "PATCH", url: "/v1/accounts", status: 200 })),
    ).toEqual(["the spec has no PATCH /v1/accounts"]);
    expect(
      errorsOf(
        contract.validateResponse({
          method: "DELETE",
          url: "/v1/consents/c1",
          status: 204,
          headers: json,
          body: "{}",
        }),
      ),
    ).toEqual(["body must be empty for 204"]);
  });

  it("checks required headers: X-Request-ID always, Location on a 201, and the value of ASPSP-SCA-Approach", () => {
    const body = {
      consentStatus: "received",
      consentId: "c1",
      _links: { scaRedirect: { href: "https://bank/sca" } },
    };
    const bare = contract.validateResponse({ method: "POST", url: `${base}/v1/consents`, status: 201, body });
    expect(errorsOf(bare).sort()).toEqual(["header Location is required", "header X-Request-ID is required"]);

    const good = contract.validateResponse({
      method: "POST",
      url: `${base}/v1/consents`,
      status: 201,
      headers: { ...json, Location: "/xs2a/v1/consents/c1", "ASPSP-SCA-Approach": "REDIRECT" },
      body,
      requestId,
    });
    expect(good).toEqual({ ok: true });

    const wrong = contract.validateResponse({
      method: "POST",
      url: `${base}/v1/consents`,
      status: 201,
      headers: new Headers({
        ...json,
        Location: "/c1",
        "ASPSP-SCA-Approach": "redirect",
        "X-Request-ID": "not-a-uuid",
      }),
      body,
      requestId,
    });
    expect(errorsOf(wrong)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("header ASPSP-SCA-Approach must be one of"),
        'header X-Request-ID must match format "uuid"',
        `header X-Request-ID is not-a-uuid, expected the request's ${requestId}`,
      ]),
    );
  });

  it("reports a body that is not JSON, or missing", () => {
    expect(
      errorsOf(
        contract.validateResponse({
          method: "GET",
          url: "/v1/accounts",
          status: 200,
          headers: json,
          body: '{"acc',
        }),
      ),
    ).toEqual([expect.stringContaining("body is not valid JSON")]);
    expect(
      errorsOf(contract.validateResponse({ method: "GET", url: "/v1/accounts", status: 200, headers: json })),
    ).toEqual(["body is missing; expected application/json"]);
  });

  it("assertValidResponse throws a readable error listing the violations", () => {
    const call = () =>
      contract.assertValidResponse({
        method: "GET",
        url: `${base}/v1/consents/c1/status`,
        status: 200,
        headers: json,
        body: { consentStatus: "active" },
      });
    expect(call).toThrow(ContractViolationError);
    expect(call).toThrow(
      /GET .*\/v1\/consents\/c1\/status → 200 breaks the XS2A 1\.3\.12 contract\n {2}- body\/consentStatus must be one of/,
    );
  });
});

describe("schemas.ts agrees with the spec", () => {
  type Spec = { components: { examples: Record<string, { value: unknown }> } };
  const spec = JSON.parse(
    readFileSync(new URL("../spec/ngpsd2-1-3-12.json", import.meta.url), "utf8"),
  ) as Spec;
  const pairs: Array<[string, string, z.ZodType]> = [
    ["consentsExample_DedicatedAccounts", "consents", consentsRequestSchema],
    ["consentsExample_AccountList", "consents", consentsRequestSchema],
    [
      "consentsInformationResponseExample",
      "consentInformationResponse-200_json",
      consentInformationResponse200Schema,
    ],
    ["consentResponseExample1a_Redirect", "consentsResponse-201", consentsResponse201Schema],
    ["consentResponseExample4_Embedded", "consentsResponse-201", consentsResponse201Schema],
    ["accountListExample1", "accountList", accountListSchema],
    ["accountListExample3", "accountList", accountListSchema],
    [
      "balancesExample2_MulticurrencyAccount",
      "readAccountBalanceResponse-200",
      readAccountBalanceResponse200Schema,
    ],
    [
      "transactionsExample1_RegularAccount_json",
      "transactionsResponse-200_json",
      transactionsResponse200JsonSchema,
    ],
    [
      "transactionsExample3_MulticurrencyAccount_json",
      "transactionsResponse-200_json",
      transactionsResponse200JsonSchema,
    ],
  ];
  it.each(pairs)("%s: zod and the spec's %s give the same verdict", (exampleName, component, schema) => {
    const value = spec.components.examples[exampleName]?.value;
    expect(value).toBeDefined();
    expect(schema.safeParse(value).success).toBe(contract.validateComponent(component, value).ok);
  });
});
