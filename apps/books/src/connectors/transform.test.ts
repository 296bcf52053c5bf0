import { readFileSync } from "node:fs";
import { transactionsResponse200JsonSchema } from "@kontor/xs2a";
import { describe, expect, it } from "vitest";
import {
  bookedBalanceOf,
  type FingerprintCounter,
  fingerprint,
  TransformError,
  transformBooked,
  transformPending,
} from "./transform.ts";

const page = transactionsResponse200JsonSchema.parse(
  JSON.parse(readFileSync(new URL("./fixtures/xs2a-transactions-page.json", import.meta.url), "utf8")),
);
const booked = page.transactions?.booked ?? [];

function transformAll() {
  const counter: FingerprintCounter = new Map();
  return booked.map((tx) => transformBooked(tx, counter));
}

describe("XS2A → books transform", () => {
  it("keys a transaction by transactionId and maps money in with the debtor as counterparty", () => {
    expect(transformAll()[0]).toEqual({
      externalId: "id:T-2026-0001",
      bookingDate: "2026-11-02",
      valueDate: "2026-11-02",
      amountMinor: 119_000,
      currency: "EUR",
      counterpartyName: "Kunde AG",
      counterpartyIban: "DE89370400440532013000",
      remittance: "RE-2026-0042",
      endToEndId: "E2E-RE-2026-0042",
      mandateId: null,
      creditorId: null,
      bankTransactionCode: "PMNT-RCDT-ESCT",
      bookingText: "SEPA-Gutschrift",
    });
  });

  it("falls back to entryReference, joins an unstructured remittance array, reads -0.10 as -10 minor units", () => {
    expect(transformAll()[1]).toMatchObject({
      externalId: "ref:ENTRY-77",
      amountMinor: -10,
      counterpartyName: "Bank",
      remittance: "Kontoführung November",
      valueDate: "2026-11-04",
    });
  });

  it("fingerprints a transaction without any id, numbering identical bookings of one read", () => {
    const rows = transformAll();
    const [third, fourth] = [rows[2], rows[3]];
    expect(third?.externalId).toMatch(/^fp:[0-9a-f]{64}:1$/);
    expect(fourth?.externalId).toBe(third?.externalId.replace(/:1$/, ":2"));
    // The same read again (the overlap window of the next sync) gives the same keys.
    expect(transformAll().map((r) => r.externalId)).toEqual(rows.map((r) => r.externalId));
  });

  it("uses the currency's exponent (JPY has none) and keeps mandate and creditor ids", () => {
    expect(transformAll()[4]).toMatchObject({
      amountMinor: -1200,
      currency: "JPY",
      mandateId: "M-1",
      creditorId: "DE98ZZZ09999999999",
    });
  });

  it("changes the fingerprint when any identifying field changes", () => {
    const row = transformAll()[2]!;
    const base = fingerprint(row);
    expect(fingerprint({ ...row, amountMinor: row.amountMinor - 1 })).not.toBe(base);
    expect(fingerprint({ ...row, remittance: "Kartenzahlung 2" })).not.toBe(base);
    expect(fingerprint({ ...row, bookingDate: "2026-11-06" })).not.toBe(base);
    expect(fingerprint({ ...row, counterpartyName: "BÄCKEREI SCHMIDT" })).toBe(base);
  });

  it("maps pending entries without a key", () => {
    const pending = page.transactions?.pending?.[0];
    expect(pending && transformPending(pending)).toEqual({
      valueDate: "2026-11-24",
      amountMinor: -4999,
      currency: "EUR",
      counterpartyName: "Telekom",
      remittance: null,
    });
  });

  it("takes closingBooked among the balances, else interimBooked", () => {
    expect(bookedBalanceOf(page.balances)).toEqual({
      amountMinor: 118_650,
      currency: "EUR",
      referenceDate: "2026-11-23",
    });
    expect(
      bookedBalanceOf([
        {
          balanceType: "interimBooked",
          balanceAmount: { currency: "EUR", amount: "-5.00" },
          lastChangeDateTime: "2026-11-23T10:00:00Z",
        },
      ]),
    ).toEqual({ amountMinor: -500, currency: "EUR", referenceDate: "2026-11-23" });
    expect(bookedBalanceOf([])).toBeUndefined();
  });

  it("refuses amounts with more decimals than the currency has, and a booking without a date", () => {
    const counter: FingerprintCounter = new Map();
    expect(() =>
      transformBooked(
        { bookingDate: "2026-11-01", transactionAmount: { currency: "EUR", amount: "1.005" } },
        counter,
      ),
    ).toThrow(TransformError);
    expect(() =>
      transformBooked({ transactionAmount: { currency: "EUR", amount: "1.00" } }, counter),
    ).toThrow(/without bookingDate/);
  });
});
