import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTransactions, createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { loggedIn } from "../web/test-client.ts";
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

describe("date input", () => {
  it("reads ISO and German dates and refuses impossible ones", () => {
    expect(parseDateInput("2026-11-23")).toBe("2026-11-23");
    expect(parseDateInput("23.11.2026")).toBe("2026-11-23");
    expect(parseDateInput("3/1/2026")).toBe("2026-01-03");
    expect(parseDateInput("2026-02-29")).toBeNull();
    expect(parseDateInput("yesterday")).toBeNull();
  });
});
