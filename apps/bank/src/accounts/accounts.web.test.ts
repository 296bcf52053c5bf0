import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTransactions, createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { loggedIn, webClient } from "../web/test-client.ts";
import { parseDateInput } from "./accounts.web.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

/** The visible text of an HTML page, tags removed and whitespace collapsed (for "what the user reads"). */
const textOf = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;|\u00a0|\u202f/g, " ")
    .replace(/\s+/g, " ");

describe("accounts page", () => {
  it("shows only the PSU's viewable accounts, main before sub-account, with de-DE balances, badges and rights", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2, openingBalance: 1_234_567 });
    const stranger = await createCustomer(bank.db, { openingBalance: 99_900 });
    const [main, sub] = customer.accounts;
    await addTransactions(bank.db, sub!.id, [{ booking_date: "2026-11-20", amount_minor: -50_000 }]);
    await bank.db.updateTable("accounts").set({ debit_blocked: true }).where("id", "=", sub!.id).execute();
    await bank.db
      .updateTable("memberships")
      .set({
        can_approve_payments: false,
        limit_per_transfer_minor: 500_000,
        limit_per_month_minor: 2_000_000,
      })
      .where("account_id", "=", sub!.id)
      .execute();
    // A third account of the same business the PSU may not view.
    const hidden = await createCustomer(bank.db, { accounts: 1 });
    await bank.db
      .insertInto("memberships")
      .values({ psu_id: customer.psuId, account_id: hidden.accounts[0]!.id, can_view: false })
      .execute();

    const client = await loggedIn(bank, customer);
    const response = await client.get("/");
    expect(response.status).toBe(200);
    const html = await response.text();
    const text = textOf(html);
    expect(text).toContain("Ihre Konten");
    expect(html).toContain(`href="/accounts/${main!.id}"`);
    expect(html).toContain(`href="/accounts/${sub!.id}"`);
    expect(html).not.toContain(stranger.accounts[0]!.id);
    expect(html).not.toContain(hidden.accounts[0]!.id);
    expect(html.indexOf(main!.id)).toBeLessThan(html.indexOf(sub!.id));
    expect(html).toMatch(/class="subs"[\s\S]*Unterkonto 1/);
    expect(text).toContain("12.345,67 €");
    expect(text).toContain("11.845,67 €");
    expect(text).not.toContain("999,00 €");
    expect(text).toContain(main!.iban.replace(/(.{4})/g, "$1 ").trim());
    expect(text).toContain("Belastungen gesperrt");
    expect(text).toContain("Limit je Überweisung: 5.000,00 €");
    expect(text).toContain("Limit je Monat: 20.000,00 €");
    expect(text).toMatch(/Ansehen Zahlungen anlegen Zahlungen freigeben/);

    const english = textOf(await (await client.get("/?lang=en")).text());
    expect(english).toContain("€12,345.67");
    expect(english).toContain("Limit per transfer: €5,000.00");
    expect(english).toContain("Debits blocked");
  });
});

describe("booked balance", () => {
  it("shows the balance under a visible label, as a term and its value, in the page's language", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2, openingBalance: 250_000 });
    const sub = customer.accounts[1]!;
    await addTransactions(bank.db, sub.id, [{ booking_date: "2026-11-20", amount_minor: -300_000 }]);
    const client = await loggedIn(bank, customer);

    const html = await (await client.get("/")).text();
    // Read as text, not hidden in an aria-label that screen readers ignore on a plain div.
    expect(html).not.toMatch(/aria-label="Gebuchter Saldo"/);
    expect(textOf(html)).toContain("Gebuchter Saldo 2.500,00 €");
    expect(html).toMatch(/<dl class="balance">\s*<dt>Gebuchter Saldo<\/dt>\s*<dd>2\.500,00/);
    expect(html).toMatch(/<dt>Gebuchter Saldo<\/dt>\s*<dd class="neg">-500,00/);

    const english = await (await client.get("/?lang=en")).text();
    expect(textOf(english)).toContain("Booked balance €2,500.00");
    // The account's own page shows it the same way.
    const page = textOf(await (await client.get(`/accounts/${sub.id}`)).text());
    expect(page).toContain("Booked balance -€500.00");
  });
});

describe("product names", () => {
  it("shows the account's product in the page's language; the stored name, which XS2A reports, stays as it is", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2 });
    const [main, sub] = customer.accounts;
    await bank.db
      .updateTable("accounts")
      .set({ product: "Business Sub-Account" })
      .where("id", "=", sub!.id)
      .execute();
    const client = await loggedIn(bank, customer);

    const german = textOf(await (await client.get("/")).text());
    expect(german).toContain("Hauptkonto · Geschäftskonto · EUR");
    expect(german).toContain("Unterkonto · Geschäfts-Unterkonto · EUR");
    expect(german).not.toMatch(/Business/);
    const page = textOf(await (await client.get(`/accounts/${sub!.id}`)).text());
    expect(page).toContain("· Geschäfts-Unterkonto");
    expect(page).not.toMatch(/Business/);

    const english = textOf(await (await client.get("/?lang=en")).text());
    expect(english).toContain("Main account · Business Account · EUR");
    expect(english).toContain("Sub-account · Business Sub-Account · EUR");
    const stored = await bank.db
      .selectFrom("accounts")
      .select("product")
      .where("id", "=", main!.id)
      .executeTakeFirstOrThrow();
    expect(stored.product).toBe("Business Account");
  });
});

describe("transactions page", () => {
  it("lists newest first with pending marked, 50 a page, and pages through all of them exactly once", async () => {
    const customer = await createCustomer(bank.db);
    const account = customer.accounts[0]!;
    const rows = Array.from({ length: 120 }, (_, i) => ({
      booking_date: `2026-${String(1 + Math.floor(i / 12)).padStart(2, "0")}-${String(1 + (i % 12)).padStart(2, "0")}`,
      amount_minor: i % 2 === 0 ? 10_000 + i : -(5_000 + i),
      transaction_id: `T-${String(i).padStart(3, "0")}`,
      remittance: `Ref ${String(i).padStart(3, "0")}`,
    }));
    await addTransactions(bank.db, account.id, rows);
    await addTransactions(bank.db, account.id, [
      {
        booking_date: "2026-11-23",
        amount_minor: -4_200,
        status: "pending",
        remittance: "Kartenzahlung Tankstelle",
      },
    ]);
    const client = await loggedIn(bank, customer);

    const seen: string[] = [];
    let html = await (await client.get(`/accounts/${account.id}`)).text();
    expect(textOf(html)).toContain("Umsätze 1–50 von 121");
    // The pending one is on top, marked, and its debit in red.
    const first = /<tbody>\s*<tr class="([^"]+)"[\s\S]*?<\/tr>/.exec(html)![0];
    expect(first).toContain('class="pending"');
    expect(textOf(first)).toContain("Vorgemerkt");
    expect(textOf(first)).toContain("-42,00 €");
    expect(first).toMatch(/class="num neg"/);
    expect(textOf(first)).toContain("23.11.2026");
    for (let page = 1; page <= 3; page++) {
      if (page > 1) html = await (await client.get(`/accounts/${account.id}?page=${page}`)).text();
      seen.push(...[...html.matchAll(/Ref (\d{3})/g)].map((m) => m[1]!));
      expect(html.includes('rel="next"')).toBe(page < 3);
      expect(html.includes('rel="prev"')).toBe(page > 1);
    }
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    // Booked ones newest first: the 2026-10-12 entry (i = 119) comes first, 2026-01-01 (i = 0) last.
    expect(seen[0]).toBe("119");
    expect(seen.at(-1)).toBe("000");
    expect(textOf(html)).toContain("Umsätze 101–121 von 121");
  });

  it("filters by text (counterparty, remittance, IBAN) and by date range, and keeps the filter when paging", async () => {
    const customer = await createCustomer(bank.db);
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      {
        booking_date: "2026-03-01",
        amount_minor: 119_000,
        counterparty_name: "Müller & Söhne KG",
        remittance: "RE-2026-0042",
      },
      {
        booking_date: "2026-03-15",
        amount_minor: -2_990,
        counterparty_name: "Telekom",
        remittance: "Rechnung März",
      },
      {
        booking_date: "2026-04-02",
        amount_minor: -10_000,
        counterparty_name: "Finanzamt",
        counterparty_iban: "DE89370400440532013000",
        remittance: "USt 100% Vorauszahlung",
      },
    ]);
    const client = await loggedIn(bank, customer);
    const list = async (query: string) =>
      textOf(await (await client.get(`/accounts/${account.id}?${query}`)).text());

    const byName = await list("q=m%C3%BCller");
    expect(byName).toContain("1.190,00 €");
    expect(byName).not.toContain("Telekom");
    expect(await list("q=0042")).toContain("Müller");
    expect(await list("q=DE89+3704+0044")).toContain("Finanzamt");
    // LIKE wildcards are literal text for the PSU.
    expect(await list("q=100%25")).toContain("Finanzamt");
    expect(await list("q=_")).toContain("Keine Umsätze passen zu diesem Filter.");

    const march = await list("from=2026-03-01&to=2026-03-31");
    expect(march).toContain("Müller");
    expect(march).toContain("Telekom");
    expect(march).not.toContain("Finanzamt");
    expect(await list("from=02.04.2026")).toContain("Finanzamt");
    expect(await list("from=02.04.2026")).not.toContain("Telekom");

    const bad = await client.get(`/accounts/${account.id}?from=2026-02-30`);
    expect(bad.status).toBe(400);
    expect(textOf(await bad.text())).toContain("Bitte geben Sie ein gültiges Datum ein");
    const reversed = await client.get(`/accounts/${account.id}?from=2026-04-01&to=2026-03-01`);
    expect(textOf(await reversed.text())).toContain("Das Startdatum liegt nach dem Enddatum.");

    await addTransactions(
      bank.db,
      account.id,
      Array.from({ length: 60 }, (_, i) => ({
        booking_date: "2026-05-01",
        amount_minor: 100,
        remittance: `Abo ${i}`,
      })),
    );
    const paged = await (await client.get(`/accounts/${account.id}?q=Abo`)).text();
    expect(paged).toContain(`href="/accounts/${account.id}?q=Abo&amp;page=2"`);
  });

  it("answers 404 for another PSU's account and for an unknown id, without showing anything of it", async () => {
    const customer = await createCustomer(bank.db);
    const other = await createCustomer(bank.db);
    await addTransactions(bank.db, other.accounts[0]!.id, [
      { booking_date: "2026-11-01", amount_minor: 777_700, counterparty_name: "Geheim GmbH" },
    ]);
    const client = await loggedIn(bank, customer);
    for (const id of [other.accounts[0]!.id, "00000000-0000-4000-8000-000000000000", "not-a-uuid"]) {
      const response = await client.get(`/accounts/${id}`);
      expect(response.status).toBe(404);
      const text = textOf(await response.text());
      expect(text).toContain("Dieses Konto gibt es nicht, oder Sie haben keinen Zugriff darauf.");
      expect(text).not.toContain("Geheim");
    }
  });
});

/** The definition list of a page as label → value, each as the user reads it. */
const factsOf = (html: string) =>
  new Map(
    [...html.matchAll(/<dt>([\s\S]*?)<\/dt>\s*<dd[^>]*>([\s\S]*?)<\/dd>/g)].map((m) => [
      textOf(m[1]!).trim(),
      textOf(m[2]!).trim(),
    ]),
  );

describe("transaction details", () => {
  const direct = {
    transaction_id: `T-detail-${Date.now()}`,
    booking_date: "2026-11-23",
    value_date: "2026-11-24",
    amount_minor: -123_456,
    counterparty_name: "Stadtwerke München GmbH",
    counterparty_iban: "DE02701500000000594937",
    counterparty_bic: "SSKMDEMMXXX",
    remittance: "Abschlag Strom 11/2026",
    end_to_end_id: "E2E-SWM-2026-11-0042",
    mandate_id: "SWM-000123",
    creditor_id: "DE98ZZZ09999999999",
    bank_transaction_code: "PMNT-RDDT-ESDD",
    proprietary_code: "105",
    booking_text: "SEPA-Lastschrift",
  };

  it("shows every field of a transaction with German labels and de-DE formats, linked from the list", async () => {
    const customer = await createCustomer(bank.db);
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [direct]);
    const client = await loggedIn(bank, customer);

    const list = await (await client.get(`/accounts/${account.id}?q=Stadtwerke`)).text();
    const href = `/accounts/${account.id}/transactions/${direct.transaction_id}?q=Stadtwerke`;
    expect(list).toContain(`<a href="${href}">Stadtwerke München GmbH`);
    // The list stays scannable: the statement's codes are on the detail page only.
    expect(list).not.toContain("SWM-000123");

    const response = await client.get(href);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(textOf(html)).toContain("Umsatzdetails");
    expect(html).toContain(`href="/accounts/${account.id}?q=Stadtwerke">← Zurück zu den Umsätzen`);
    expect(Object.fromEntries(factsOf(html))).toEqual({
      Buchungstag: "23.11.2026",
      Wertstellung: "24.11.2026",
      Status: "Gebucht",
      Betrag: "-1.234,56 €",
      "Empfänger / Auftraggeber": "Stadtwerke München GmbH",
      IBAN: "DE02 7015 0000 0000 5949 37",
      BIC: "SSKMDEMMXXX",
      Verwendungszweck: "Abschlag Strom 11/2026",
      Buchungstext: "SEPA-Lastschrift",
      "Geschäftsvorfallcode (GVC)": "105",
      "Bank-Transaktionscode": "PMNT-RDDT-ESDD",
      "End-to-End-Referenz": "E2E-SWM-2026-11-0042",
      Mandatsreferenz: "SWM-000123",
      "Gläubiger-ID": "DE98ZZZ09999999999",
      "Umsatz-ID": direct.transaction_id,
    });
  });

  it("shows the same fields with English labels and en-GB formats on the English page", async () => {
    const customer = await createCustomer(bank.db);
    const account = customer.accounts[0]!;
    const tx = { ...direct, transaction_id: `T-detail-en-${Date.now()}` };
    await addTransactions(bank.db, account.id, [tx]);
    const client = await loggedIn(bank, customer);

    const html = await (
      await client.get(`/accounts/${account.id}/transactions/${tx.transaction_id}?lang=en`)
    ).text();
    expect(html).toContain('<html lang="en">');
    expect(textOf(html)).toContain("Transaction details");
    const facts = factsOf(html);
    expect(facts.get("Booking date")).toBe("23/11/2026");
    expect(facts.get("Value date")).toBe("24/11/2026");
    expect(facts.get("Amount")).toBe("-€1,234.56");
    expect(facts.get("Status")).toBe("Booked");
    expect(facts.get("Booking text")).toBe("SEPA-Lastschrift");
    expect(facts.get("Transaction type code (GVC)")).toBe("105");
    expect(facts.get("End-to-end reference")).toBe("E2E-SWM-2026-11-0042");
    expect(facts.get("Mandate reference")).toBe("SWM-000123");
    expect(facts.get("Creditor ID")).toBe("DE98ZZZ09999999999");
    expect(facts.get("Payee / payer")).toBe("Stadtwerke München GmbH");
    expect([...facts.keys()].join(" ")).not.toMatch(/Buchung|Wertstellung|Mandatsreferenz/);
  });

  it("leaves out the fields a transaction does not have, and marks a pending one", async () => {
    const customer = await createCustomer(bank.db);
    const account = customer.accounts[0]!;
    const [card] = await addTransactions(bank.db, account.id, [
      { booking_date: "2026-11-25", amount_minor: -4_200, status: "pending", remittance: "Kartenzahlung" },
    ]);
    const client = await loggedIn(bank, customer);

    const html = await (
      await client.get(`/accounts/${account.id}/transactions/${card!.transaction_id}`)
    ).text();
    expect([...factsOf(html).keys()]).toEqual([
      "Buchungstag",
      "Wertstellung",
      "Status",
      "Betrag",
      "Empfänger / Auftraggeber",
      "Verwendungszweck",
      "Umsatz-ID",
    ]);
    expect(factsOf(html).get("Status")).toBe("Vorgemerkt");
    expect(html).toMatch(/<dd class="amount neg">-42,00/);
  });

  it("answers 404 for a transaction of another account or another business, and for an account the PSU may not view", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2 });
    const [main, sub] = customer.accounts;
    const other = await createCustomer(bank.db);
    const [own] = await addTransactions(bank.db, main!.id, [
      { booking_date: "2026-11-01", amount_minor: 100 },
    ]);
    const [foreign] = await addTransactions(bank.db, other.accounts[0]!.id, [
      {
        booking_date: "2026-11-01",
        amount_minor: 777_700,
        counterparty_name: "Geheim GmbH",
        mandate_id: "GEHEIM-1",
      },
    ]);
    const client = await loggedIn(bank, customer);
    const noSuchTx = "Diesen Umsatz gibt es auf diesem Konto nicht.";
    const noSuchAccount = "Dieses Konto gibt es nicht, oder Sie haben keinen Zugriff darauf.";

    const cases: [string, string][] = [
      // Another business's transaction, asked for under the PSU's own account …
      [`/accounts/${main!.id}/transactions/${foreign!.transaction_id}`, noSuchTx],
      // … and under its own account, which the PSU may not view.
      [`/accounts/${other.accounts[0]!.id}/transactions/${foreign!.transaction_id}`, noSuchAccount],
      // The PSU's own transaction under their other account.
      [`/accounts/${sub!.id}/transactions/${own!.transaction_id}`, noSuchTx],
      [`/accounts/${main!.id}/transactions/T-does-not-exist`, noSuchTx],
      [`/accounts/not-a-uuid/transactions/${own!.transaction_id}`, noSuchAccount],
    ];
    for (const [path, message] of cases) {
      const response = await client.get(path);
      expect(response.status, path).toBe(404);
      const text = textOf(await response.text());
      expect(text, path).toContain(message);
      expect(text, path).not.toMatch(/Geheim|7\.777,00/);
    }

    // A membership without the view right hides the account's transactions as well.
    await bank.db
      .updateTable("memberships")
      .set({ can_view: false })
      .where("psu_id", "=", customer.psuId)
      .where("account_id", "=", main!.id)
      .execute();
    const hidden = await client.get(`/accounts/${main!.id}/transactions/${own!.transaction_id}`);
    expect(hidden.status).toBe(404);

    // Without a session: the login page, nothing of the transaction.
    const anonymous = await webClient(bank).get(
      `/accounts/${other.accounts[0]!.id}/transactions/${foreign!.transaction_id}`,
    );
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("Location")).toMatch(/^\/login\?next=/);
  });
});

describe("date input", () => {
  it("reads ISO and German dates and refuses impossible ones", () => {
    expect(parseDateInput("2026-11-23")).toBe("2026-11-23");
    expect(parseDateInput("23.11.2026")).toBe("2026-11-23");
    expect(parseDateInput("3/1/2026")).toBe("2026-01-03");
    expect(parseDateInput("2026-02-29")).toBeNull();
    expect(parseDateInput("yesterday")).toBeNull();
  });
});
