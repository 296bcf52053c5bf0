import { describe, expect, it } from "vitest";
import {
  currencyExponent,
  formatAmount,
  formatIban,
  formatMoney,
  ibanFromBban,
  isBic,
  normalizeIban,
  parseAmount,
} from "./index.ts";

describe("amounts", () => {
  it("parses decimal text exactly into minor units per ISO 4217 exponent", () => {
    expect(parseAmount("1190.00", "EUR")).toBe(119000);
    expect(parseAmount("-0.10", "EUR")).toBe(-10);
    expect(parseAmount("0.1", "EUR")).toBe(10);
    expect(parseAmount("+12", "EUR")).toBe(1200);
    expect(parseAmount("1500", "JPY")).toBe(1500);
    expect(parseAmount("1.234", "KWD")).toBe(1234);
    expect(parseAmount("-0.00", "EUR")).toBe(0);
  });

  it("rejects what is not plain decimal text, with the reason", () => {
    expect(() => parseAmount("1.190,00", "EUR")).toThrow(/not a decimal amount/);
    expect(() => parseAmount("1e3", "EUR")).toThrow(/not a decimal amount/);
    expect(() => parseAmount("", "EUR")).toThrow(/not a decimal amount/);
    expect(() => parseAmount("1.001", "EUR")).toThrow(/more than 2 decimal places for EUR/);
    expect(() => parseAmount("1.5", "JPY")).toThrow(/more than 0 decimal places/);
    expect(() => parseAmount("1.00", "XXY")).toThrow(/unknown currency/);
    expect(() => parseAmount("99999999999999999.00", "EUR")).toThrow(/safe integer/);
  });

  it("formats minor units back to the same text", () => {
    for (const text of ["0.00", "0.05", "-0.05", "1190.00", "-123456789.99"]) {
      expect(formatAmount(parseAmount(text, "EUR"), "EUR")).toBe(text);
    }
    expect(formatAmount(1500, "JPY")).toBe("1500");
    expect(formatAmount(-5, "KWD")).toBe("-0.005");
    expect(currencyExponent("EUR")).toBe(2);
  });

  it("sums to the cent where floating point would not", () => {
    expect(parseAmount("0.1", "EUR") + parseAmount("0.2", "EUR")).toBe(parseAmount("0.3", "EUR"));
  });

  it("formats for German readers", () => {
    expect(formatMoney(119000, "EUR")).toBe("1.190,00\u00a0€");
    expect(formatMoney(-5, "EUR")).toBe("-0,05\u00a0€");
    expect(formatMoney(119000, "EUR", "en-GB")).toBe("€1,190.00");
  });
});

describe("IBAN and BIC", () => {
  it("normalises and validates IBANs", () => {
    expect(normalizeIban("de89 3704 0044 0532 0130 00")).toBe("DE89370400440532013000");
    expect(normalizeIban("DE89370400440532013001")).toBeNull();
    expect(formatIban("DE89370400440532013000")).toBe("DE89 3704 0044 0532 0130 00");
  });

  it("mints IBANs with valid check digits", () => {
    expect(ibanFromBban("DE", "370400440532013000")).toBe("DE89370400440532013000");
  });

  it("validates BICs", () => {
    expect(isBic("COBADEFFXXX")).toBe(true);
    expect(isBic("COBADE")).toBe(false);
  });
});
