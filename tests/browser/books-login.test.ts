import type { RunningBooks } from "@kontor/books";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newContext, startDemoBooks } from "./harness.ts";

let books: RunningBooks;
let browser: Browser;
beforeAll(async () => {
  [books, browser] = await Promise.all([startDemoBooks(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await books?.close();
});

describe("books in a real browser", () => {
  it("logs the demo user in in German, shows Finanzen > Konten, switches to English and logs out", async () => {
    const context = await newContext(browser, { locale: "de-DE", baseURL: books.url });
    const page = await context.newPage();
    try {
      await page.goto("/");
      await expect.poll(() => page.url()).toMatch(/\/login$/);
      expect(await page.locator("html").getAttribute("lang")).toBe("de");
      await expect
        .poll(() => page.getByRole("heading", { level: 1 }).textContent())
        .toBe("Bei Kontor anmelden");

      await page.getByLabel("E-Mail-Adresse").fill("demo@kontor.test");
      await page.getByLabel("Passwort").fill("demo");
      await page.getByRole("button", { name: "Anmelden" }).click();

      await page.waitForURL(/\/accounts$/);
      const nav = page.getByRole("navigation", { name: "Hauptnavigation" });
      expect(await nav.getByRole("link", { name: "Finanzen > Konten" }).getAttribute("aria-current")).toBe(
        "page",
      );
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Konten");
      expect(await page.getByRole("heading", { name: "Noch keine Bankkonten" }).isVisible()).toBe(true);
      expect(await page.getByRole("link", { name: "Konto hinzufügen" }).isVisible()).toBe(true);
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === "kontor_session")).toMatchObject({
        httpOnly: true,
        sameSite: "Lax",
      });

      await page.getByRole("link", { name: "English" }).click();
      await page.waitForURL(/\/accounts$/);
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(await page.getByRole("link", { name: "Finances > Accounts" }).isVisible()).toBe(true);
      expect(await page.getByRole("heading", { name: "No bank accounts yet" }).isVisible()).toBe(true);

      await page.getByLabel("User menu").click();
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login\?loggedOut=1$/);
      expect(await page.getByRole("status").textContent()).toBe("You have been logged out.");
      expect((await context.cookies()).some((c) => c.name === "kontor_session")).toBe(false);

      await page.goto("/accounts");
      await page.waitForURL(/\/login\?next=%2Faccounts$/);
    } finally {
      await context.close();
    }
  });
});
