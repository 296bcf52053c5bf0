import { describe, expect, it } from "vitest";
import { dictionaries, formatDate, formatDateTime, formatMoney, negotiateLocale, t } from "./i18n.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n", () => {
  it("has the same keys in German and English", () => {
    expect(Object.keys(dictionaries.de).sort()).toEqual(Object.keys(dictionaries.en).sort());
  });

  it("uses the same placeholders for a key in both languages and leaves no text empty", () => {
    for (const [key, english] of Object.entries(dictionaries.en)) {
      const german = dictionaries.de[key as keyof typeof dictionaries.de];
      expect(placeholders(german), key).toEqual(placeholders(english));
      expect(english.trim(), key).not.toBe("");
      expect(german.trim(), key).not.toBe("");
    }
  });

  it("fills placeholders and names the top navigation as the product does", () => {
    expect(t("de", "nav.accounts")).toBe("Finanzen > Konten");
    expect(t("en", "nav.accounts")).toBe("Finances > Accounts");
    expect(t("de", "login.throttled", { minutes: 15 })).toContain("in 15 Minuten");
    expect(t("en", "nav.signedInAs")).toBe("Signed in as {email}");
  });

  it("speaks German to German browsers and English to everyone else, unless the user chose", () => {
    expect(negotiateLocale(undefined, "de-DE,de;q=0.9,en;q=0.8")).toBe("de");
    expect(negotiateLocale(undefined, "de-AT")).toBe("de");
    expect(negotiateLocale(undefined, "en-US,en;q=0.9,de;q=0.8")).toBe("en");
    expect(negotiateLocale(undefined, "fr-FR,de;q=0.5")).toBe("en");
    expect(negotiateLocale(undefined, "en;q=0.4,de;q=0.9")).toBe("de");
    expect(negotiateLocale(undefined, "de;q=0,en")).toBe("en");
    expect(negotiateLocale(undefined, undefined)).toBe("en");
    expect(negotiateLocale("de", "en-GB")).toBe("de");
    expect(negotiateLocale("en", "de-DE")).toBe("en");
    expect(negotiateLocale("xx", "de-DE")).toBe("de");
  });

  it("formats dates the German way in German and day-first in English", () => {
    expect(formatDate("de", "2026-11-23")).toBe("23.11.2026");
    expect(formatDate("en", "2026-11-23")).toBe("23/11/2026");
    // Late evening UTC is already the next day in Berlin.
    expect(formatDate("de", new Date("2026-11-23T23:30:00Z"))).toBe("24.11.2026");
    expect(formatDateTime("de", new Date("2026-07-01T12:05:00Z"))).toBe("01.07.2026, 14:05");
    expect(() => formatDate("de", "23.11.2026")).toThrow(/YYYY-MM-DD/);
  });

  it("formats money from minor units in the locale's style", () => {
    expect(formatMoney("de", 119_000, "EUR")).toBe("1.190,00\u00a0€");
    expect(formatMoney("en", 119_000, "EUR")).toBe("€1,190.00");
    expect(formatMoney("de", -5, "EUR")).toBe("-0,05\u00a0€");
  });
});
