import { describe, expect, it } from "vitest";
import { formatDate, messages, translate } from "./i18n.ts";

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("i18n", () => {
  it("has the same keys in German and English", () => {
    expect(Object.keys(messages.en).sort()).toEqual(Object.keys(messages.de).sort());
  });

  it("has no empty text and the same placeholders in both languages", () => {
    for (const [key, de] of Object.entries(messages.de)) {
      const en = (messages.en as Record<string, string>)[key] ?? "";
      expect(de.trim(), key).not.toBe("");
      expect(en.trim(), key).not.toBe("");
      expect(placeholders(en), key).toEqual(placeholders(de));
    }
  });

  it("fills placeholders and formats dates as German and British readers expect", () => {
    expect(translate("de", "apps.revoked", { tpp: "Books" })).toBe("Der Zugriff von Books wurde widerrufen.");
    expect(formatDate("de", "2026-11-23")).toBe("23.11.2026");
    expect(formatDate("de", "2027-02-01")).toBe("01.02.2027");
    expect(formatDate("en", "2027-02-01")).toBe("01/02/2027");
  });
});
