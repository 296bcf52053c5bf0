import { formatAmount } from "@kontor/money";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTransactions, createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";

// Each transaction's XS2A JSON is rendered by the database when the row is written (migration 0002); the
// transactions endpoint sends that text as it is. These tests pin the rendering itself, on either engine.

let bank: TestBank;
let accountId: string;
beforeAll(async () => {
  bank = await createTestBank();
  accountId = (await createCustomer(bank.db)).accounts[0]!.id;
});
afterAll(async () => {
  await bank.close();
});

async function stored(transactionId: string) {
  const row = await bank.db
    .selectFrom("transactions")
    .select("xs2a")
    .where("transaction_id", "=", transactionId)
    .executeTakeFirstOrThrow();
  return row.xs2a;
}

describe("the stored XS2A text of a transaction", () => {
  it("names every field as the spec does, the counterparty as creditor of an outgoing amount, compact as JSON.stringify writes it", async () => {
    await addTransactions(bank.db, accountId, [
      {
        transaction_id: 'OUT-"quoted"-1',
        entry_reference: "E-1",
        end_to_end_id: "E2E-1",
        mandate_id: "M-1",
        creditor_id: "DE98ZZZ09999999999",
        booking_date: "2026-11-20",
        value_date: "2026-11-21",
        amount_minor: -119_000,
        counterparty_name: 'Müller & Söhne \\ "Ümlaut" GmbH',
        counterparty_iban: "DE89370400440532013000",
        counterparty_bic: "COBADEFFXXX",
        remittance: "RE 4711\nZeile 2\tTab \u0001 </script> 💶",
        bank_transaction_code: "PMNT-IDDT-ESDD",
        proprietary_code: "105",
        booking_text: "SEPA-Lastschrift",
      },
    ]);
    const expected = {
      transactionId: 'OUT-"quoted"-1',
      entryReference: "E-1",
      endToEndId: "E2E-1",
      mandateId: "M-1",
      creditorId: "DE98ZZZ09999999999",
      bookingDate: "2026-11-20",
      valueDate: "2026-11-21",
      transactionAmount: { currency: "EUR", amount: "-1190.00" },
      creditorName: 'Müller & Söhne \\ "Ümlaut" GmbH',
      creditorAccount: { iban: "DE89370400440532013000" },
      creditorAgent: "COBADEFFXXX",
      remittanceInformationUnstructured: "RE 4711\nZeile 2\tTab \u0001 </script> 💶",
      bankTransactionCode: "PMNT-IDDT-ESDD",
      proprietaryBankTransactionCode: "105",
      additionalInformation: "SEPA-Lastschrift",
    };
    expect(await stored('OUT-"quoted"-1')).toBe(JSON.stringify(expected));
  });

  it("makes the counterparty the debtor of an incoming amount and leaves out empty and missing texts", async () => {
    await addTransactions(bank.db, accountId, [
      {
        transaction_id: "IN-1",
        booking_date: "2026-11-22",
        amount_minor: 5,
        counterparty_name: "Kunde AG",
        counterparty_iban: "DE02120300000000202051",
        counterparty_bic: "BYLADEM1001",
        remittance: "",
        entry_reference: "",
      },
      {
        transaction_id: "BARE-1",
        booking_date: "2026-11-22",
        amount_minor: -1,
        counterparty_name: null,
        remittance: null,
      },
    ]);
    expect(JSON.parse(await stored("IN-1"))).toEqual({
      transactionId: "IN-1",
      bookingDate: "2026-11-22",
      valueDate: "2026-11-22",
      transactionAmount: { currency: "EUR", amount: "0.05" },
      debtorName: "Kunde AG",
      debtorAccount: { iban: "DE02120300000000202051" },
      debtorAgent: "BYLADEM1001",
    });
    expect(JSON.parse(await stored("BARE-1"))).toEqual({
      transactionId: "BARE-1",
      bookingDate: "2026-11-22",
      valueDate: "2026-11-22",
      transactionAmount: { currency: "EUR", amount: "-0.01" },
    });
  });

  it("writes amounts in the currency's ISO 4217 exponent exactly as @kontor/money formats them", async () => {
    const currencies = ["EUR", "USD", "CHF", "JPY", "KRW", "ISK", "BHD", "KWD", "TND"];
    const amounts = [
      1, -1, 9, -10, 100, -119_000, 123_456_789, 9_007_199_254_740_991, -9_007_199_254_740_991,
    ];
    const rows = currencies.flatMap((currency) =>
      amounts.map((amount_minor, i) => ({
        transaction_id: `AMT-${currency}-${i}`,
        booking_date: "2026-11-01",
        amount_minor,
        currency,
      })),
    );
    await addTransactions(bank.db, accountId, rows);
    for (const row of rows) {
      const text = JSON.parse(await stored(row.transaction_id));
      expect(text.transactionAmount, row.transaction_id).toEqual({
        currency: row.currency,
        amount: formatAmount(row.amount_minor, row.currency),
      });
    }
  });

  it("is rendered again when the row changes", async () => {
    await addTransactions(bank.db, accountId, [
      { transaction_id: "CHG-1", booking_date: "2026-11-10", amount_minor: -500, remittance: "alt" },
    ]);
    await bank.db
      .updateTable("transactions")
      .set({ remittance: "neu", booking_date: "2026-11-11" })
      .where("transaction_id", "=", "CHG-1")
      .execute();
    expect(JSON.parse(await stored("CHG-1"))).toMatchObject({
      bookingDate: "2026-11-11",
      remittanceInformationUnstructured: "neu",
    });
  });
});
