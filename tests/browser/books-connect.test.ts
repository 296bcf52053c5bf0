import type { RunningBooks } from "@kontor/books";
import { startBooks } from "@kontor/books";
import {
  bookTransactions,
  createBankCustomer,
  type RunningBank,
  startTestBank,
  TEST_TPP,
} from "@kontor/books/testing-bank";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newContext } from "./harness.ts";

let bank: RunningBank;
let books: RunningBooks;
let browser: Browser;
beforeAll(async () => {
  bank = await startTestBank();
  [books, browser] = await Promise.all([
    startBooks({
      port: 0,
      seedDemo: true,
      bankBaseUrl: bank.url,
      tpp: TEST_TPP,
      logger: { info() {}, warn() {}, error: (message, fields) => console.error(message, fields) },
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await books?.close();
  await bank?.close();
});

describe("connecting a bank account in a real browser", () => {
  it("logs in, connects the sandbox bank with bank login and TAN, chooses an IBAN, syncs, and shows transactions and the chart", async () => {
    const customer = await createBankCustomer(bank, { accounts: 2 });
    const [main] = customer.accounts;
    if (!main) throw new Error("account expected");
    await bookTransactions(bank, main.id, { count: 40 });

    const context = await newContext(browser, { locale: "en-GB", baseURL: books.url });
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    try {
      await page.goto("/login");
      await page.getByLabel("Email address").fill("demo@kontor.test");
      await page.getByLabel("Password").fill("demo");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/accounts$/);

      await page.getByRole("link", { name: "Add account" }).click();
      await page.getByRole("link", { name: "Connect new account" }).click();
      await page.getByLabel("Bank name or BIC").fill("sandbox");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("button", { name: "Connect Kontor Sandbox Bank" }).click();

      // The bank's own pages: login, then TAN (and the accounts to share).
      await page.waitForURL(new RegExp(`^${bank.url}/sca/`));
      await page.locator('input[name="login"]').fill(customer.login);
      await page.locator('input[name="password"]').fill(customer.password);
      await page.locator('form:has(input[name="login"]) button[type="submit"]').click();
      await page.locator('input[name="tan"]').fill(customer.tan);
      await page.locator('form:has(input[name="tan"]) button[type="submit"]').click();

      // Back in books: choose the IBANs — only the main account.
      await page.waitForURL(/\/accounts\/connect\/[0-9a-f-]{36}$/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Choose accounts");
      const boxes = page.locator('input[name="iban"]');
      expect(await boxes.count()).toBe(2);
      for (const box of await boxes.all()) {
        if ((await box.getAttribute("value")) !== main.iban) await box.uncheck();
      }
      await page.locator(`input[name="name_${main.iban}"]`).fill("Geschäftskonto Hauptbank");
      await page.getByRole("button", { name: "Add accounts" }).click();

      await page.waitForURL(/\/accounts\/sync\/status\?jobs=/);
      await expect.poll(() => page.locator(".lead").textContent(), { timeout: 20_000 }).toBe("Done.");
      expect(await page.locator("progress").first().getAttribute("value")).toBe("1000");

      await page.getByRole("link", { name: "Geschäftskonto Hauptbank" }).click();
      await page.waitForURL(/\/accounts\/[0-9a-f-]{36}$/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Geschäftskonto Hauptbank");
      expect(
        await page.locator("table tbody tr").filter({ hasText: "Lieferant GmbH" }).count(),
      ).toBeGreaterThan(0);
      expect(await page.getByRole("img", { name: /Booked balance from/ }).isVisible()).toBe(true);

      // Sync again from the list, by checkbox.
      await page.getByRole("link", { name: "Finances > Accounts" }).click();
      await page.getByLabel("Select Geschäftskonto Hauptbank").check();
      await page.getByRole("button", { name: "Sync transactions" }).click();
      await expect.poll(() => page.locator(".lead").textContent(), { timeout: 20_000 }).toBe("Done.");
      expect(await page.locator("[data-label]").first().textContent()).toContain("0 new of");
    } catch (error) {
      console.error(
        "page at failure:",
        page.url(),
        ((await page.locator("main, body").first().textContent()) ?? "").slice(0, 1500),
      );
      throw error;
    } finally {
      await context.close();
    }
  });
});
