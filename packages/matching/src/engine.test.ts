import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { suggest } from "./engine.ts";
import { generate } from "./generator.ts";

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const golden = fixture("golden-input.json") as {
  transactions: { id: string; amount: string }[];
  documents: { id: string }[];
};
const labels = fixture("golden-labels.json") as Record<string, { case: string; expected: string[] }>;
const result = suggest(golden);
const byTx = new Map(result.suggestions.map((s) => [s.transactionId, s]));

describe("golden dataset", () => {
  it("produces exactly the checked-in suggestions", () => {
    expect(result).toEqual(fixture("golden-expected.json"));
  });

  // One behaviour per case type of issue 4, each named by its case.
  for (const [txId, label] of Object.entries(labels)) {
    const what = label.expected.length === 0 ? "no suggestion" : `suggests ${label.expected.join(", ")}`;
    it(`${label.case}: ${txId} → ${what}`, () => {
      const s = byTx.get(txId);
      if (label.expected.length === 0) expect(s).toBeUndefined();
      else {
        expect(s?.allocations.map((a) => a.documentId).sort()).toEqual([...label.expected].sort());
        expect(s?.reasons.length).toBeGreaterThan(0);
      }
    });
  }
});

describe("suggestion contract", () => {
  const generated = generate({ variant: "development", transactions: 1500, seed: 3 });
  const out = suggest(generated.dataset);
  const amountOf = new Map(generated.dataset.transactions.map((t) => [t.id, t.amount]));
  const cents = (s: string) => Math.round(Number(s) * 100);

  it("allocations are positive and, with the signed difference, sum to the transaction's absolute amount", () => {
    const goldenAmount = new Map(golden.transactions.map((t) => [t.id, t.amount]));
    const all = [
      ...out.suggestions.map((s) => ({ s, tx: amountOf.get(s.transactionId)! })),
      ...result.suggestions.map((s) => ({ s, tx: goldenAmount.get(s.transactionId)! })),
    ];
    expect(all.length).toBeGreaterThan(1000);
    for (const { s, tx } of all) {
      const allocated = s.allocations.reduce((a, x) => a + cents(x.amount), 0);
      for (const a of s.allocations) expect(cents(a.amount)).toBeGreaterThan(0);
      expect(allocated + (s.difference ? cents(s.difference.amount) : 0)).toBe(Math.abs(cents(tx)));
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(1);
    }
  });

  it("gives at most one suggestion per transaction and takes a fully settled document only once", () => {
    const txIds = out.suggestions.map((s) => s.transactionId);
    expect(new Set(txIds).size).toBe(txIds.length);
    const settled = out.suggestions
      .filter((s) => s.difference?.reason !== "partial_payment")
      .flatMap((s) => s.allocations.map((a) => a.documentId));
    expect(new Set(settled).size).toBe(settled.length);
  });

  it("is deterministic for the same input", () => {
    expect(suggest(generated.dataset)).toEqual(out);
    expect(suggest(golden)).toEqual(result);
  });

  it("abstains between equal-amount invoices of one customer when nothing tells them apart", () => {
    const doc = (id: string, number: string) => ({
      id,
      kind: "sales_invoice",
      number,
      issueDate: "2026-02-01",
      openAmount: "49.00",
      currency: "EUR",
      contactName: "Abo Kunde GmbH",
      contactIban: "DE89370400440532013000",
    });
    const tx = {
      id: "t1",
      bookingDate: "2026-03-01",
      amount: "49.00",
      currency: "EUR",
      counterpartyName: "ABO KUNDE GMBH",
      counterpartyIban: "DE89370400440532013000",
      remittanceInformation: "Monatsbeitrag",
    };
    expect(
      suggest({ transactions: [tx], documents: [doc("a", "RE-1001"), doc("b", "RE-1002")] }).suggestions,
    ).toEqual([]);
    // With one of them gone, the same line is a confident match.
    const single = suggest({ transactions: [tx], documents: [doc("a", "RE-1001")] }).suggestions;
    expect(single.map((s) => s.allocations[0]!.documentId)).toEqual(["a"]);
  });
});
