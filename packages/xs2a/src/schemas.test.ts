import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  accountDetailsResponseSchema,
  accountListSchema,
  authorisationsSchema,
  consentInformationResponse200Schema,
  consentStatusResponse200Schema,
  consentsRequestSchema,
  consentsResponse201Schema,
  readAccountBalanceResponse200Schema,
  startScaprocessResponseSchema,
  TPP_MESSAGE_CODES,
  tppErrorSchema,
  transactionDetailsResponseSchema,
  transactionsResponse200JsonSchema,
  unwrapTransactionDetails,
} from "./schemas.ts";

type Spec = {
  components: { examples: Record<string, { value: unknown }>; schemas: Record<string, { enum?: string[] }> };
};
const spec = JSON.parse(readFileSync(new URL("../spec/ngpsd2-1-3-12.json", import.meta.url), "utf8")) as Spec;

function example(name: string): unknown {
  const found = spec.components.examples[name];
  if (!found) throw new Error(`spec has no example ${name}`);
  return found.value;
}

const accepted: Array<[string, z.ZodType]> = [
  ["consentResponseExample1a_Redirect", consentsResponse201Schema],
  ["consentResponseExample1b_Redirect", consentsResponse201Schema],
  ["consentResponseExample2_OAuth2", consentsResponse201Schema],
  ["consentResponseExample3_Decoupled", consentsResponse201Schema],
  ["consentResponseExample4_Embedded", consentsResponse201Schema],
  ["consentStatusResponseExample1", consentStatusResponse200Schema],
  ["startScaProcessResponseExample1", startScaprocessResponseSchema],
  ["authorisationListExample", authorisationsSchema],
  ["accountListExample1", accountListSchema],
  ["accountListExample2", accountListSchema],
  ["accountListExample3", accountListSchema],
  ["accountDetailsRegularAccount", accountDetailsResponseSchema],
  ["accountDetailsMulticurrencyAccount", accountDetailsResponseSchema],
  ["balancesExample1_RegularAccount", readAccountBalanceResponse200Schema],
  ["balancesExample2_MulticurrencyAccount", readAccountBalanceResponse200Schema],
  ["balancesExample3_RegularAccount", readAccountBalanceResponse200Schema],
  ["transactionsExample1_RegularAccount_json", transactionsResponse200JsonSchema],
  ["transactionsExample2_Download_json", transactionsResponse200JsonSchema],
  ["transactionsExample3_MulticurrencyAccount_json", transactionsResponse200JsonSchema],
  ["transactionDetailsExample", transactionDetailsResponseSchema],
];

describe("schemas against the spec's own examples", () => {
  it.each(accepted)("accepts %s", (name, schema) => {
    const result = schema.safeParse(example(name));
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it("keeps fields a bank adds beyond the spec (loose responses)", () => {
    const parsed = consentStatusResponse200Schema.parse({ consentStatus: "valid", bankSpecific: 1 });
    expect(parsed).toEqual({ consentStatus: "valid", bankSpecific: 1 });
  });
});

describe("consentsRequestSchema", () => {
  const valid = {
    access: {
      accounts: [{ iban: "DE40100100103307118608" }],
      transactions: [{ iban: "DE40100100103307118608" }],
    },
    recurringIndicator: true,
    validUntil: "2026-06-30",
    frequencyPerDay: 4,
    combinedServiceIndicator: false,
  };

  it("accepts a dedicated-accounts consent and a bank-offered one", () => {
    expect(consentsRequestSchema.safeParse(valid).success).toBe(true);
    const offered = { ...valid, access: { availableAccounts: "allAccounts" } };
    expect(consentsRequestSchema.safeParse(offered).success).toBe(true);
  });

  it("rejects unknown fields, a missing required field, bad dates and a frequency below 1", () => {
    expect(consentsRequestSchema.safeParse({ ...valid, extra: 1 }).success).toBe(false);
    const { combinedServiceIndicator: _omit, ...missing } = valid;
    expect(consentsRequestSchema.safeParse(missing).success).toBe(false);
    expect(consentsRequestSchema.safeParse({ ...valid, validUntil: "30.06.2026" }).success).toBe(false);
    expect(consentsRequestSchema.safeParse({ ...valid, frequencyPerDay: 0 }).success).toBe(false);
    expect(consentsRequestSchema.safeParse({ ...valid, frequencyPerDay: 1.5 }).success).toBe(false);
  });

  it("rejects an account reference with no or two identifiers, and the spec example's string booleans", () => {
    const none = { ...valid, access: { accounts: [{ currency: "EUR" }] } };
    const two = {
      ...valid,
      access: { accounts: [{ iban: "DE40100100103307118608", bban: "100100103307118608" }] },
    };
    expect(consentsRequestSchema.safeParse(none).success).toBe(false);
    expect(consentsRequestSchema.safeParse(two).success).toBe(false);
    // The spec's consentsExample_* carry recurringIndicator "true" (a string) against its own boolean schema.
    expect(consentsRequestSchema.safeParse(example("consentsExample_DedicatedAccounts")).success).toBe(false);
  });
});

describe("known contradictions between the spec's examples and its schemas", () => {
  it("consentsInformationResponseExample has a string recurringIndicator and no lastActionDate", () => {
    const result = consentInformationResponse200Schema.safeParse(
      example("consentsInformationResponseExample"),
    );
    const paths = (result.error?.issues ?? []).map((issue) => issue.path.join("."));
    expect(paths.sort()).toEqual(["lastActionDate", "recurringIndicator"]);
  });

  it("the transaction details example's flat shape and the schema's nested shape unwrap to the same transaction", () => {
    const flat = transactionDetailsResponseSchema.parse(example("transactionDetailsExample"));
    const tx = unwrapTransactionDetails(flat);
    const nested = transactionDetailsResponseSchema.parse({
      transactionsDetails: { transactionDetails: tx },
    });
    expect(unwrapTransactionDetails(nested)).toEqual(tx);
    expect(tx.transactionAmount).toEqual({ currency: "EUR", amount: "-256.67" });
  });
});

describe("tppMessages", () => {
  it("parses an error body", () => {
    const body = { tppMessages: [{ category: "ERROR", code: "CONSENT_UNKNOWN", text: "no such consent" }] };
    expect(tppErrorSchema.parse(body).tppMessages[0]?.code).toBe("CONSENT_UNKNOWN");
  });

  it("TPP_MESSAGE_CODES lists exactly the codes of the spec's MessageCode4xx enums", () => {
    const fromSpec = new Set<string>();
    for (const [name, schema] of Object.entries(spec.components.schemas)) {
      if (/^MessageCode4\d\d_/.test(name)) for (const code of schema.enum ?? []) fromSpec.add(code);
    }
    expect(Object.keys(TPP_MESSAGE_CODES).sort()).toEqual([...fromSpec].sort());
  });
});
