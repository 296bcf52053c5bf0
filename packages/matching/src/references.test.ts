import { describe, expect, it } from "vitest";
import { discountAmount, findSubsets, relate, undiscountedCandidates } from "./amounts.ts";
import { nameSimilarity, nameTokens, normalizeRemittance } from "./normalize.ts";
import { extractRfs, isValidRf, makeRf, numberKeys, windowsOf, withinOneEdit } from "./references.ts";

describe("remittance normalisation", () => {
  it("removes SEPA keys and placeholders and folds umlauts", () => {
    const clean = (s: string) => normalizeRemittance(s).replace(/\s+/g, " ").trim();
    expect(clean("EREF+NOTPROVIDED SVWZ+Rechnung Müller RE-1")).toBe("RECHNUNG MUELLER RE-1");
    expect(clean("KREF+abc MREF+M1 CRED+DE98ZZZ ABWA+Größe")).toBe("ABC M1 DE98ZZZ GROESSE");
  });

  it("reduces names to significant tokens and compares them", () => {
    expect(nameTokens("Müller Bau GmbH & Co. KG")).toEqual(["MUELLER", "BAU"]);
    expect(nameTokens("MEDIA MARKT 3956")).toEqual(["MEDIA", "MARKT"]);
    expect(nameSimilarity(nameTokens("MUELLER BAU"), nameTokens("Müller Bau GmbH"))).toBe(1);
    expect(nameSimilarity(nameTokens("MEDIAMARKT"), nameTokens("Media Markt"))).toBeGreaterThan(0.8);
    expect(nameSimilarity(nameTokens("Schmidt Elektro"), nameTokens("Weber Logistik"))).toBe(0);
  });
});

describe("invoice number keys", () => {
  const keysOf = (text: string) => windowsOf(normalizeRemittance(text), false);
  const doc = numberKeys("RE-2026-0042");

  it.each([
    "RE-2026-0042",
    "re2026-0042",
    "RE 2026 0042",
    "RE-2026-42",
    "Rechnung 2026/0042 vom 03.02.",
    "RE-2026-00 42",
    "SVWZ+RE20260042",
  ])("finds RE-2026-0042 written as %s", (text) => {
    const windows = keysOf(text);
    const found = windows.some((w) => w.full === doc.full || w.sig === doc.sig || w.concat === doc.concat);
    expect(found).toBe(true);
  });

  it("marks digits glued to a longer number as embedded and a number at a 140-character cut as partial", () => {
    const inner = keysOf("RE-2026-0042").find((w) => w.sig === "42");
    expect(inner?.embedded).toBe(true);
    const cut = windowsOf(normalizeRemittance(`${"x".repeat(130)} RE-2026-00`), true);
    expect(cut.at(-1)?.atCut).toBe(true);
  });

  it("accepts one typo and nothing more", () => {
    expect(withinOneEdit("20260042", "20260024")).toBe(true); // neighbours transposed
    expect(withinOneEdit("20260042", "20240062")).toBe(false); // digits swapped two apart
    expect(withinOneEdit("20260042", "20260043")).toBe(true);
    expect(withinOneEdit("20260042", "2026042")).toBe(true);
    expect(withinOneEdit("20260042", "20206042")).toBe(true);
    expect(withinOneEdit("20260042", "20261143")).toBe(false);
  });
});

describe("ISO 11649 creditor references", () => {
  it("validates check digits", () => {
    expect(isValidRf("RF18539007547034")).toBe(true);
    expect(isValidRf("RF18 5390 0754 7034")).toBe(true);
    expect(isValidRf("RF19539007547034")).toBe(false);
    expect(isValidRf(makeRf("ABC4471"))).toBe(true);
  });

  it("reads references printed whole or in groups of four, and ignores invalid ones", () => {
    expect(extractRfs("ZAHLUNG RF18 5390 0754 7034 DANKE")).toEqual(["RF18539007547034"]);
    expect(extractRfs("RF18539007547034")).toEqual(["RF18539007547034"]);
    expect(extractRfs("RF19 5390 0754 7034")).toEqual([]);
  });
});

describe("amounts", () => {
  const day = 100;
  it("tells Skonto within terms, unauthorised Skonto, fees, partial and overpayments apart", () => {
    expect(relate(116_620, 119_000, { basisPoints: 200, untilDay: day }, day).kind).toBe("discount_terms");
    expect(relate(116_620, 119_000, { basisPoints: 200, untilDay: day - 30 }, day).kind).toBe(
      "discount_unauth",
    );
    expect(relate(57_715, 59_500, undefined, day)).toMatchObject({
      kind: "discount_unauth",
      basisPoints: 300,
    });
    expect(relate(355_500, 357_000, undefined, day).kind).toBe("fee");
    expect(relate(40_000, 100_000, undefined, day).kind).toBe("partial");
    expect(relate(33_000, 32_130, undefined, day).kind).toBe("overpayment");
    expect(relate(119_000, 119_000, undefined, day).kind).toBe("exact");
    expect(discountAmount(119_000, 200)).toBe(2380);
  });

  it("finds the open amounts a discounted payment could settle", () => {
    expect(undiscountedCandidates(116_620)).toContain(119_000);
  });

  it("searches subsets with required members, within bounds", () => {
    const items = [10, 20, 30, 40, 70].map((amount) => ({ amount }));
    expect(findSubsets(100, items, [0, 1], 2)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 4],
    ]);
    expect(findSubsets(100, items, [0, 1], 1)).toEqual([[0, 1, 4]]);
    expect(findSubsets(100, items, [], 4).length).toBeGreaterThan(1);
    expect(findSubsets(100, items, [], 4, 1)).toEqual([]); // budget exhausted: no answer rather than a slow one
  });
});
