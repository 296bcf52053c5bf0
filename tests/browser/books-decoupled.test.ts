import type { RunningBooks } from "@kontor/books";
import { startBooks } from "@kontor/books";
import {
  type BankCustomer,
  createBankCustomer,
  type RunningBank,
  startTestBank,
  TEST_TPP,
} from "@kontor/books/testing-bank";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "./harness.ts";

/**
 * "Approve in your banking app" (decoupled SCA) with two browsers side by side: the books user waits on
 * books' page while the PSU approves in the bank's Banking-App page in another profile. With JavaScript the
 * waiting page moves on by itself (sca-wait.js polls); without it, "Check again" does.
 */

const PSU_MESSAGE = "Please confirm the request in your Kontor Sandbox Bank app.";
const WAIT_URL = /\/accounts\/connect\/[0-9a-f-]{36}\/wait\??$/;
const CHOOSER_URL = /\/accounts\/connect\/[0-9a-f-]{36}$/;

let bank: RunningBank;
let books: RunningBooks;
let browser: Browser;
/** The books user's session, logged in once through the login form; each journey starts from its cookies. */
let loggedIn: Awaited<ReturnType<BrowserContext["storageState"]>>;
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
  const context = await browser.newContext({ locale: "en-GB", baseURL: books.url });
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email address").fill("demo@kontor.test");
  await page.getByLabel("Password").fill("demo");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/accounts$/);
  loggedIn = await context.storageState();
  await context.close();
});
afterAll(async () => {
  await browser?.close();
  await books?.close();
  await bank?.close();
});

async function booksPage(options: {
  javaScriptEnabled: boolean;
}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale: "en-GB",
    baseURL: books.url,
    javaScriptEnabled: options.javaScriptEnabled,
    storageState: loggedIn,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  return { context, page };
}

/** Books: Add account, search the sandbox bank and ask for approval in the banking app of `psuId`. */
async function startDecoupled(page: Page, psuId: string): Promise<void> {
  await page.goto("/accounts");
  await page.getByRole("link", { name: "Add account" }).click();
  await page.getByRole("link", { name: "Connect new account" }).click();
  await page.getByLabel("Bank name or BIC").fill("sandbox");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByLabel("Your user ID at Kontor Sandbox Bank").fill(psuId);
  await page
    .getByRole("button", { name: "Approve the connection to Kontor Sandbox Bank in your banking app" })
    .click();
  await page.waitForURL(WAIT_URL);
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Approve in your banking app");
  expect(await page.getByText(PSU_MESSAGE).isVisible()).toBe(true);
  expect(await page.getByLabel("Time left to approve").isVisible()).toBe(true);
}

/** The PSU in their own browser profile: log in to the bank's web and open the Banking-App page. */
async function openBankingApp(customer: BankCustomer): Promise<{ context: BrowserContext; app: Page }> {
  const context = await browser.newContext({ locale: "en-GB", baseURL: bank.url });
  const app = await context.newPage();
  app.setDefaultTimeout(8000);
  await app.goto("/login");
  await app.getByLabel("Login").fill(customer.login);
  await app.getByLabel("Password").fill(customer.password);
  await app.getByRole("button", { name: "Log in" }).click();
  await app.waitForURL(`${bank.url}/`);
  await app
    .getByRole("navigation", { name: "Main navigation" })
    .getByRole("link", { name: "Banking app" })
    .click();
  await app.waitForURL(/\/app$/);
  const request = app.getByRole("article").filter({ hasText: "Kontor Books (test)" });
  expect(await request.count()).toBe(1);
  return { context, app };
}

async function approve(app: Page, customer: BankCustomer): Promise<void> {
  const request = app.getByRole("article").filter({ hasText: "Kontor Books (test)" });
  await request.getByLabel("TAN").fill(customer.tan);
  await request.getByRole("button", { name: "Approve" }).click();
  await app.waitForURL(/\/app\?done=approved/);
  expect(await app.getByRole("status").textContent()).toBe("Approved. Kontor Books (test) can continue now.");
}

/** Books: keep the offered IBAN under a name, add it, and find it connected in the list. */
async function chooseAndFinish(page: Page, iban: string, name: string): Promise<void> {
  expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Choose accounts");
  const boxes = page.locator('input[name="iban"]');
  expect(await boxes.count()).toBe(1);
  expect(await boxes.first().getAttribute("value")).toBe(iban);
  await page.getByLabel("Name in Kontor").fill(name);
  await page.getByRole("button", { name: "Add accounts" }).click();
  await page.waitForURL(/\/accounts\/sync\/status\?jobs=/);
  await page.goto("/accounts");
  const row = page.getByRole("row").filter({ hasText: name });
  expect(await row.getByText("Connected", { exact: true }).isVisible()).toBe(true);
}

async function reportFailure(page: Page): Promise<void> {
  console.error(
    "page at failure:",
    page.url(),
    ((await page.locator("main, body").first().textContent()) ?? "").slice(0, 1500),
  );
}

describe("approving a bank connection in the banking app, in real browsers", () => {
  it("with JavaScript the waiting page shows the bank's message and moves on by itself once the PSU approves", async () => {
    const customer = await createBankCustomer(bank);
    const [account] = customer.accounts;
    if (!account) throw new Error("account expected");
    const { context, page } = await booksPage({ javaScriptEnabled: true });
    let psu: BrowserContext | undefined;
    try {
      await startDecoupled(page, customer.login);
      // sca-wait.js takes over from the meta refresh: the page itself is never loaded again.
      expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(0);
      const waitPath = new URL(page.url()).pathname;
      const reloads: string[] = [];
      const polls: string[] = [];
      page.on("request", (request) => {
        if (new URL(request.url()).pathname !== waitPath) return;
        (request.resourceType() === "document" ? reloads : polls).push(request.url());
      });
      // To look at the page: SCREENSHOT_DIR=/tmp npx vitest run tests/browser/books-decoupled.test.ts
      if (process.env.SCREENSHOT_DIR) {
        await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/books-sca-wait.png`, fullPage: true });
      }

      const opened = await openBankingApp(customer);
      psu = opened.context;
      await approve(opened.app, customer);

      await page.waitForURL(CHOOSER_URL, { timeout: 15_000 });
      expect(reloads).toEqual([]);
      expect(polls.length).toBeGreaterThan(0);
      await chooseAndFinish(page, account.iban, "Konto aus der Banking-App");
    } catch (error) {
      await reportFailure(page);
      throw error;
    } finally {
      await psu?.close();
      await context.close();
    }
  });

  it("without JavaScript “Check again” asks the bank and continues to the IBAN chooser after the approval", async () => {
    const customer = await createBankCustomer(bank);
    const [account] = customer.accounts;
    if (!account) throw new Error("account expected");
    const { context, page } = await booksPage({ javaScriptEnabled: false });
    let psu: BrowserContext | undefined;
    try {
      await startDecoupled(page, customer.login);
      expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
      const checkAgain = page.getByRole("button", { name: "Check again" });

      const opened = await openBankingApp(customer);
      psu = opened.context;
      // Not approved yet: "Check again" comes back to the waiting page. It also restarts the page's own
      // five-second refresh, so the click after the approval below is the one that moves on.
      await checkAgain.click();
      await page.waitForURL(/\/wait\?$/);
      expect(await page.getByText(PSU_MESSAGE).isVisible()).toBe(true);

      await approve(opened.app, customer);
      const [response] = await Promise.all([page.waitForNavigation(), checkAgain.click()]);
      expect(page.url()).toMatch(CHOOSER_URL);
      // The navigation came from the button, not from the meta refresh: Chromium sends a refresh as a reload
      // (cache-control: max-age=0), the GET form's submission as a plain navigation to the wait URL.
      const first = response?.request().redirectedFrom() ?? response?.request();
      expect(first?.url()).toMatch(WAIT_URL);
      expect((await first?.allHeaders())?.["cache-control"]).toBeUndefined();
      await chooseAndFinish(page, account.iban, "Konto ohne JavaScript");
    } catch (error) {
      await reportFailure(page);
      throw error;
    } finally {
      await psu?.close();
      await context.close();
    }
  });

  it("a rejection in the banking app ends the waiting page with a clear failure", async () => {
    const customer = await createBankCustomer(bank);
    const { context, page } = await booksPage({ javaScriptEnabled: true });
    let psu: BrowserContext | undefined;
    try {
      await startDecoupled(page, customer.login);
      const opened = await openBankingApp(customer);
      psu = opened.context;
      const request = opened.app.getByRole("article").filter({ hasText: "Kontor Books (test)" });
      await request.getByRole("button", { name: "Reject" }).click();
      await opened.app.waitForURL(/\/app\?done=rejected/);
      expect(await opened.app.getByRole("status").textContent()).toBe(
        "Rejected. Kontor Books (test) gets no access.",
      );

      const alert = page.getByRole("alert");
      await alert.waitFor({ timeout: 15_000 });
      expect(await alert.textContent()).toBe(
        "The request was rejected in the banking app, or the authentication failed. Nothing was added.",
      );
      expect(await page.getByRole("link", { name: "Start again" }).getAttribute("href")).toBe(
        "/accounts/connect",
      );
      expect(await page.getByRole("button", { name: "Check again" }).count()).toBe(0);
    } catch (error) {
      await reportFailure(page);
      throw error;
    } finally {
      await psu?.close();
      await context.close();
    }
  });
});
