import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completeRedirectSca, createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { loggedIn } from "../web/test-client.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const textOf = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");

/** A customer who connected the test TPP through XS2A and redirect SCA, as books would. */
async function connectedCustomer(access: (ibans: string[]) => unknown) {
  const customer = await createCustomer(bank.db, { accounts: 2 });
  const created = await bank.xs2a("/consents", {
    method: "POST",
    body: JSON.stringify({
      access: access(customer.accounts.map((a) => a.iban)),
      recurringIndicator: true,
      validUntil: "2027-02-01",
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    }),
    headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": "https://books.test/callback" },
  });
  expect(created.status).toBe(201);
  const sca = await completeRedirectSca(bank, created.body._links.scaRedirect.href, customer);
  expect(sca.status).toBe(303);
  return { customer, consentId: created.body.consentId as string };
}

const readAccounts = (consentId: string) =>
  bank.xs2a("/accounts", { headers: { "Consent-ID": consentId, "PSU-IP-Address": "192.0.2.10" } });

describe("connected apps", () => {
  it("lists a consent made over XS2A, and revoking it makes the TPP's next read fail with CONSENT_INVALID", async () => {
    const { customer, consentId } = await connectedCustomer(([first, second]) => ({
      accounts: [{ iban: first }, { iban: second }],
      balances: [{ iban: first }],
      transactions: [{ iban: first }],
    }));
    const [first, second] = customer.accounts;
    expect((await readAccounts(consentId)).status).toBe(200);

    const client = await loggedIn(bank, customer);
    const list = await client.get("/connected-apps");
    expect(list.status).toBe(200);
    const html = await list.text();
    const text = textOf(html);
    expect(text).toContain("Verbundene Apps");
    expect(text).toContain("Kontor Books (test)");
    expect(text).toContain("Aktiv");
    const grouped = (iban: string) => iban.replace(/(.{4})/g, "$1 ").trim();
    expect(text).toContain(`${grouped(first!.iban)} (Geschäftskonto) : Kontodaten, Salden, Umsätze`);
    expect(text).toContain(`${grouped(second!.iban)} (Unterkonto 1) : Kontodaten Verbunden`);
    expect(text).toContain("01.02.2027");
    // The read above is the last access, shown in Berlin time (10:00Z = 11:00 CET).
    expect(text).toContain("Letzter Zugriff 23.11.2026, 11:00");
    expect(html).toContain(`href="/connected-apps/${consentId}/revoke"`);

    const confirm = await client.get(`/connected-apps/${consentId}/revoke`);
    expect(textOf(await confirm.text())).toContain("Zugriff von Kontor Books (test) widerrufen?");

    // Without the CSRF token nothing happens.
    const forged = await client.post(`/connected-apps/${consentId}/revoke`, { _csrf: "" });
    expect(forged.status).toBe(403);
    expect((await readAccounts(consentId)).status).toBe(200);

    const revoked = await client.post(`/connected-apps/${consentId}/revoke`);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("Location")).toBe(`/connected-apps?revoked=${consentId}`);

    const next = await readAccounts(consentId);
    expect(next.status).toBe(401);
    expect(next.body.tppMessages[0].code).toBe("CONSENT_INVALID");

    const after = await (await client.get(`/connected-apps?revoked=${consentId}`)).text();
    expect(textOf(after)).toContain("Der Zugriff von Kontor Books (test) wurde widerrufen.");
    expect(textOf(after)).toContain("Von Ihnen widerrufen");
    expect(after).toContain('class="card ended"');
    expect(after).not.toContain(`href="/connected-apps/${consentId}/revoke"`);
    // Revoking again is harmless; the status stays revokedByPsu.
    expect((await client.post(`/connected-apps/${consentId}/revoke`)).status).toBe(303);
    expect((await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus).toBe("revokedByPsu");
  });

  it("describes a global consent as all accounts, shows expired ones greyed, and in English", async () => {
    const { customer, consentId } = await connectedCustomer(() => ({ allPsd2: "allAccounts" }));
    const client = await loggedIn(bank, customer);
    const text = textOf(await (await client.get("/connected-apps?lang=en")).text());
    expect(text).toContain("Connected apps");
    expect(text).toContain("All your accounts: details, balances, transactions");
    expect(text).toContain("Last access never");
    expect(text).toContain("Revoke access");

    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2027-02-02T10:00:00Z");
      const later = await loggedIn(bank, customer);
      const html = await (await later.get("/connected-apps")).text();
      expect(textOf(html)).toContain("Abgelaufen");
      expect(html).toContain('class="card ended"');
      expect(html).not.toContain(`/connected-apps/${consentId}/revoke`);
    } finally {
      bank.clock.set(before);
    }
  });

  it("shows since when an app is connected, not the last renewal of SCA", async () => {
    const start = bank.clock.now().toISOString();
    try {
      const { customer, consentId } = await connectedCustomer((ibans) => ({
        accounts: ibans.map((iban) => ({ iban })),
      }));
      // 40 days later the PSU confirms the access again (SCA renewal on the same consent).
      bank.clock.advanceDays(40);
      const renewal = await bank.xs2a(`/consents/${consentId}/authorisations`, {
        method: "POST",
        body: "{}",
        headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": "https://books.test/callback" },
      });
      expect(renewal.status).toBe(201);
      const sca = await completeRedirectSca(bank, renewal.body._links.scaRedirect.href, customer);
      expect(sca.status).toBe(303);

      const client = await loggedIn(bank, customer);
      const text = textOf(await (await client.get("/connected-apps")).text());
      // Connected on 23.11.2026 at 10:00Z (11:00 in Berlin); renewed on 02.01.2027.
      expect(text).toContain("Verbunden seit 23.11.2026, 11:00");
      expect(text).not.toContain("Verbunden seit 02.01.2027");
    } finally {
      bank.clock.set(start);
    }
  });

  it("does not show or revoke another PSU's connection", async () => {
    const { consentId } = await connectedCustomer((ibans) => ({ accounts: ibans.map((iban) => ({ iban })) }));
    const intruder = await createCustomer(bank.db);
    const client = await loggedIn(bank, intruder);
    expect(await (await client.get("/connected-apps")).text()).toContain(
      "Sie haben noch keine App mit Ihren Konten verbunden.",
    );
    expect((await client.get(`/connected-apps/${consentId}/revoke`)).status).toBe(404);
    expect((await client.post(`/connected-apps/${consentId}/revoke`)).status).toBe(404);
    expect((await readAccounts(consentId)).status).toBe(200);
  });
});
