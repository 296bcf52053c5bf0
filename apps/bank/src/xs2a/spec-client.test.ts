import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBank } from "../server.ts";
import { addTransactions, createCustomer } from "../testing/harness.ts";
import { registerTpp } from "../tpps/tpps.service.ts";

/**
 * A client that knows only the Berlin Group spec (and the sandbox's documented TPP headers) talks to the bank
 * over real HTTP: creates a consent, completes redirect SCA as a PSU with plain form posts, and reads every
 * account, balance and booked transaction.
 */
let bank: Awaited<ReturnType<typeof startBank>>;
const tpp = { id: "PSDDE-BAFIN-900100", key: "spec-client-key-0123456789" };
let customer: Awaited<ReturnType<typeof createCustomer>>;
const expected = new Map<string, number>();

beforeAll(async () => {
  bank = await startBank({
    port: 0,
    databaseUrl: undefined,
    log: () => {},
    seed: async (deps) => {
      await registerTpp(deps.db, { ...tpp, name: "Spec client" });
      customer = await createCustomer(deps.db, { accounts: 2, login: "spec-psu" });
      for (const [i, account] of customer.accounts.entries()) {
        const rows = Array.from({ length: 130 + i * 70 }, (_, n) => ({
          booking_date: `2026-${String(9 + (n % 3)).padStart(2, "0")}-${String((n % 20) + 1).padStart(2, "0")}`,
          amount_minor: (n + 1) * 7 * (n % 2 ? -1 : 1),
        }));
        await addTransactions(deps.db, account.id, rows);
        expected.set(account.iban, rows.length);
      }
    },
  });
});
afterAll(async () => {
  await bank?.close();
});

function headers(extra: Record<string, string> = {}) {
  return {
    "X-Request-ID": randomUUID(),
    "X-Sandbox-TPP-Id": tpp.id,
    "X-Sandbox-TPP-Key": tpp.key,
    "PSU-IP-Address": "192.0.2.20",
    ...extra,
  };
}

async function submitForm(url: string, fields: Record<string, string>) {
  return fetch(url, { method: "POST", body: new URLSearchParams(fields), redirect: "manual" });
}

describe("a spec-only client over HTTP", () => {
  it("connects, authorises with plain form posts and reads every account, balance and booked transaction", async () => {
    const base = `${bank.url}/xs2a/v1`;
    const created = await fetch(`${base}/consents`, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", "TPP-Redirect-URI": "https://tpp.test/done" }),
      body: JSON.stringify({
        access: { accounts: [], balances: [], transactions: [] },
        recurringIndicator: true,
        validUntil: "2099-01-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      }),
    });
    expect(created.status).toBe(201);
    const consent = (await created.json()) as {
      consentId: string;
      _links: { scaRedirect: { href: string } };
    };

    const scaUrl = consent._links.scaRedirect.href;
    const loginPage = await (await fetch(scaUrl)).text();
    expect(loginPage).toContain('name="login"');
    const tanPage = await (
      await submitForm(scaUrl, { step: "login", login: "spec-psu", password: "secret" })
    ).text();
    const token = /name="step_token" value="([^"]+)"/.exec(tanPage)?.[1];
    const accountIds = [...tanPage.matchAll(/name="account" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(token).toBeDefined();
    expect(accountIds).toHaveLength(2);
    const form = new URLSearchParams({ step: "confirm", step_token: token!, tan: "123456" });
    for (const id of accountIds) form.append("account", id);
    const done = await fetch(scaUrl, { method: "POST", body: form, redirect: "manual" });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe("https://tpp.test/done");

    const read = async (url: string) => {
      const response = await fetch(url, { headers: headers({ "Consent-ID": consent.consentId }) });
      expect(response.status).toBe(200);
      // biome-ignore lint/suspicious/noExplicitAny: a spec-only client reads JSON by the spec's field names
      return (await response.json()) as any;
    };
    const { accounts } = await read(`${base}/accounts?withBalance=true`);
    expect(accounts).toHaveLength(2);
    for (const account of accounts) {
      const balances = await read(new URL(account._links.balances.href, bank.url).href);
      expect(
        balances.balances.find((b: { balanceType: string }) => b.balanceType === "closingBooked"),
      ).toBeDefined();
      const ids = new Set<string>();
      let next: string | undefined =
        `${new URL(account._links.transactions.href, bank.url).href}?bookingStatus=booked&dateFrom=2026-09-01`;
      while (next) {
        const page = await read(next);
        for (const t of page.transactions.booked) ids.add(t.transactionId);
        next = page.transactions._links.next?.href;
      }
      expect(ids.size).toBe(expected.get(account.iban));
    }
  });

  it("cuts a truncated page off after the status line, the headers and half the body, then closes", async () => {
    const base = `${bank.url}/xs2a/v1`;
    const iban = customer.accounts[0]!.iban;
    const created = await fetch(`${base}/consents`, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json", "TPP-Redirect-URI": "https://tpp.test/done" }),
      body: JSON.stringify({
        access: { accounts: [{ iban }], balances: [{ iban }], transactions: [{ iban }] },
        recurringIndicator: true,
        validUntil: "2099-01-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      }),
    });
    const consent = (await created.json()) as {
      consentId: string;
      _links: { scaRedirect: { href: string } };
    };
    const scaUrl = consent._links.scaRedirect.href;
    const tanPage = await (
      await submitForm(scaUrl, { step: "login", login: "spec-psu", password: "secret" })
    ).text();
    const token = /name="step_token" value="([^"]+)"/.exec(tanPage)?.[1] ?? "";
    expect((await submitForm(scaUrl, { step: "confirm", step_token: token, tan: "123456" })).status).toBe(
      303,
    );
    const path = `/xs2a/v1/accounts/${customer.accounts[0]!.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`;

    // A client on a raw socket sees exactly what went over the wire, where fetch only reports a failure.
    bank.deps.controls.set({ truncateRate: 1 });
    try {
      const request = [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${bank.port}`,
        ...Object.entries(headers({ "Consent-ID": consent.consentId })).map(([k, v]) => `${k}: ${v}`),
        "Connection: close",
        "",
        "",
      ].join("\r\n");
      const received = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const socket = connect(bank.port, "127.0.0.1", () => socket.write(request));
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("error", reject);
        socket.on("close", () => resolve(Buffer.concat(chunks)));
      });
      const split = received.indexOf("\r\n\r\n");
      expect(split).toBeGreaterThan(0);
      const head = received.subarray(0, split).toString("latin1");
      const body = received.subarray(split + 4);
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
      expect(length).toBeGreaterThan(100);
      // Some of the body, but not all: the first half of what Content-Length promised.
      expect(body.length).toBeGreaterThan(0);
      expect(body.length).toBeLessThan(length);
      expect(body.length).toBe(Math.floor(length / 2));
      expect(body.toString("utf8")).toMatch(/^\{"/);
    } finally {
      bank.deps.controls.set({});
    }
  });

  it("shows the sandbox's faults on the wire: 500, 429 with Retry-After, dropped connections, truncated pages", async () => {
    const control = (body: object) =>
      fetch(`${bank.url}/sandbox/controls`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const url = `${bank.url}/xs2a/v1/consents/unknown/status`;
    try {
      expect((await control({ errorRate: 1 })).status).toBe(200);
      expect((await fetch(url, { headers: headers() })).status).toBe(500);
      await control({ throttleRate: 1, retryAfterSeconds: 7 });
      const throttled = await fetch(url, { headers: headers() });
      expect(throttled.status).toBe(429);
      expect(throttled.headers.get("Retry-After")).toBe("7");
      await control({ dropRate: 1 });
      await expect(fetch(url, { headers: headers() })).rejects.toThrow();
      const badControl = await control({ errorRate: 2 });
      expect(badControl.status).toBe(400);
    } finally {
      await control({});
    }
  });
});
