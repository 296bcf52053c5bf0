import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
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

/** A consent the TPP asks for with decoupled SCA: the PSU must confirm it in the banking app. */
async function decoupledConsent(login: string, access: unknown) {
  const created = await bank.xs2a("/consents", {
    method: "POST",
    body: JSON.stringify({
      access,
      recurringIndicator: true,
      validUntil: "2027-02-01",
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    }),
    headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-Preferred": "false", "PSU-ID": login },
  });
  expect(created.status).toBe(201);
  expect(created.headers.get("ASPSP-SCA-Approach")).toBe("DECOUPLED");
  const statusUrl: string = created.body._links.scaStatus.href;
  const authorisationId = statusUrl.split("/").at(-1)!;
  return { consentId: created.body.consentId as string, authorisationId, statusUrl };
}

const actionOf = (html: string, verb: "approve" | "reject") =>
  new RegExp(`(?:form)?action="(/app/requests/consent/[^"]+/${verb})"`).exec(html)?.[1];

describe("banking app (decoupled SCA)", () => {
  it("lists the pending request and approving it with the TAN finalises the authorisation", async () => {
    const customer = await createCustomer(bank.db);
    const iban = customer.accounts[0]!.iban;
    const { consentId, authorisationId, statusUrl } = await decoupledConsent(customer.login, {
      accounts: [{ iban }],
      balances: [{ iban }],
      transactions: [{ iban }],
    });
    const client = await loggedIn(bank, customer);
    const page = await client.get("/app");
    expect(page.status).toBe(200);
    const html = await page.text();
    const text = textOf(html);
    expect(text).toContain("Kontozugriff");
    expect(text).toContain("Kontor Books (test)");
    expect(text).toContain("Kontodaten, Salden, Umsätze");
    expect(html).toContain('aria-current="page"');
    const approve = actionOf(html, "approve");
    expect(approve).toBe(`/app/requests/consent/${consentId}/${authorisationId}/approve`);

    const wrong = await client.post(approve!, { tan: "000000" });
    expect(wrong.status).toBe(400);
    expect(textOf(await wrong.text())).toContain("Die TAN ist falsch.");
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("received");

    const forged = await client.post(approve!, { tan: "123456", _csrf: "" });
    expect(forged.status).toBe(403);
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("received");

    const ok = await client.post(approve!, { tan: "123456" });
    expect(ok.status).toBe(303);
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("finalised");
    expect((await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus).toBe("valid");
    const read = await bank.xs2a("/accounts", {
      headers: { "Consent-ID": consentId, "PSU-IP-Address": "192.0.2.10" },
    });
    expect(read.status).toBe(200);

    const after = textOf(await (await client.get(ok.headers.get("Location")!)).text());
    expect(after).toContain("Freigegeben. Kontor Books (test) kann jetzt fortfahren.");
    expect(after).toContain("Keine offenen Anfragen.");
  });

  it("lets the PSU choose the accounts of a bank-offered consent and reject another request", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2 });
    const offered = await decoupledConsent(customer.login, { accounts: [], balances: [], transactions: [] });
    const client = await loggedIn(bank, customer);
    const html = await (await client.get("/app")).text();
    expect(textOf(html)).toContain("Wählen Sie die Konten, die Sie freigeben:");
    const approve = actionOf(html, "approve")!;
    const none = await client.post(approve, { tan: "123456" });
    expect(none.status).toBe(400);
    expect(textOf(await none.text())).toContain("Bitte wählen Sie mindestens ein Konto.");
    const chosen = customer.accounts[1]!;
    expect((await client.post(approve, { tan: "123456", account: [chosen.id] })).status).toBe(303);
    const granted = await bank.xs2a("/accounts", {
      headers: { "Consent-ID": offered.consentId, "PSU-IP-Address": "192.0.2.10" },
    });
    expect(granted.body.accounts.map((a: { iban: string }) => a.iban)).toEqual([chosen.iban]);

    const other = await decoupledConsent(customer.login, { allPsd2: "allAccounts" });
    const reject = actionOf(await (await client.get("/app")).text(), "reject")!;
    const rejected = await client.post(reject);
    expect(rejected.status).toBe(303);
    expect(textOf(await (await client.get(rejected.headers.get("Location")!)).text())).toContain(
      "Abgelehnt. Kontor Books (test) erhält keinen Zugriff.",
    );
    expect((await bank.xs2a(other.statusUrl)).body.scaStatus).toBe("failed");
    expect((await bank.xs2a(`/consents/${other.consentId}/status`)).body.consentStatus).toBe("rejected");
  });

  it("shows nothing of other PSUs' requests and refuses to act on them", async () => {
    const owner = await createCustomer(bank.db);
    const { consentId, authorisationId, statusUrl } = await decoupledConsent(owner.login, {
      allPsd2: "allAccounts",
    });
    const intruder = await createCustomer(bank.db);
    const client = await loggedIn(bank, intruder);
    expect(textOf(await (await client.get("/app")).text())).toContain("Keine offenen Anfragen.");
    const base = `/app/requests/consent/${consentId}/${authorisationId}`;
    expect((await client.post(`${base}/approve`, { tan: "123456" })).status).toBe(409);
    expect((await client.post(`${base}/reject`)).status).toBe(409);
    expect((await client.post(`/app/requests/payment/${consentId}/${authorisationId}/approve`)).status).toBe(
      404,
    );
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("received");
    // Nor does the confirmation reveal the TPP of someone else's request.
    const peek = await client.get(`/app?done=approved&c=${consentId}&a=${authorisationId}`);
    expect(textOf(await peek.text())).not.toContain("Kontor Books (test)");
  });
});
