import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeByPsu } from "../consents/consents.service.ts";
import {
  addTransactions,
  completeRedirectSca,
  createCustomer,
  createTestBank,
  type TestBank,
  type Xs2aResponse,
} from "../testing/harness.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const REDIRECT = "https://books.test/callback";
const NOK = "https://books.test/callback?error=nok";

function consentBody(ibans: string[], extra: Record<string, unknown> = {}) {
  const refs = ibans.map((iban) => ({ iban }));
  return JSON.stringify({
    access: { accounts: refs, balances: refs, transactions: refs },
    recurringIndicator: true,
    validUntil: "2027-02-01",
    frequencyPerDay: 4,
    combinedServiceIndicator: false,
    ...extra,
  });
}

async function createConsent(body: string, headers: Record<string, string> = {}) {
  return bank.xs2a("/consents", {
    method: "POST",
    body,
    headers: {
      "PSU-IP-Address": "192.0.2.10",
      "TPP-Redirect-URI": REDIRECT,
      "TPP-Nok-Redirect-URI": NOK,
      ...headers,
    },
  });
}

/** A customer with transactions and a valid consent over all their accounts. */
async function connected(accounts = 1) {
  const customer = await createCustomer(bank.db, { accounts, openingBalance: 100_000 });
  const created = await createConsent(consentBody(customer.accounts.map((a) => a.iban)));
  expect(created.status).toBe(201);
  const sca = await completeRedirectSca(bank, created.body._links.scaRedirect.href, customer);
  expect(sca.location).toBe(REDIRECT);
  return { customer, consentId: created.body.consentId as string };
}

const read = (path: string, consentId: string, attended = true) =>
  bank.xs2a(path, {
    headers: { "Consent-ID": consentId, ...(attended ? { "PSU-IP-Address": "192.0.2.10" } : {}) },
  });

describe("consent lifecycle", () => {
  it("goes received → valid through redirect SCA, grants what was asked, and ends when the TPP deletes it", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2 });
    const ibans = customer.accounts.map((a) => a.iban);
    const created = await createConsent(consentBody(ibans));
    expect(created.status).toBe(201);
    expect(created.headers.get("ASPSP-SCA-Approach")).toBe("REDIRECT");
    expect(created.headers.get("Location")).toContain(`/consents/${created.body.consentId}`);
    expect(created.body.consentStatus).toBe("received");
    const id = created.body.consentId;

    const early = await read("/accounts", id);
    expect(early.status).toBe(401);
    expect(early.body.tppMessages[0].code).toBe("CONSENT_INVALID");

    const sca = await completeRedirectSca(bank, created.body._links.scaRedirect.href, customer);
    expect(sca).toMatchObject({ status: 303, location: REDIRECT });
    expect((await bank.xs2a(`/consents/${id}/status`)).body.consentStatus).toBe("valid");
    const info = await bank.xs2a(`/consents/${id}`);
    expect(info.body.access.transactions.map((r: { iban: string }) => r.iban)).toEqual(ibans);
    const auths = await bank.xs2a(`/consents/${id}/authorisations`);
    expect(auths.body.authorisationIds).toHaveLength(1);
    const auth = await bank.xs2a(`/consents/${id}/authorisations/${auths.body.authorisationIds[0]}`);
    expect(auth.body.scaStatus).toBe("finalised");

    const list = await read("/accounts", id);
    expect(list.body.accounts.map((a: { iban: string }) => a.iban).sort()).toEqual([...ibans].sort());

    expect((await bank.xs2a(`/consents/${id}`, { method: "DELETE" })).status).toBe(204);
    expect((await bank.xs2a(`/consents/${id}/status`)).body.consentStatus).toBe("terminatedByTpp");
    const after = await read("/accounts", id);
    expect(after.status).toBe(401);
    expect(after.body.tppMessages[0].text).toMatch(/terminated/);
  });

  it("lets the PSU choose the accounts of a bank-offered consent", async () => {
    const customer = await createCustomer(bank.db, { accounts: 3 });
    const created = await createConsent(
      JSON.stringify({
        access: { accounts: [], balances: [], transactions: [] },
        recurringIndicator: true,
        validUntil: "2027-01-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      }),
    );
    const chosen = [customer.accounts[0]!.id, customer.accounts[2]!.id];
    const sca = await completeRedirectSca(bank, created.body._links.scaRedirect.href, {
      ...customer,
      accountIds: chosen,
    });
    expect(sca.location).toBe(REDIRECT);
    const list = await read("/accounts", created.body.consentId);
    expect(list.body.accounts.map((a: { resourceId: string }) => a.resourceId).sort()).toEqual(
      [...chosen].sort(),
    );
    const info = await bank.xs2a(`/consents/${created.body.consentId}`);
    expect(info.body.access.transactions).toHaveLength(2);
  });

  it("sends the PSU to the nok URI on cancel and rejects the consent", async () => {
    const customer = await createCustomer(bank.db);
    const created = await createConsent(consentBody([customer.accounts[0]!.iban]));
    const cancel = await bank.app.request(created.body._links.scaRedirect.href, {
      method: "POST",
      body: new URLSearchParams({ step: "cancel" }),
    });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get("Location")).toBe(NOK);
    expect((await bank.xs2a(`/consents/${created.body.consentId}/status`)).body.consentStatus).toBe(
      "rejected",
    );
  });

  it("fails the authorisation after three wrong TANs and never after a wrong password", async () => {
    const customer = await createCustomer(bank.db);
    const created = await createConsent(consentBody([customer.accounts[0]!.iban]));
    const url = created.body._links.scaRedirect.href;
    const badLogin = await bank.app.request(url, {
      method: "POST",
      body: new URLSearchParams({ step: "login", login: customer.login, password: "wrong" }),
    });
    expect(badLogin.status).toBe(401);
    expect(await badLogin.text()).toContain("Anmeldename oder Passwort ist falsch."); // German unless asked
    const first = await completeRedirectSca(bank, url, { ...customer, tan: "000000" });
    expect(first.status).toBe(400);
    await completeRedirectSca(bank, url, { ...customer, tan: "000000" });
    const third = await completeRedirectSca(bank, url, { ...customer, tan: "000000" });
    // The PSU is told why the approval ended, and goes back to the TPP's nok URI from there.
    expect(third.status).toBe(400);
    expect(third.html).toContain(`href="${NOK}"`);
    expect((await bank.xs2a(`/consents/${created.body.consentId}/status`)).body.consentStatus).toBe(
      "rejected",
    );
  });

  it("refuses an IBAN the PSU cannot see", async () => {
    const customer = await createCustomer(bank.db);
    const stranger = await createCustomer(bank.db);
    const created = await createConsent(consentBody([stranger.accounts[0]!.iban]));
    const login = await bank.app.request(created.body._links.scaRedirect.href, {
      method: "POST",
      body: new URLSearchParams({ step: "login", login: customer.login, password: customer.password }),
    });
    // Refused at the login, before any TAN (no TAN of this PSU could grant it), and the TPP gets its answer.
    expect(login.status).toBe(403);
    expect(await login.text()).not.toContain('name="tan"');
    expect((await bank.xs2a(`/consents/${created.body.consentId}/status`)).body.consentStatus).toBe(
      "rejected",
    );
    expect((await bank.xs2a(created.body._links.scaStatus.href)).body.scaStatus).toBe("failed");
  });

  it("caps validUntil at 180 days and unattended frequency at 4", async () => {
    const customer = await createCustomer(bank.db);
    const created = await createConsent(
      consentBody([customer.accounts[0]!.iban], { validUntil: "2099-12-31", frequencyPerDay: 24 }),
    );
    const info = await bank.xs2a(`/consents/${created.body.consentId}`);
    expect(info.body.validUntil).toBe("2027-05-22"); // 2026-11-23 + 180 days
    expect(info.body.frequencyPerDay).toBe(4);
  });

  it("expires after validUntil: reads answer CONSENT_EXPIRED and the status says expired", async () => {
    const { consentId } = await connected();
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.advanceDays(72); // validUntil 2027-02-01 is inclusive; 2027-02-03 is past it
      const denied = await read("/accounts", consentId);
      expect(denied.status).toBe(401);
      expect(denied.body.tppMessages[0].code).toBe("CONSENT_EXPIRED");
      expect((await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus).toBe("expired");
    } finally {
      bank.clock.set(before);
    }
  });

  it("stops a TPP's access on its next request after the PSU revokes it at the bank", async () => {
    const { customer, consentId } = await connected();
    expect((await read("/accounts", consentId)).status).toBe(200);
    await revokeByPsu(bank.deps, customer.psuId, consentId);
    const denied = await read("/accounts", consentId);
    expect(denied.status).toBe(401);
    expect(denied.body.tppMessages[0].text).toMatch(/revoked/);
    expect((await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus).toBe("revokedByPsu");
  });

  it("keeps each TPP to its own consents", async () => {
    const { consentId } = await connected();
    const other = { id: "PSDDE-BAFIN-900002", key: "other-tpp-key-0123456789" };
    const { registerTpp } = await import("../tpps/tpps.service.ts");
    await registerTpp(bank.db, { ...other, name: "Other TPP" });
    const denied = await bank.xs2a("/accounts", {
      tpp: other,
      headers: { "Consent-ID": consentId, "PSU-IP-Address": "192.0.2.1" },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.tppMessages[0].code).toBe("CONSENT_UNKNOWN");
  });

  it("serves account information, consents included, only to a TPP with the role PSP_AI", async () => {
    const { consentId } = await connected();
    const payments = { id: "PSDDE-BAFIN-900004", key: "payments-tpp-key-0123456789" };
    const { registerTpp } = await import("../tpps/tpps.service.ts");
    await registerTpp(bank.db, { ...payments, name: "Payments only", roles: ["PSP_PI"] });
    for (const [path, method] of [
      ["/accounts", "GET"],
      [`/consents/${consentId}`, "GET"],
      [`/consents/${consentId}/status`, "GET"],
      [`/consents/${consentId}/authorisations`, "GET"],
      [`/consents/${consentId}`, "DELETE"],
    ] as const) {
      const denied = await bank.xs2a(path, { method, tpp: payments, headers: { "Consent-ID": consentId } });
      expect(denied.status).toBe(401);
      expect(denied.body.tppMessages[0].code).toBe("ROLE_INVALID");
    }
    expect((await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus).toBe("valid");
  });

  it("supports decoupled SCA, confirmed by the PSU in the bank's app", async () => {
    const customer = await createCustomer(bank.db);
    const created = await createConsent(consentBody([customer.accounts[0]!.iban]), {
      "TPP-Redirect-Preferred": "false",
      "PSU-ID": customer.login,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("ASPSP-SCA-Approach")).toBe("DECOUPLED");
    expect(created.body._links.scaRedirect).toBeUndefined();
    const statusUrl = created.body._links.scaStatus.href;
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("received");
    const { listDecoupledRequests, approveDecoupled } = await import("../consents/consents.service.ts");
    const requests = await listDecoupledRequests(bank.deps, customer.psuId);
    expect(requests).toHaveLength(1);
    await approveDecoupled(bank.deps, customer.psuId, created.body.consentId, requests[0]!.authorisation_id, {
      tan: "123456",
    });
    expect((await bank.xs2a(statusUrl)).body.scaStatus).toBe("finalised");
    expect((await bank.xs2a(`/consents/${created.body.consentId}/status`)).body.consentStatus).toBe("valid");
  });

  it("ends a decoupled renewal of a consent in force after 30 minutes, and leaves the consent as it was", async () => {
    const customer = await createCustomer(bank.db);
    const decoupled = { "TPP-Redirect-Preferred": "false", "PSU-ID": customer.login };
    const created = await createConsent(consentBody([customer.accounts[0]!.iban]), decoupled);
    const { listApprovalRequests } = await import("../banking-app/approvals.service.ts");
    const { approveDecoupled } = await import("../consents/consents.service.ts");
    const [first] = await listApprovalRequests(bank.deps, customer.psuId);
    await approveDecoupled(bank.deps, customer.psuId, created.body.consentId, first!.ref.authorisationId, {
      tan: "123456",
    });
    const renewal = await bank.xs2a(`/consents/${created.body.consentId}/authorisations`, {
      method: "POST",
      headers: { ...decoupled, "PSU-IP-Address": "192.0.2.10" },
    });
    expect(renewal.status).toBe(201);
    const [request] = await listApprovalRequests(bank.deps, customer.psuId);
    expect(request?.renewal).toBe(true);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T10:31:00Z");
      expect(await listApprovalRequests(bank.deps, customer.psuId)).toEqual([]);
      await expect(
        approveDecoupled(bank.deps, customer.psuId, created.body.consentId, request!.ref.authorisationId, {
          tan: "123456",
        }),
      ).rejects.toMatchObject({ code: "STATUS_INVALID" });
      expect((await bank.xs2a(renewal.body._links.scaStatus.href)).body.scaStatus).toBe("failed");
      expect((await bank.xs2a(`/consents/${created.body.consentId}/status`)).body.consentStatus).toBe(
        "valid",
      );
    } finally {
      bank.clock.set(before);
    }
  });

  it("ends a decoupled request the PSU leaves unanswered, as a redirect link, after 30 minutes", async () => {
    const customer = await createCustomer(bank.db);
    const created = await createConsent(consentBody([customer.accounts[0]!.iban]), {
      "TPP-Redirect-Preferred": "false",
      "PSU-ID": customer.login,
    });
    const { listApprovalRequests } = await import("../banking-app/approvals.service.ts");
    const { approveDecoupled } = await import("../consents/consents.service.ts");
    const [request] = await listApprovalRequests(bank.deps, customer.psuId);
    expect(request).toBeDefined();
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T10:29:00Z"); // still open a minute before its end
      expect(await listApprovalRequests(bank.deps, customer.psuId)).toHaveLength(1);
      bank.clock.set("2026-11-23T10:31:00Z");
      expect(await listApprovalRequests(bank.deps, customer.psuId)).toEqual([]);
      expect((await bank.xs2a(created.body._links.scaStatus.href)).body.scaStatus).toBe("failed");
      expect((await bank.xs2a(`/consents/${created.body.consentId}`)).body.consentStatus).toBe("rejected");
      await expect(
        approveDecoupled(bank.deps, customer.psuId, created.body.consentId, request!.ref.authorisationId, {
          tan: "123456",
        }),
      ).rejects.toMatchObject({ code: "STATUS_INVALID" });
    } finally {
      bank.clock.set(before);
    }
  });

  it("refuses to renew a consent's SCA in another PSU's app, and never hands the consent over", async () => {
    const { customer, consentId } = await connected();
    const stranger = await createCustomer(bank.db);
    const renewal = await bank.xs2a(`/consents/${consentId}/authorisations`, {
      method: "POST",
      body: "{}",
      headers: {
        "PSU-IP-Address": "192.0.2.10",
        "TPP-Redirect-Preferred": "false",
        "PSU-ID": stranger.login,
      },
    });
    expect(renewal.status).toBe(401);
    expect(renewal.body.tppMessages[0]).toMatchObject({ code: "PSU_CREDENTIALS_INVALID", path: "PSU-ID" });
    const { listDecoupledRequests } = await import("../consents/consents.service.ts");
    expect(await listDecoupledRequests(bank.deps, stranger.psuId)).toHaveLength(0);
    // The owner may still renew in their own app.
    const own = await bank.xs2a(`/consents/${consentId}/authorisations`, {
      method: "POST",
      body: "{}",
      headers: {
        "PSU-IP-Address": "192.0.2.10",
        "TPP-Redirect-Preferred": "false",
        "PSU-ID": customer.login,
      },
    });
    expect(own.status).toBe(201);
    expect(await listDecoupledRequests(bank.deps, customer.psuId)).toHaveLength(1);
    const accounts = await read("/accounts", consentId);
    expect(accounts.body.accounts.map((a: { iban: string }) => a.iban)).toEqual([customer.accounts[0]!.iban]);
  });
});

describe("PSD2 access rules", () => {
  it("allows 4 unattended reads a day per consent and account, then ACCESS_EXCEEDED; attended reads are free", async () => {
    const { customer, consentId } = await connected(2);
    const [a, b] = customer.accounts;
    const path = (id: string) => `/accounts/${id}/balances`;
    for (let i = 0; i < 4; i++) expect((await read(path(a!.id), consentId, false)).status).toBe(200);
    const fifth = await read(path(a!.id), consentId, false);
    expect(fifth.status).toBe(429);
    expect(fifth.body.tppMessages[0].code).toBe("ACCESS_EXCEEDED");
    expect((await read(path(b!.id), consentId, false)).status).toBe(200);
    expect((await read(path(a!.id), consentId, true)).status).toBe(200);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.advanceDays(1);
      expect((await read(path(a!.id), consentId, false)).status).toBe(200);
    } finally {
      bank.clock.set(before);
    }
  });

  it("reads only the last 90 days without a fresh SCA, and all of it again after a new authorisation", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      { booking_date: "2026-06-01", amount_minor: 5000 },
      { booking_date: "2026-11-02", amount_minor: -1999 },
    ]);
    const old = `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-05-01`;
    expect((await read(old, consentId)).body.transactions.booked).toHaveLength(2); // SCA just happened
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T12:30:00Z");
      const denied = await read(old, consentId);
      expect(denied.status).toBe(400);
      expect(denied.body.tppMessages[0].code).toBe("PERIOD_INVALID");
      const recent = await read(
        `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-08-25`,
        consentId,
      );
      expect(recent.body.transactions.booked).toHaveLength(1);
      const renewal = await bank.xs2a(`/consents/${consentId}/authorisations`, {
        method: "POST",
        headers: { "TPP-Redirect-URI": REDIRECT, "PSU-IP-Address": "192.0.2.10" },
      });
      expect(renewal.status).toBe(201);
      await completeRedirectSca(bank, renewal.body._links.scaRedirect.href, customer);
      expect((await read(old, consentId)).body.transactions.booked).toHaveLength(2);
    } finally {
      bank.clock.set(before);
    }
  });

  it("asks for SCA again when the last one is older than 180 days", async () => {
    const { customer, consentId } = await connected();
    await bank.db
      .updateTable("consents")
      .set({ last_sca_at: new Date(bank.clock.now().getTime() - 181 * 86_400_000) })
      .where("id", "=", consentId)
      .execute();
    const denied = await read("/accounts", consentId);
    expect(denied.status).toBe(401);
    expect(denied.body.tppMessages[0].text).toMatch(/authentication again/);
    const renewal = await bank.xs2a(`/consents/${consentId}/authorisations`, {
      method: "POST",
      headers: { "TPP-Redirect-URI": REDIRECT },
    });
    await completeRedirectSca(bank, renewal.body._links.scaRedirect.href, customer);
    expect((await read("/accounts", consentId)).status).toBe(200);
  });

  it("follows only the page links it issued: a made-up or altered link reads nothing the first page refused", async () => {
    const { encodeCursor } = await import("../transactions/transactions.service.ts");
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      { booking_date: "2026-06-01", amount_minor: 5000, transaction_id: "OLD-PAGED" },
      ...Array.from({ length: 150 }, (_, i) => ({ booking_date: "2026-10-01", amount_minor: i + 1 })),
    ]);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T12:30:00Z"); // the SCA is no longer fresh: 90 days back at most
      const first = await read(
        `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-08-25`,
        consentId,
        false,
      );
      const next = first.body.transactions._links.next.href as string;
      const refusedAs = async (path: string, text: RegExp) => {
        const response = await read(path, consentId, false);
        expect(response.status).toBe(400);
        expect(response.body.tppMessages[0]).toMatchObject({ code: "FORMAT_ERROR", path: "page" });
        expect(response.body.tppMessages[0].text).toMatch(text);
      };
      // The link's period widened to before the 90 days.
      await refusedAs(
        next.replace("dateFrom=2026-08-25", "dateFrom=2026-05-01"),
        /another account or period/,
      );
      // A cursor made up by the TPP, unsigned, signed with another key, or with its signature altered.
      const scope = { consentId, accountId: account.id, dateFrom: "2026-05-01", dateTo: "2026-11-23" };
      const old = { date: "2026-05-01", seq: 0, maxSeq: 1e12 };
      const withPage = (page: string) =>
        `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-05-01&dateTo=2026-11-23&page=${page}`;
      const unsigned = Buffer.from(
        JSON.stringify({
          c: consentId,
          a: account.id,
          f: "2026-05-01",
          t: "2026-11-23",
          d: "2026-05-01",
          s: 0,
          m: 1e12,
          i: Math.floor(bank.clock.now().getTime() / 1000),
        }),
      ).toString("base64url");
      await refusedAs(withPage(unsigned), /not one this bank issued/);
      const now = bank.clock.now();
      await refusedAs(
        withPage(encodeCursor(Buffer.alloc(32, 7), scope, old, now)),
        /not one this bank issued/,
      );
      const genuine = encodeCursor(bank.deps.pageLinkKey, scope, old, now);
      // The signature's first character carries six bits of it (the last may carry padding bits only).
      const dot = genuine.lastIndexOf(".") + 1;
      const flipped = `${genuine.slice(0, dot)}${genuine[dot] === "A" ? "B" : "A"}${genuine.slice(dot + 1)}`;
      await refusedAs(withPage(flipped), /not one this bank issued/);
      // The link as issued is served, and the refused ones did not count as reads.
      const second = await read(next, consentId, false);
      expect(second.status).toBe(200);
      expect(second.body.transactions.booked).toHaveLength(50);
      const all = [...first.body.transactions.booked, ...second.body.transactions.booked];
      expect(all.map((t: { transactionId: string }) => t.transactionId)).not.toContain("OLD-PAGED");
    } finally {
      bank.clock.set(before);
    }
  });

  it("lets a page link into history older than 90 days live only as long as the SCA it was read under is fresh", async () => {
    const { customer, consentId } = await connected(); // SCA at 10:00
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      ...Array.from({ length: 150 }, (_, i) => ({ booking_date: "2026-06-01", amount_minor: i + 1 })),
      ...Array.from({ length: 150 }, (_, i) => ({ booking_date: "2026-10-01", amount_minor: i + 1 })),
    ]);
    const firstPage = (dateFrom: string) =>
      read(`/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=${dateFrom}`, consentId);
    const old = (await firstPage("2026-05-01")).body.transactions._links.next.href as string;
    const recent = (await firstPage("2026-09-01")).body.transactions._links.next.href as string;
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T10:30:00Z");
      const second = await read(old, consentId);
      expect(second.status).toBe(200);
      const third = second.body.transactions._links.next.href as string; // issued at 10:30
      bank.clock.set("2026-11-23T11:00:30Z"); // the first link is an hour old, the third half an hour
      const expired = await read(old, consentId);
      expect(expired.status).toBe(400);
      expect(expired.body.tppMessages[0]).toMatchObject({ code: "PERIOD_INVALID", path: "page" });
      expect((await read(third, consentId)).status).toBe(200);
      // Within the 90 days a link has no such end.
      bank.clock.set("2026-11-23T18:00:00Z");
      expect((await read(recent, consentId)).status).toBe(200);
      expect((await read(third, consentId)).status).toBe(400);
    } finally {
      bank.clock.set(before);
    }
  });

  it("counts only reads it serves: a refused read leaves the daily limit as it was", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      { booking_date: "2026-06-01", amount_minor: 5000, transaction_id: "OLD-COUNTED" },
    ]);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T12:30:00Z");
      const tooOld = `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-05-01`;
      for (let i = 0; i < 4; i++) {
        expect((await read(tooOld, consentId, false)).body.tppMessages[0].code).toBe("PERIOD_INVALID");
        const unknown = await read(`/accounts/${account.id}/transactions/NO-SUCH-ID`, consentId, false);
        expect(unknown.status).toBe(403);
        expect(unknown.body.tppMessages[0]).toMatchObject({
          code: "RESOURCE_UNKNOWN",
          path: "transactionId",
        });
      }
      const recent = `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`;
      for (let i = 0; i < 4; i++) expect((await read(recent, consentId, false)).status).toBe(200);
      expect((await read(recent, consentId, false)).body.tppMessages[0].code).toBe("ACCESS_EXCEEDED");
    } finally {
      bank.clock.set(before);
    }
  });

  it("keeps one transaction's details to the same 90 days as the list, and lists pending entries by entry date", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      { booking_date: "2026-06-01", amount_minor: 5000, transaction_id: "OLD-DETAIL" },
      { booking_date: "2026-11-20", amount_minor: -499, status: "pending", transaction_id: "PEND-NOV" },
    ]);
    const detail = () => read(`/accounts/${account.id}/transactions/OLD-DETAIL`, consentId);
    expect((await detail()).status).toBe(200); // right after SCA
    const pending = async (from: string, to: string) =>
      (
        await read(
          `/accounts/${account.id}/transactions?bookingStatus=pending&dateFrom=${from}&dateTo=${to}`,
          consentId,
        )
      ).body.transactions.pending.map((t: { transactionId: string }) => t.transactionId);
    expect(await pending("2026-10-01", "2026-10-31")).toEqual([]);
    expect(await pending("2026-11-01", "2026-11-23")).toEqual(["PEND-NOV"]);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set("2026-11-23T12:30:00Z");
      const denied = await detail();
      expect(denied.status).toBe(400);
      expect(denied.body.tppMessages[0].code).toBe("PERIOD_INVALID");
    } finally {
      bank.clock.set(before);
    }
  });

  it("ends a continuation link with the SCA it was read under, once that is 180 days old", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(
      bank.db,
      account.id,
      Array.from({ length: 150 }, (_, i) => ({ booking_date: "2026-10-01", amount_minor: i + 1 })),
    );
    const first = await read(
      `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`,
      consentId,
    );
    const next = first.body.transactions._links.next.href as string;
    expect((await read(next, consentId)).status).toBe(200);
    // Within the minute the one statement serves continuation pages; it must refuse as the guard does.
    await bank.db
      .updateTable("consents")
      .set({ last_sca_at: new Date(bank.clock.now().getTime() - 181 * 86_400_000) })
      .where("id", "=", consentId)
      .execute();
    const denied = await read(next, consentId);
    expect(denied.status).toBe(401);
    expect(denied.body.tppMessages[0].text).toMatch(/authentication again/);
  });

  it("lets a consent for the available accounts list them and read nothing else", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2, openingBalance: 100_000 });
    for (const access of [
      { availableAccounts: "allAccounts" },
      { availableAccountsWithBalance: "allAccounts" },
    ]) {
      const created = await createConsent(
        JSON.stringify({
          access,
          recurringIndicator: false,
          validUntil: "2026-11-23",
          frequencyPerDay: 1,
          combinedServiceIndicator: false,
        }),
      );
      expect(created.status).toBe(201);
      await completeRedirectSca(bank, created.body._links.scaRedirect.href, customer);
      const id = created.body.consentId as string;
      expect((await read("/accounts", id)).body.accounts).toHaveLength(2);
      const account = customer.accounts[0]!.id;
      for (const path of [`/accounts/${account}`, `/accounts/${account}/balances`]) {
        const denied = await read(path, id);
        expect(denied.status).toBe(401);
        expect(denied.body.tppMessages[0].text).toMatch(/available accounts only/);
      }
    }
  });

  it("moves lastActionDate when the status changes, not when the TPP reads", async () => {
    const { customer, consentId } = await connected();
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.advanceDays(2);
      expect((await read(`/accounts/${customer.accounts[0]!.id}/balances`, consentId)).status).toBe(200);
      expect((await bank.xs2a(`/consents/${consentId}`)).body.lastActionDate).toBe("2026-11-23");
      await bank.xs2a(`/consents/${consentId}`, { method: "DELETE" });
      expect((await bank.xs2a(`/consents/${consentId}`)).body.lastActionDate).toBe("2026-11-25");
    } finally {
      bank.clock.set(before);
    }
  });

  it("asks for SCA again at random when the sandbox says so, until the PSU authenticates", async () => {
    const { customer, consentId } = await connected();
    bank.deps.controls.set({ scaAgainRate: 1 });
    try {
      const denied = await read("/accounts", consentId);
      expect(denied.status).toBe(401);
      bank.deps.controls.set({});
      expect((await read("/accounts", consentId)).status).toBe(401); // stays until SCA
      const renewal = await bank.xs2a(`/consents/${consentId}/authorisations`, {
        method: "POST",
        headers: { "TPP-Redirect-URI": REDIRECT },
      });
      await completeRedirectSca(bank, renewal.body._links.scaRedirect.href, customer);
      expect((await read("/accounts", consentId)).status).toBe(200);
    } finally {
      bank.deps.controls.set({});
    }
  });
});

describe("transactions", () => {
  it("pages through _links so that the union is every booked transaction exactly once, even while new ones book", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    const rows = Array.from({ length: 250 }, (_, i) => ({
      booking_date: `2026-${String(9 + Math.floor(i / 100)).padStart(2, "0")}-${String((i % 20) + 1).padStart(2, "0")}`,
      amount_minor: (i + 1) * (i % 3 === 0 ? -1 : 1),
      transaction_id: `P-${i}`,
    }));
    await addTransactions(bank.db, account.id, rows);
    await addTransactions(bank.db, account.id, [
      { booking_date: "2026-11-23", amount_minor: -500, status: "pending" },
    ]);
    const seen: string[] = [];
    let url: string | undefined =
      `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`;
    let pages = 0;
    while (url) {
      const page = await read(url, consentId);
      expect(page.status).toBe(200);
      expect(page.body.transactions.pending).toBeUndefined();
      seen.push(...page.body.transactions.booked.map((t: { transactionId: string }) => t.transactionId));
      if (pages === 0) {
        // Booked meanwhile, inside the range and before the cursor: must neither shift nor duplicate pages.
        await addTransactions(bank.db, account.id, [
          { booking_date: "2026-09-01", amount_minor: 1, transaction_id: "LATE" },
        ]);
      }
      url = page.body.transactions._links.next?.href;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(rows.map((r) => r.transaction_id).sort());
  });

  // A continuation page is read with its access check in one statement (transactions.repository.ts
  // guardedNextBookedPage); whenever that statement serves nothing, the full guard answers. So each way the full
  // guard refuses a read must refuse a continuation link too, on the very next request, with the same answer.
  it("refuses a continuation page on the next request after anything that ends the consent's access", async () => {
    const { encodeCursor } = await import("../transactions/transactions.service.ts");
    const { registerTpp } = await import("../tpps/tpps.service.ts");
    const other = { id: "PSDDE-BAFIN-900003", key: "third-tpp-key-0123456789" };
    await registerTpp(bank.db, { ...other, name: "Third TPP" });

    /** A consent with 250 booked transactions, and the link to its second page (already read once). */
    async function pagedConsent() {
      const { customer, consentId } = await connected();
      const account = customer.accounts[0]!;
      await addTransactions(
        bank.db,
        account.id,
        Array.from({ length: 250 }, (_, i) => ({ booking_date: "2026-10-01", amount_minor: i + 1 })),
      );
      const first = await read(
        `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`,
        consentId,
      );
      const next = first.body.transactions._links.next.href as string;
      const served = await read(next, consentId);
      expect(served.status).toBe(200);
      expect(served.body.transactions.booked).toHaveLength(100);
      expect(served.body.account.iban).toBe(account.iban);
      return { customer, account, consentId, next };
    }
    const refused = async (response: Xs2aResponse, status: number, code: string, text?: RegExp) => {
      expect(response.status).toBe(status);
      expect(response.body.tppMessages[0].code).toBe(code);
      if (text) expect(response.body.tppMessages[0].text).toMatch(text);
    };

    let paged = await pagedConsent();
    await revokeByPsu(bank.deps, paged.customer.psuId, paged.consentId);
    await refused(await read(paged.next, paged.consentId), 401, "CONSENT_INVALID", /revoked/);

    paged = await pagedConsent();
    expect((await bank.xs2a(`/consents/${paged.consentId}`, { method: "DELETE" })).status).toBe(204);
    await refused(await read(paged.next, paged.consentId), 401, "CONSENT_INVALID", /terminated/);

    paged = await pagedConsent();
    const elsewhere = await bank.xs2a(paged.next, {
      tpp: other,
      headers: { "Consent-ID": paged.consentId, "PSU-IP-Address": "192.0.2.1" },
    });
    await refused(elsewhere, 403, "CONSENT_UNKNOWN");

    paged = await pagedConsent();
    await bank.db
      .updateTable("consents")
      .set({ sca_required: true })
      .where("id", "=", paged.consentId)
      .execute();
    await refused(await read(paged.next, paged.consentId), 401, "CONSENT_INVALID", /authentication again/);

    paged = await pagedConsent();
    await bank.db
      .updateTable("memberships")
      .set({ can_view: false })
      .where("psu_id", "=", paged.customer.psuId)
      .execute();
    await refused(await read(paged.next, paged.consentId), 401, "CONSENT_INVALID", /no longer has access/);

    paged = await pagedConsent();
    await bank.db
      .deleteFrom("consent_accounts")
      .where("consent_id", "=", paged.consentId)
      .where("scope", "=", "transactions")
      .execute();
    await refused(
      await read(paged.next, paged.consentId),
      401,
      "CONSENT_INVALID",
      /does not grant transactions/,
    );

    // Links used with a consent they were not issued for, or made up for an account the consent does not cover.
    paged = await pagedConsent();
    const second = await pagedConsent();
    await refused(
      await read(paged.next, second.consentId),
      401,
      "CONSENT_INVALID",
      /does not cover this account/,
    );
    const cursor = encodeCursor(
      bank.deps.pageLinkKey,
      {
        consentId: paged.consentId,
        accountId: second.account.id,
        dateFrom: "2026-09-01",
        dateTo: "2026-11-23",
      },
      { date: "2026-09-01", seq: 0, maxSeq: 1e9 },
      bank.clock.now(),
    );
    const forged = `/accounts/${second.account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01&page=${cursor}`;
    await refused(await read(forged, second.consentId), 400, "FORMAT_ERROR", /another consent/);
    await refused(await read(forged, paged.consentId), 401, "CONSENT_INVALID", /does not cover this account/);

    // Conditions that tell one account from another: each case has booked rows on the refused account, so a
    // statement that checked another account's grant or membership instead would serve them.
    const booked = (accountId: string) =>
      addTransactions(
        bank.db,
        accountId,
        Array.from({ length: 5 }, (_, i) => ({ booking_date: "2026-10-02", amount_minor: i + 1 })),
      );
    const linkFor = (consentId: string, accountId: string) =>
      `/accounts/${accountId}/transactions?bookingStatus=booked&dateFrom=2026-09-01&page=${encodeCursor(
        bank.deps.pageLinkKey,
        { consentId, accountId, dateFrom: "2026-09-01", dateTo: "2026-11-23" },
        { date: "2026-09-01", seq: 0, maxSeq: 1e12 },
        bank.clock.now(),
      )}`;
    // Transactions granted on the main account only, balances on both.
    const two = await createCustomer(bank.db, { accounts: 2, openingBalance: 100_000 });
    const [main, sub] = [two.accounts[0]!, two.accounts[1]!];
    await booked(main.id);
    await booked(sub.id);
    const partial = await createConsent(
      JSON.stringify({
        access: { balances: [{ iban: main.iban }, { iban: sub.iban }], transactions: [{ iban: main.iban }] },
        recurringIndicator: true,
        validUntil: "2027-02-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      }),
    );
    await completeRedirectSca(bank, partial.body._links.scaRedirect.href, two);
    const partialId = partial.body.consentId as string;
    expect((await read(`/accounts/${main.id}/balances`, partialId)).status).toBe(200); // records the access
    expect((await read(linkFor(partialId, main.id), partialId)).status).toBe(200);
    await refused(
      await read(linkFor(partialId, sub.id), partialId),
      401,
      "CONSENT_INVALID",
      /does not grant transactions/,
    );
    // Both accounts granted; the PSU loses sight of the sub-account only.
    const both = await connected(2);
    const [bothMain, bothSub] = [both.customer.accounts[0]!, both.customer.accounts[1]!];
    await booked(bothMain.id);
    await booked(bothSub.id);
    expect((await read(linkFor(both.consentId, bothSub.id), both.consentId)).status).toBe(200);
    await bank.db
      .updateTable("memberships")
      .set({ can_view: false })
      .where("psu_id", "=", both.customer.psuId)
      .where("account_id", "=", bothSub.id)
      .execute();
    await refused(
      await read(linkFor(both.consentId, bothSub.id), both.consentId),
      401,
      "CONSENT_INVALID",
      /no longer has access/,
    );
    expect((await read(linkFor(both.consentId, bothMain.id), both.consentId)).status).toBe(200);
    // Another PSU of the business still sees the account; the consent's own PSU does not.
    paged = await pagedConsent();
    const colleague = await createCustomer(bank.db, { accounts: 0 });
    await bank.db
      .insertInto("memberships")
      .values({ psu_id: colleague.psuId, account_id: paged.account.id })
      .execute();
    await bank.db
      .updateTable("memberships")
      .set({ can_view: false })
      .where("psu_id", "=", paged.customer.psuId)
      .execute();
    await refused(await read(paged.next, paged.consentId), 401, "CONSENT_INVALID", /no longer has access/);

    // A page link with a date that does not exist: the guard answers first, then the link's own error.
    paged = await pagedConsent();
    const badDate = linkFor(paged.consentId, paged.account.id).replace(
      /page=[^&]+/,
      `page=${encodeCursor(
        bank.deps.pageLinkKey,
        {
          consentId: paged.consentId,
          accountId: paged.account.id,
          dateFrom: "2026-09-01",
          dateTo: "2026-11-23",
        },
        { date: "2026-99-99", seq: 0, maxSeq: 1 },
        bank.clock.now(),
      )}`,
    );
    await refused(await read(badDate, paged.consentId), 400, "FORMAT_ERROR", /not one this bank issued/);
    await revokeByPsu(bank.deps, paged.customer.psuId, paged.consentId);
    await refused(await read(badDate, paged.consentId), 401, "CONSENT_INVALID", /revoked/);

    const before = bank.clock.now().toISOString();
    try {
      // The last read half a minute before validUntil (2027-02-01) ends in Berlin, the next one just after.
      bank.clock.set("2027-02-01T22:59:30Z");
      paged = await pagedConsent();
      bank.clock.set("2027-02-01T23:00:10Z");
      await refused(await read(paged.next, paged.consentId), 401, "CONSENT_EXPIRED");
    } finally {
      bank.clock.set(before);
    }
  });

  it("serves continuation pages byte for byte as the full guard does, and records the consent's access once a minute", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(
      bank.db,
      account.id,
      Array.from({ length: 120 }, (_, i) => ({
        // Booked in reverse date order, so seq order and page order differ.
        booking_date: `2026-10-${String(30 - Math.floor(i / 10)).padStart(2, "0")}`,
        transaction_id: `O-${String(119 - i).padStart(3, "0")}-${consentId.slice(0, 6)}`,
        amount_minor: (i + 1) * (i % 2 ? -1 : 1),
        counterparty_name: i % 3 ? 'Şahin Müller – Ärzte "GbR"' : "",
        remittance: `RE-${i} 😀\ttab`,
      })),
    );
    const first = await read(
      `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-09-01`,
      consentId,
    );
    const next = first.body.transactions._links.next.href as string;
    const ids = (page: Xs2aResponse) =>
      page.body.transactions.booked.map((t: { transactionId: string }) => t.transactionId.slice(0, 5));
    // In (bookingDate, seq) order: the dates ascend, and within a date the rows as they were booked.
    const expected = Array.from({ length: 120 }, (_, k) => {
      const day = Math.floor(k / 10); // 0 = 2026-10-19 … 11 = 2026-10-30, each booked as i = 110-10·day … +9
      return `O-${String(119 - (110 - 10 * day + (k % 10))).padStart(3, "0")}`;
    });
    expect(ids(first)).toEqual(expected.slice(0, 100));
    const lastAccess = async () =>
      (
        await bank.db
          .selectFrom("consents")
          .select("last_accessed_at")
          .where("id", "=", consentId)
          .executeTakeFirstOrThrow()
      ).last_accessed_at?.toISOString();
    const touched = await lastAccess();
    expect(touched).toBe(bank.clock.now().toISOString());

    // Which statements a read runs: the bank's own raw reader, recording the names of what passes through it.
    const real = bank.deps.raw;
    const statements: string[] = [];
    bank.deps.raw = {
      rows: (statement, values) => {
        statements.push(statement.name.replace(/^bank_transactions_/, ""));
        return real.rows(statement, values);
      },
      close: real.close,
    };
    const readRecording = async (link: string) => {
      statements.length = 0;
      const page = await read(link, consentId);
      return { page, statements: [...statements] };
    };
    try {
      // Within the minute: the one statement serves the page and writes nothing.
      bank.clock.set(new Date(bank.clock.now().getTime() + 30_000).toISOString());
      const quick = await readRecording(next);
      expect(quick.statements).toEqual(["guarded_page_after"]);
      expect(quick.page.status).toBe(200);
      expect(await lastAccess()).toBe(touched);
      // The bytes are what JSON.stringify writes of the same page.
      expect(quick.page.text).toBe(JSON.stringify(quick.page.body));
      expect(ids(quick.page)).toEqual(expected.slice(100));
      expect(quick.page.body.transactions.booked[1].creditorName).toBe('Şahin Müller – Ärzte "GbR"');

      // The account id in capitals is the same account, on either way.
      const upper = next.replace(account.id, account.id.toUpperCase());
      const shouted = await readRecording(upper);
      expect(shouted.statements).toEqual(["guarded_page_after"]);
      expect(shouted.page.text).toBe(quick.page.text);

      // More than a minute later: the full guard records the access, and serves the same page.
      bank.clock.set(new Date(bank.clock.now().getTime() + 61_000).toISOString());
      const full = await readRecording(upper);
      expect(full.statements).toEqual(["guarded_page_after", "page_after"]);
      expect(full.page.text).toBe(quick.page.text);
      expect(await lastAccess()).toBe(bank.clock.now().toISOString());
    } finally {
      bank.deps.raw = real;
    }
  });

  it("separates booked and pending by bookingStatus and maps direction and money exactly", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    await addTransactions(bank.db, account.id, [
      {
        booking_date: "2026-11-20",
        amount_minor: -119_000,
        counterparty_name: "Lieferant GmbH",
        counterparty_iban: "DE89370400440532013000",
        remittance: "RE 4711",
        end_to_end_id: "E2E-1",
        mandate_id: "M-1",
        creditor_id: "DE98ZZZ09999999999",
        bank_transaction_code: "PMNT-IDDT-ESDD",
        transaction_id: "OUT-1",
      },
      { booking_date: "2026-11-23", amount_minor: -4_99, status: "pending", transaction_id: "PEND-1" },
    ]);
    const base = `/accounts/${account.id}/transactions?dateFrom=2026-11-01&bookingStatus=`;
    const booked = await read(`${base}booked`, consentId);
    expect(booked.body.transactions.booked[0]).toMatchObject({
      transactionId: "OUT-1",
      transactionAmount: { currency: "EUR", amount: "-1190.00" },
      creditorName: "Lieferant GmbH",
      creditorAccount: { iban: "DE89370400440532013000" },
      remittanceInformationUnstructured: "RE 4711",
      mandateId: "M-1",
      creditorId: "DE98ZZZ09999999999",
      bankTransactionCode: "PMNT-IDDT-ESDD",
    });
    const pending = await read(`${base}pending`, consentId);
    expect(pending.body.transactions.booked).toBeUndefined();
    expect(pending.body.transactions.pending.map((t: { transactionId: string }) => t.transactionId)).toEqual([
      "PEND-1",
    ]);
    const both = await read(`${base}both&withBalance=true`, consentId);
    expect(both.body.transactions.booked).toHaveLength(1);
    expect(both.body.transactions.pending).toHaveLength(1);
    const balances = Object.fromEntries(
      both.body.balances.map((b: { balanceType: string; balanceAmount: { amount: string } }) => [
        b.balanceType,
        b.balanceAmount.amount,
      ]),
    );
    expect(balances).toEqual({ closingBooked: "-190.00", expected: "-194.99", interimAvailable: "-194.99" });
    const detail = await read(`/accounts/${account.id}/transactions/OUT-1`, consentId);
    expect(detail.body.transactionsDetails.transactionDetails.transactionId).toBe("OUT-1");
    // Accept headers that admit JSON, as clients send them.
    for (const accept of [
      "application/json",
      "*/*",
      "application/json, text/plain;q=0.5",
      "application/*;q=0.8",
    ]) {
      const answered = await bank.xs2a(`${base}booked`, {
        headers: { "Consent-ID": consentId, "PSU-IP-Address": "192.0.2.10", Accept: accept },
      });
      expect(answered.status).toBe(200);
    }
  });
});

describe("bad requests", () => {
  it("answers every malformed request with the spec's code and the offending field, and creates nothing", async () => {
    const { customer, consentId } = await connected();
    const account = customer.accounts[0]!;
    const count = async () =>
      (await bank.db.selectFrom("consents").select(bank.db.fn.countAll().as("n")).executeTakeFirstOrThrow())
        .n;
    const consentsBefore = await count();
    const noRequestId = await bank.app.request("http://bank.test/xs2a/v1/accounts", {
      headers: {
        "X-Sandbox-TPP-Id": bank.tpp.id,
        "X-Sandbox-TPP-Key": bank.tpp.key,
        "Consent-ID": consentId,
      },
    });
    expect(noRequestId.status).toBe(400);
    expect(noRequestId.headers.get("X-Request-ID")).toBeTruthy();
    expect((await noRequestId.json()).tppMessages[0]).toMatchObject({
      code: "FORMAT_ERROR",
      path: "X-Request-ID",
    });

    const cases: [Promise<Xs2aResponse>, number, string, string?][] = [
      [
        bank.xs2a("/accounts", { headers: { "X-Request-ID": "not-a-uuid", "Consent-ID": consentId } }),
        400,
        "FORMAT_ERROR",
        "X-Request-ID",
      ],
      [bank.xs2a("/accounts"), 400, "FORMAT_ERROR", "Consent-ID"],
      [
        bank.xs2a("/accounts", {
          tpp: { id: bank.tpp.id, key: "wrong-key-000000000" },
          headers: { "Consent-ID": consentId },
        }),
        401,
        "CERTIFICATE_INVALID",
      ],
      [
        bank.xs2a("/consents", {
          method: "POST",
          body: consentBody([account.iban]),
          headers: { "TPP-Redirect-URI": REDIRECT },
        }),
        400,
        "FORMAT_ERROR",
        "PSU-IP-Address",
      ],
      [
        createConsent(consentBody([account.iban]), { "PSU-IP-Address": "not-an-ip" }),
        400,
        "FORMAT_ERROR",
        "PSU-IP-Address",
      ],
      [
        bank.xs2a(`/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-11-01`, {
          headers: { "Consent-ID": consentId, Accept: "application/xml" },
        }),
        406,
        "REQUESTED_FORMATS_INVALID",
        "Accept",
      ],
      [
        bank.xs2a("/accounts", {
          headers: { "Consent-ID": consentId, Accept: "application/json;q=0, text/html" },
        }),
        406,
        "REQUESTED_FORMATS_INVALID",
        "Accept",
      ],
      [createConsent("{not json"), 400, "FORMAT_ERROR", "body"],
      [createConsent(JSON.stringify({ access: {}, recurringIndicator: true })), 400, "FORMAT_ERROR"],
      [createConsent(consentBody(["DE00123"])), 400, "FORMAT_ERROR"],
      [
        createConsent(consentBody([account.iban], { validUntil: "2020-01-01" })),
        400,
        "FORMAT_ERROR",
        "validUntil",
      ],
      [
        createConsent(consentBody([account.iban], { recurringIndicator: false, frequencyPerDay: 4 })),
        400,
        "FORMAT_ERROR",
        "frequencyPerDay",
      ],
      [
        createConsent(consentBody([account.iban]), { "TPP-Redirect-URI": "" }),
        400,
        "FORMAT_ERROR",
        "TPP-Redirect-URI",
      ],
      [
        read(`/accounts/${account.id}/transactions?dateFrom=2026-11-01`, consentId),
        400,
        "FORMAT_ERROR",
        "bookingStatus",
      ],
      [
        read(`/accounts/${account.id}/transactions?bookingStatus=booked`, consentId),
        400,
        "FORMAT_ERROR",
        "dateFrom",
      ],
      [
        read(`/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-13-45`, consentId),
        400,
        "FORMAT_ERROR",
        "dateFrom",
      ],
      [
        read(
          `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-11-10&dateTo=2026-11-01`,
          consentId,
        ),
        400,
        "PERIOD_INVALID",
      ],
      [
        read(`/accounts/${account.id}/transactions?bookingStatus=information&dateFrom=2026-11-01`, consentId),
        400,
        "PARAMETER_NOT_SUPPORTED",
      ],
      [
        read(
          `/accounts/${account.id}/transactions?bookingStatus=booked&dateFrom=2026-11-01&page=forged`,
          consentId,
        ),
        400,
        "FORMAT_ERROR",
        "page",
      ],
      [read("/accounts/00000000-0000-4000-8000-000000000000/balances", consentId), 401, "CONSENT_INVALID"],
      [read("/accounts/nope/balances", consentId), 404, "RESOURCE_UNKNOWN"],
      [bank.xs2a("/consents/unknown/status"), 403, "CONSENT_UNKNOWN"],
    ];
    for (const [pending, status, code, path] of cases) {
      const response = await pending;
      expect(response.status, JSON.stringify(response.body)).toBe(status);
      expect(response.body.tppMessages[0].code).toBe(code);
      if (path) expect(response.body.tppMessages[0].path).toBe(path);
    }
    expect(await count()).toBe(consentsBefore);
  });
});
