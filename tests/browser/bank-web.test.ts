import { randomUUID } from "node:crypto";
import { startBank, TPP_ID_HEADER, TPP_KEY_HEADER } from "@kontor/bank";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addTransactions, createCustomer } from "../../apps/bank/src/testing/harness.ts";
import { registerTpp } from "../../apps/bank/src/tpps/tpps.service.ts";
import { launchBrowser, newContext } from "./harness.ts";

type RunningBank = Awaited<ReturnType<typeof startBank>>;

const TPP = {
  id: "PSDDE-BAFIN-900777",
  key: "browser-journey-key-0123456789",
  name: "Kontor Books (Browser)",
};
let bank: RunningBank;
let browser: Browser;
let customer: Awaited<ReturnType<typeof createCustomer>>;

beforeAll(async () => {
  [bank, browser] = await Promise.all([
    startBank({
      port: 0,
      log: () => {},
      seed: async ({ db }) => {
        customer = await createCustomer(db, { login: "anna", accounts: 2, openingBalance: 123_456 });
        await addTransactions(db, customer.accounts[0]!.id, [
          {
            booking_date: "2026-11-02",
            amount_minor: 119_000,
            counterparty_name: "Müller & Söhne KG",
            remittance: "RE-2026-0042",
          },
          {
            booking_date: "2026-11-05",
            amount_minor: -2_990,
            counterparty_name: "Telekom",
            remittance: "Mobilfunk",
          },
        ]);
        await registerTpp(db, TPP);
      },
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await bank?.close();
});

function xs2aHeaders(): Record<string, string> {
  return {
    "X-Request-ID": randomUUID(),
    [TPP_ID_HEADER]: TPP.id,
    [TPP_KEY_HEADER]: TPP.key,
    "PSU-IP-Address": "192.0.2.10",
  };
}

async function xs2a(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  return fetch(`${bank.url}/xs2a/v1${path}`, {
    method: init.method ?? "GET",
    headers: {
      ...xs2aHeaders(),
      ...(init.body ? { "Content-Type": "application/json" } : {}),
      ...init.headers,
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
}

/** The TPP asks for a consent and the PSU completes redirect SCA with plain form posts (login, then TAN). */
async function connectTpp(): Promise<string> {
  const ibans = customer.accounts.map((a) => ({ iban: a.iban }));
  const created = await xs2a("/consents", {
    method: "POST",
    body: {
      access: { accounts: ibans, balances: ibans, transactions: ibans },
      recurringIndicator: true,
      validUntil: "2099-01-01",
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    },
    headers: { "TPP-Redirect-URI": "https://books.test/callback" },
  });
  expect(created.status).toBe(201);
  const body = (await created.json()) as { consentId: string; _links: { scaRedirect: { href: string } } };
  const sca = body._links.scaRedirect.href;
  const login = await fetch(sca, {
    method: "POST",
    body: new URLSearchParams({ step: "login", login: "anna", password: "secret" }),
  });
  const token = /name="step_token" value="([^"]+)"/.exec(await login.text())?.[1];
  expect(token).toBeTruthy();
  const confirm = await fetch(sca, {
    method: "POST",
    body: new URLSearchParams({ step: "confirm", step_token: token!, tan: "123456" }),
    redirect: "manual",
  });
  expect(confirm.status).toBe(303);
  return body.consentId;
}

describe("the bank's online banking in a real browser", () => {
  it("logs in, shows accounts and a transaction, revokes a connected app and logs out", async () => {
    const consentId = await connectTpp();
    expect((await xs2a("/accounts", { headers: { "Consent-ID": consentId } })).status).toBe(200);

    const context = await newContext(browser, { locale: "de-DE", baseURL: bank.url });
    const page = await context.newPage();
    try {
      await page.goto("/");
      await page.waitForURL(/\/login$/);
      expect(await page.locator("html").getAttribute("lang")).toBe("de");
      await page.getByLabel("Anmeldename").fill("anna");
      await page.getByLabel("Passwort").fill("wrong");
      await page.getByRole("button", { name: "Anmelden" }).click();
      expect(await page.getByRole("alert").textContent()).toBe("Anmeldename oder Passwort ist falsch.");
      await page.getByLabel("Passwort").fill("secret");
      await page.getByRole("button", { name: "Anmelden" }).click();

      await page.waitForURL(`${bank.url}/`);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Ihre Konten");
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === "kontor_bank_session")).toMatchObject({
        httpOnly: true,
        sameSite: "Lax",
      });
      const nav = page.getByRole("navigation", { name: "Hauptnavigation" });
      expect(await nav.getByRole("link", { name: "Konten" }).getAttribute("aria-current")).toBe("page");
      // Opening balance 1,234.56 plus 1,190.00 minus 29.90.
      expect(await page.getByText("2.394,66 €").isVisible()).toBe(true);
      expect(await page.getByRole("link", { name: "Unterkonto 1" }).isVisible()).toBe(true);

      await page.getByRole("link", { name: "Geschäftskonto" }).click();
      await page.waitForURL(/\/accounts\/[0-9a-f-]{36}$/);
      const row = page.getByRole("row").filter({ hasText: "Müller & Söhne KG" });
      expect(await row.getByText("RE-2026-0042").isVisible()).toBe(true);
      expect(await row.getByText("1.190,00 €").isVisible()).toBe(true);
      expect(await row.getByText("02.11.2026").isVisible()).toBe(true);
      await page.getByLabel("Suche").fill("telekom");
      await page.getByRole("button", { name: "Filtern" }).click();
      await page.waitForURL(/q=telekom/);
      expect(await page.getByRole("row").filter({ hasText: "Müller" }).count()).toBe(0);
      expect(
        await page.getByRole("row").filter({ hasText: "Telekom" }).getByText("-29,90 €").isVisible(),
      ).toBe(true);

      await nav.getByRole("link", { name: "Verbundene Apps" }).click();
      await page.waitForURL(/\/connected-apps$/);
      const card = page.getByRole("article").filter({ hasText: TPP.name });
      expect(await card.getByText("Aktiv").isVisible()).toBe(true);
      await card.getByRole("link", { name: "Zugriff widerrufen" }).click();
      await page.waitForURL(/\/revoke$/);
      await page.getByRole("button", { name: "Zugriff widerrufen" }).click();
      await page.waitForURL(/\/connected-apps\?revoked=/);
      expect(await page.getByRole("status").textContent()).toBe(
        `Der Zugriff von ${TPP.name} wurde widerrufen.`,
      );
      expect(await card.getByText("Von Ihnen widerrufen").isVisible()).toBe(true);
      expect(await card.getByRole("link", { name: "Zugriff widerrufen" }).count()).toBe(0);

      const next = await xs2a("/accounts", { headers: { "Consent-ID": consentId } });
      expect(next.status).toBe(401);
      expect(((await next.json()) as { tppMessages: { code: string }[] }).tppMessages[0]?.code).toBe(
        "CONSENT_INVALID",
      );

      await page.getByRole("link", { name: "English" }).click();
      await page.waitForURL(/lang=en/);
      expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Connected apps");
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/login\?loggedOut=1$/);
      expect(await page.getByRole("status").textContent()).toBe("You have been logged out.");
      expect((await context.cookies()).some((c) => c.name === "kontor_bank_session")).toBe(false);
      await page.goto(`/accounts/${customer.accounts[0]!.id}`);
      await page.waitForURL(/\/login\?next=/);
    } finally {
      await context.close();
    }
  });

  it("approves a decoupled request in the Banking-App with the TAN", async () => {
    const created = await xs2a("/consents", {
      method: "POST",
      body: {
        access: { allPsd2: "allAccounts" },
        recurringIndicator: true,
        validUntil: "2099-01-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      },
      headers: { "TPP-Redirect-Preferred": "false", "PSU-ID": "anna" },
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { consentId: string; _links: { scaStatus: { href: string } } };
    const scaStatus = async () =>
      (
        (await (await fetch(body._links.scaStatus.href, { headers: xs2aHeaders() })).json()) as {
          scaStatus: string;
        }
      ).scaStatus;
    expect(await scaStatus()).toBe("received");

    const context = await newContext(browser, { locale: "en-GB", baseURL: bank.url });
    const page = await context.newPage();
    try {
      await page.goto("/app");
      await page.waitForURL(/\/login\?next=%2Fapp$/);
      await page.getByLabel("Login").fill("anna");
      await page.getByLabel("Password").fill("secret");
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL(/\/app$/);
      const request = page.getByRole("article").filter({ hasText: TPP.name });
      expect(await request.getByText("All your accounts: details, balances, transactions").isVisible()).toBe(
        true,
      );
      await request.getByLabel("TAN").fill("123456");
      await request.getByRole("button", { name: "Approve" }).click();
      await page.waitForURL(/\/app\?done=approved/);
      expect(await page.getByRole("status").textContent()).toBe(`Approved. ${TPP.name} can continue now.`);
      expect(await page.getByText("No open requests.").isVisible()).toBe(true);
      expect(await scaStatus()).toBe("finalised");
    } finally {
      await context.close();
    }
  });
});
