import { describe, expect, it } from "vitest";
import { MatchingInputError, parseDataset } from "./schemas.ts";

const tx = { id: "t1", bookingDate: "2026-03-02", amount: "-1190.00", currency: "EUR" };
const doc = {
  id: "d1",
  kind: "sales_invoice",
  issueDate: "2026-02-10",
  openAmount: "1190.00",
  currency: "EUR",
  cashDiscount: { percent: "2.5", until: "2026-02-20" },
};

function issuesOf(input: unknown): string[] {
  try {
    parseDataset(input);
  } catch (error) {
    if (error instanceof MatchingInputError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe("matching dataset parsing", () => {
  it("turns amounts into minor units and dates into day numbers", () => {
    const ds = parseDataset({ transactions: [tx], documents: [doc] });
    expect(ds.transactions[0]).toMatchObject({ amount: -119_000, day: 20_514 });
    expect(ds.documents[0]).toMatchObject({ openAmount: 119_000, cashDiscount: { basisPoints: 250 } });
  });

  it("names the JSON path of every bad field", () => {
    const issues = issuesOf({
      transactions: [
        tx,
        { ...tx, id: "t2", amount: "1.190,00" },
        { ...tx, id: "t3", bookingDate: "2026-02-30" },
      ],
      documents: [
        { ...doc, kind: "invoice" },
        { ...doc, id: "d2", openAmount: "-5.00" },
      ],
    });
    expect(issues).toEqual([
      expect.stringMatching(/^transactions\[1\]\.amount: "1\.190,00" is not a decimal amount/),
      expect.stringMatching(/^transactions\[2\]\.bookingDate: expected a calendar date/),
      expect.stringMatching(/^documents\[0\]\.kind: /),
      expect.stringMatching(/^documents\[1\]\.openAmount: must be a positive amount/),
    ]);
  });

  it("rejects duplicate ids", () => {
    expect(issuesOf({ transactions: [tx, tx], documents: [doc] })).toEqual([
      expect.stringMatching(/^transactions\[1\]\.id: duplicate id "t1" \(first used at transactions\[0\]\)/),
    ]);
  });

  it("rejects a missing list and a wrong currency", () => {
    expect(issuesOf({ transactions: [] })).toEqual([expect.stringMatching(/^documents: /)]);
    expect(issuesOf({ transactions: [{ ...tx, currency: "EURO" }], documents: [] })).toEqual([
      expect.stringMatching(/^transactions\[0\]\.currency: expected an ISO 4217/),
    ]);
  });
});
