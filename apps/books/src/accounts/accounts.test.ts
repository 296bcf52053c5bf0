import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMember, createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import { translator } from "../web/i18n.ts";
import { accountsPage } from "./accounts.views.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks();
});
afterAll(() => books.close());

describe("Finances > Accounts", () => {
  it("shows a member with Financial Accounting the empty state and the way to add an account", async () => {
    const { user } = await createMember(books, { role: "accountant" });
    const browser = testBrowser(books.app, { acceptLanguage: "de-DE,de;q=0.9" });
    await browser.login(user.email, user.password);
    const page = await browser.get("/accounts");

    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain("Finanzen &gt; Konten");
    expect(page.body).toContain("Noch keine Bankkonten");
    expect(page.body).toContain('<a class="button primary" href="/accounts/new">Konto hinzufügen</a>');

    const add = await browser.get("/accounts/new");
    expect(add.status).toBe(200);
    expect(add.body).toContain("<h1>Konto hinzufügen</h1>");
    expect(add.body).toContain("Neues Konto verbinden");
  });

  it("lets a member without it look, but not add", async () => {
    const { user } = await createMember(books, { role: "viewer" });
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    const page = await browser.get("/accounts");
    expect(page.status).toBe(200);
    expect(page.body).toContain("No bank accounts yet");
    expect(page.body).not.toContain('href="/accounts/new"');
    expect(page.body).toContain("To connect accounts you need the “Financial Accounting” permission.");
  });

  it("refuses the add-account step to a viewer with 403, as a localized page or JSON", async () => {
    const { user } = await createMember(books, { role: "viewer" });
    const german = testBrowser(books.app, { acceptLanguage: "de" });
    await german.login(user.email, user.password);
    const page = await german.get("/accounts/new");
    expect(page.status).toBe(403);
    expect(page.body).toContain("Berechtigung erforderlich");
    expect(page.body).toContain("„Finanzbuchhaltung“");

    const json = await german.get("/accounts/new", { accept: "application/json" });
    expect(json.status).toBe(403);
    expect(json.json()).toMatchObject({
      error: { code: "permission_required", details: { permission: "financial_accounting" } },
    });
  });

  it("sends a logged-out visitor to the login page", async () => {
    const response = await testBrowser(books.app).get("/accounts/new");
    expect(response.status).toBe(303);
    expect(response.location).toBe("/login?next=%2Faccounts%2Fnew");
  });

  it("lists connected accounts with formatted IBAN, balance and last sync", async () => {
    const account = {
      id: "a1",
      name: "Geschäftskonto",
      iban: "DE89370400440532013000",
      currency: "EUR",
      balanceMinor: 1_234_567,
      lastSyncedAt: new Date("2026-11-23T08:15:00Z"),
    };
    const german = String(
      await accountsPage({ t: translator("de"), locale: "de", canConnect: true }, [account]),
    );
    expect(german).toContain("DE89 3704 0044 0532 0130 00");
    expect(german).toContain("12.345,67\u00a0€");
    expect(german).toContain("23.11.2026, 09:15");
    expect(german).not.toContain("Noch keine Bankkonten");
    const english = String(
      await accountsPage({ t: translator("en"), locale: "en", canConnect: false }, [
        { ...account, balanceMinor: null, lastSyncedAt: null },
      ]),
    );
    expect(english).toContain("Not yet synced");
    expect(english).not.toContain('href="/accounts/new"');
  });
});
