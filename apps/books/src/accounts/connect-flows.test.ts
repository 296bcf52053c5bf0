import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainJobs } from "../jobs/worker.ts";
import { consentContext } from "../sync/sync.service.ts";
import { createMember, type TestBooks, type TestBrowser, testBrowser } from "../testing.ts";
import {
  answerInBankingApp,
  type BankCustomer,
  bookTransactions,
  completeBankSca,
  connectThroughBooks,
  createBankCustomer,
  createBooksForBank,
  localPath,
  openBankingAppRequests,
  type RunningBank,
  startTestBank,
} from "../testing-bank.ts";
import { FLOW_TTL_MS, rememberedPsuId } from "./accounts.service.ts";
import { clientAddress } from "./psu-presence.ts";

let bank: RunningBank;
let books: TestBooks;
beforeAll(async () => {
  bank = await startTestBank();
  books = await createBooksForBank(bank);
});
afterAll(async () => {
  await books?.close();
  await bank?.close();
});

const DAY = 86_400_000;

async function member() {
  const m = await createMember(books);
  const browser = testBrowser(books.app);
  await browser.login(m.user.email, m.user.password);
  return { ...m, browser };
}

async function consentAtBank(consentId: string) {
  const row = await bank.deps.db
    .selectFrom("consents")
    .select("status")
    .where("id", "=", consentId)
    .executeTakeFirst();
  return row?.status;
}

async function connectionsOf(organisationId: string) {
  const rows = await books.database.db
    .selectFrom("bank_connections")
    .select(["id", "status", "consent_id_sealed", "organisation_id"])
    .where("organisation_id", "=", organisationId)
    .orderBy("created_at")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    status: row.status,
    consentId: row.consent_id_sealed
      ? books.deps.secretBox.open(row.consent_id_sealed, consentContext(row.organisation_id, row.id))
      : null,
  }));
}

async function flowsOf(organisationId: string) {
  return books.database.db
    .selectFrom("bank_connect_flows")
    .select(["id", "status"])
    .where("organisation_id", "=", organisationId)
    .execute();
}

async function accountsOf(organisationId: string) {
  return books.database.db
    .selectFrom("bank_accounts")
    .select(["id", "iban", "connection_id as connectionId", "status"])
    .where("organisation_id", "=", organisationId)
    .orderBy("iban")
    .execute();
}

async function transactionCount(accountId: string): Promise<number> {
  const row = await books.database.db
    .selectFrom("bank_transactions")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("bank_account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function startDecoupled(browser: TestBrowser, psuId: string) {
  const connect = await browser.get("/accounts/connect?q=sandbox");
  expect(connect.body).toContain("Approve in your banking app");
  return browser.post("/accounts/connect", { bankId: "kontor-sandbox", approach: "DECOUPLED", psuId });
}

describe("connecting by decoupled SCA (approve in the banking app)", () => {
  it("waits while the PSU has not approved, then continues to the IBAN chooser and imports", async () => {
    const customer = await createBankCustomer(bank, { accounts: 2 });
    await bookTransactions(bank, customer.accounts[0]?.id ?? "", { count: 5 });
    const { organisation, browser } = await member();
    const started = await startDecoupled(browser, customer.login);
    expect(started.status).toBe(303);
    const waitUrl = started.location ?? "";
    expect(waitUrl).toMatch(/^\/accounts\/connect\/[0-9a-f-]{36}\/wait$/);

    // Nothing approved yet: the page says so, without JavaScript it refreshes and has "Check again".
    const waiting = await browser.get(waitUrl);
    expect(waiting.status).toBe(200);
    expect(waiting.body).toContain("has sent a request to your banking app");
    expect(waiting.body).toContain("<progress");
    expect(waiting.body).toContain('<meta http-equiv="refresh" content="5"');
    expect(waiting.body).toMatch(new RegExp(`<form method="get" action="${waitUrl}">`));
    expect(waiting.body).toContain("Check again");
    expect(waiting.body).toContain("/static/sca-wait.js?v=");
    const polled = await browser.get(waitUrl, { accept: "application/json" });
    expect(polled.json()).toMatchObject({ state: "waiting", next: waitUrl, secondsLeft: FLOW_TTL_MS / 1000 });
    expect(await openBankingAppRequests(bank, customer.login)).toBe(1);

    // The PSU approves in the bank's app, granting only the first account.
    const first = customer.accounts[0];
    if (!first) throw new Error("account expected");
    await answerInBankingApp(bank, customer, { accountIds: [first.id] });
    expect(await openBankingAppRequests(bank, customer.login)).toBe(0);

    const json = await browser.get(waitUrl, { accept: "application/json" });
    const flowId = waitUrl.split("/")[3];
    expect(json.json()).toEqual({ state: "choose", next: `/accounts/connect/${flowId}` });
    const moved = await browser.get(waitUrl);
    expect(moved.status).toBe(303);
    expect(moved.location).toBe(`/accounts/connect/${flowId}`);
    const chooser = await browser.get(moved.location ?? "");
    expect(chooser.body).toContain(`name="iban" value="${first.iban}"`);
    expect(chooser.body).not.toContain(customer.accounts[1]?.iban ?? "-");
    const earliest = /name="importFrom_[A-Z0-9]+"[^>]*?value="([^"]+)"/.exec(chooser.body)?.[1] ?? "";
    const done = await browser.post(moved.location ?? "", {
      iban: first.iban,
      [`name_${first.iban}`]: "Geschäftskonto",
      [`importFrom_${first.iban}`]: earliest,
    });
    expect(done.status).toBe(303);
    const [account] = await accountsOf(organisation.id);
    expect(account).toMatchObject({ iban: first.iban, status: "active" });
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 5 }]);
    const [connection] = await connectionsOf(organisation.id);
    expect(connection?.status).toBe("valid");
    expect(await consentAtBank(connection?.consentId ?? "")).toBe("valid");

    // The user id the bank knew is kept for re-authentication (sealed), and forgotten on disconnect.
    const sealedPsuId = async () =>
      (
        await books.database.db
          .selectFrom("bank_connections")
          .select("psu_id_sealed")
          .where("id", "=", connection?.id ?? "")
          .executeTakeFirstOrThrow()
      ).psu_id_sealed;
    const sealed = await sealedPsuId();
    expect(sealed).not.toContain(customer.login);
    expect(
      rememberedPsuId(books.deps, {
        organisationId: organisation.id,
        connectionId: connection?.id ?? "",
        psuIdSealed: sealed,
      }),
    ).toBe(customer.login);
    expect((await browser.post(`/accounts/${account?.id}/disconnect`, {})).status).toBe(303);
    expect(await sealedPsuId()).toBeNull();
  });

  it("says so when the PSU rejects the request in the app, and adds nothing", async () => {
    const customer = await createBankCustomer(bank);
    const { organisation, browser } = await member();
    const started = await startDecoupled(browser, customer.login);
    await answerInBankingApp(bank, customer, { reject: true });
    const page = await browser.get(started.location ?? "");
    expect(page.status).toBe(200);
    expect(page.body).toContain("The request was rejected in the banking app");
    expect(page.body).toContain('href="/accounts/connect">Start again</a>');
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect((await browser.get(started.location ?? "", { accept: "application/json" })).json()).toMatchObject({
      state: "failed",
    });
    expect(await accountsOf(organisation.id)).toEqual([]);
    const [connection] = await connectionsOf(organisation.id);
    expect(connection?.status).toBe("rejected");
    expect(await consentAtBank(connection?.consentId ?? "")).toBe("rejected");
  });

  it("gives up after the flow's lifetime: the page says it timed out and the request leaves the app", async () => {
    const customer = await createBankCustomer(bank);
    const { organisation, browser } = await member();
    const started = await startDecoupled(browser, customer.login);
    const [connection] = await connectionsOf(organisation.id);
    expect(await openBankingAppRequests(bank, customer.login)).toBe(1);
    books.clock.advance(FLOW_TTL_MS + 1000);
    try {
      const page = await browser.get(started.location ?? "");
      expect(page.body).toContain("was not approved within 30 minutes and has expired");
      // The consent is ended at the bank, so a late approval in the app gives nobody access.
      expect(await consentAtBank(connection?.consentId ?? "")).toBe("terminatedByTpp");
      expect(await openBankingAppRequests(bank, customer.login)).toBe(0);
      expect(await connectionsOf(organisation.id)).toEqual([]);
      expect(await flowsOf(organisation.id)).toEqual([]);
    } finally {
      books.clock.advance(-(FLOW_TTL_MS + 1000));
    }
  });

  it("asks again for a missing or unknown user id at the bank, creating nothing", async () => {
    const { organisation, browser } = await member();
    const missing = await startDecoupled(browser, "  ");
    expect(missing.status).toBe(400);
    expect(missing.body).toContain("Enter your user ID at the bank");
    expect(missing.body).toContain('aria-invalid="true"');
    const unknown = await startDecoupled(browser, "nobody-at-this-bank");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("The bank does not know this user ID");
    expect(unknown.body).toContain('value="nobody-at-this-bank"');
    expect(await connectionsOf(organisation.id)).toEqual([]);
  });

  it("shows the waiting page in German with de-DE times", async () => {
    const customer = await createBankCustomer(bank);
    const m = await createMember(books);
    const browser = testBrowser(books.app, { acceptLanguage: "de-DE" });
    await browser.login(m.user.email, m.user.password);
    await browser.get("/accounts/connect");
    const started = await browser.post("/accounts/connect", {
      bankId: "kontor-sandbox",
      approach: "DECOUPLED",
      psuId: customer.login,
    });
    const page = await browser.get(started.location ?? "");
    expect(page.body).toContain("In der Banking-App freigeben");
    expect(page.body).toContain("Erneut prüfen");
    expect(page.body).toMatch(/Wartet seit \d{2}\.\d{2}\.\d{4}/);
  });
});

describe("expired connect flows", () => {
  it("refuses the callback of a flow older than 30 minutes, ends its consent and lets the user start again", async () => {
    const customer = await createBankCustomer(bank);
    const { organisation, browser } = await member();
    await browser.get("/accounts/connect");
    const started = await browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    const [connection] = await connectionsOf(organisation.id);
    books.clock.advance(FLOW_TTL_MS + 1000);
    try {
      const back = await completeBankSca(started.location ?? "", customer);
      const callback = await browser.get(localPath(back));
      expect(callback.status).toBe(303);
      expect(callback.location).toBe("/accounts/connect?notice=expired");
      const page = await browser.get(callback.location ?? "");
      expect(page.body).toContain("took longer than 30 minutes and was ended. Nothing was added");
      expect(page.body).toContain('name="bankId" value="kontor-sandbox"');
      expect(await consentAtBank(connection?.consentId ?? "")).toBe("terminatedByTpp");
      expect(await connectionsOf(organisation.id)).toEqual([]);
      expect(await accountsOf(organisation.id)).toEqual([]);
      // The same link again: the flow is gone, and the answer is the same.
      expect((await browser.get(localPath(back))).location).toBe("/accounts/connect?notice=expired");
    } finally {
      books.clock.advance(-(FLOW_TTL_MS + 1000));
    }
  });

  it("removes another user's abandoned flow when a new one starts, without a scheduler", async () => {
    const abandoned = await member();
    await abandoned.browser.get("/accounts/connect");
    await abandoned.browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    const [left] = await connectionsOf(abandoned.organisation.id);
    expect(await flowsOf(abandoned.organisation.id)).toHaveLength(1);
    expect(await consentAtBank(left?.consentId ?? "")).toBe("received");

    books.clock.advance(FLOW_TTL_MS - 1000);
    const other = await member();
    await other.browser.get("/accounts/connect");
    await other.browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    // Not expired yet: kept.
    expect(await flowsOf(abandoned.organisation.id)).toHaveLength(1);

    books.clock.advance(2000);
    try {
      await other.browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
      expect(await flowsOf(abandoned.organisation.id)).toEqual([]);
      expect(await connectionsOf(abandoned.organisation.id)).toEqual([]);
      expect(await consentAtBank(left?.consentId ?? "")).toBe("terminatedByTpp");
      expect(await flowsOf(other.organisation.id)).toHaveLength(2);
    } finally {
      books.clock.advance(-(FLOW_TTL_MS + 1000));
    }
  });

  it("gives the IBAN chooser its own 30 minutes, then sends the user to start again", async () => {
    const customer = await createBankCustomer(bank);
    const { organisation, browser } = await member();
    await browser.get("/accounts/connect");
    const started = await browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    books.clock.advance(FLOW_TTL_MS - 60_000);
    try {
      const callback = await browser.get(localPath(await completeBankSca(started.location ?? "", customer)));
      const chooserUrl = callback.location ?? "";
      books.clock.advance(FLOW_TTL_MS - 60_000);
      expect((await browser.get(chooserUrl)).status).toBe(200);
      books.clock.advance(120_000);
      const late = await browser.get(chooserUrl);
      expect(late.location).toBe("/accounts/connect?notice=expired");
      const [connection] = await connectionsOf(organisation.id);
      expect(connection).toBeUndefined();
    } finally {
      books.clock.advance(-(2 * FLOW_TTL_MS));
    }
  });
});

describe("PSU-IP-Address behind a reverse proxy", () => {
  it("takes the socket's address and ignores X-Forwarded-For unless the proxy is trusted", async () => {
    const customer = await createBankCustomer(bank);
    await bookTransactions(bank, customer.accounts[0]?.id ?? "", { count: 1 });
    const m = await member();
    const [accountId = ""] = await connectThroughBooks(books, m.browser, customer);
    await drainJobs(books.deps);
    const forwarded = { "x-forwarded-for": "203.0.113.9, 198.51.100.7" };
    const syncedFrom = async (browser: TestBrowser) => {
      await browser.get("/accounts");
      const response = await browser.post("/accounts/sync", { account: [accountId] }, forwarded);
      const jobId = Number(/jobs=(\d+)/.exec(response.location ?? "")?.[1]);
      const job = await books.database.db
        .selectFrom("sync_jobs")
        .select("psu_ip_address")
        .where("id", "=", jobId)
        .executeTakeFirstOrThrow();
      await drainJobs(books.deps);
      return job.psu_ip_address;
    };
    // Default: the header is anyone's to write; the socket (127.0.0.1 in the test browser) counts.
    expect(await syncedFrom(m.browser)).toBe("127.0.0.1");

    const behindOne = testBrowser(books.appWith({ trustProxy: 1 }));
    await behindOne.login(m.user.email, m.user.password);
    expect(await syncedFrom(behindOne)).toBe("198.51.100.7");

    const behindTwo = testBrowser(books.appWith({ trustProxy: 2 }));
    await behindTwo.login(m.user.email, m.user.password);
    expect(await syncedFrom(behindTwo)).toBe("203.0.113.9");
  });

  it("falls back to the socket when the header is missing, too short or not an address", () => {
    expect(clientAddress(undefined, "10.0.0.1", 1)).toBe("10.0.0.1");
    expect(clientAddress("198.51.100.7", "10.0.0.1", 0)).toBe("10.0.0.1");
    expect(clientAddress("198.51.100.7", "10.0.0.1", 2)).toBe("10.0.0.1");
    expect(clientAddress("evil, not-an-ip", "10.0.0.1", 1)).toBe("10.0.0.1");
    expect(clientAddress("spoofed, 2001:db8::1", "10.0.0.1", 1)).toBe("2001:db8::1");
  });
});

describe("accounts under a new consent", () => {
  async function twoAccounts() {
    const customer = await createBankCustomer(bank, { accounts: 2 });
    for (const account of customer.accounts) await bookTransactions(bank, account.id, { count: 4 });
    const m = await member();
    await connectThroughBooks(books, m.browser, customer);
    await drainJobs(books.deps);
    return { customer, ...m };
  }

  /** "Connect new account" once more, granting only `grant` at the bank; returns the chooser page. */
  async function connectAgain(browser: TestBrowser, customer: BankCustomer, grant: string[]) {
    await browser.get("/accounts/connect");
    const started = await browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    const back = await completeBankSca(started.location ?? "", customer, { accountIds: grant });
    const callback = await browser.get(localPath(back));
    return { url: callback.location ?? "", page: await browser.get(callback.location ?? "") };
  }

  it("moves an IBAN already connected to the new consent with its history; the other stays on the old one", async () => {
    const { customer, organisation, browser } = await twoAccounts();
    const [a, b] = customer.accounts;
    if (!a || !b) throw new Error("two accounts expected");
    const before = await accountsOf(organisation.id);
    const [oldConnection] = await connectionsOf(organisation.id);
    const accountA = before.find((x) => x.iban === a.iban);

    const chooser = await connectAgain(browser, customer, [a.id]);
    expect(chooser.page.body).toContain("moves to this connection, its history stays");
    expect(chooser.page.body).not.toContain(`name="iban" value="${a.iban}"`);
    const done = await browser.post(chooser.url, {});
    expect(done.status).toBe(303);

    const after = await accountsOf(organisation.id);
    expect(after).toHaveLength(2);
    const connections = await connectionsOf(organisation.id);
    const newConnection = connections.find((c) => c.id !== oldConnection?.id);
    expect(after.find((x) => x.iban === a.iban)).toEqual({ ...accountA, connectionId: newConnection?.id });
    expect(after.find((x) => x.iban === b.iban)?.connectionId).toBe(oldConnection?.id);
    // B still has a valid consent; A is read through the new one and keeps its history.
    expect(connections.map((c) => c.status)).toEqual(["valid", "valid"]);
    expect(await transactionCount(accountA?.id ?? "")).toBe(4);
    await bookTransactions(bank, a.id, { count: 2 });
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 2 }]);
    expect(await transactionCount(accountA?.id ?? "")).toBe(6);

    // Once the old consent covers no active account, it is ended at the bank.
    const again = await connectAgain(browser, customer, [b.id]);
    await browser.post(again.url, {});
    const final = await connectionsOf(organisation.id);
    expect(final.find((c) => c.id === oldConnection?.id)?.status).toBe("disconnected");
    expect(await consentAtBank(oldConnection?.consentId ?? "")).toBe("terminatedByTpp");
    expect(await accountsOf(organisation.id)).toHaveLength(2);
    await drainJobs(books.deps);
  });

  it("after re-authentication, the accounts the new consent no longer covers are shown as needing it", async () => {
    const { customer, organisation, browser, user } = await twoAccounts();
    const [a, b] = customer.accounts;
    if (!a || !b) throw new Error("two accounts expected");
    const [oldConnection] = await connectionsOf(organisation.id);
    bank.deps.controls.set({ clockOffsetMs: 181 * DAY });
    books.clock.advance(181 * DAY);
    try {
      await browser.login(user.email, user.password);
      const accounts = await accountsOf(organisation.id);
      await browser.get("/accounts");
      await browser.post("/accounts/sync", { account: accounts.map((x) => x.id) });
      await drainJobs(books.deps);
      expect((await connectionsOf(organisation.id))[0]?.status).toBe("expired");

      const accountA = accounts.find((x) => x.iban === a.iban)?.id ?? "";
      const accountB = accounts.find((x) => x.iban === b.iban)?.id ?? "";
      const page = await browser.get(`/accounts/${accountA}`);
      const action = /action="(\/accounts\/connections\/[^"]+\/reauth)"/.exec(page.body)?.[1] ?? "";
      const started = await browser.post(action);
      const back = await completeBankSca(started.location ?? "", customer, { accountIds: [a.id] });
      expect((await browser.get(localPath(back))).location).toBe("/accounts");

      const after = await accountsOf(organisation.id);
      expect(after.find((x) => x.id === accountA)?.connectionId).not.toBe(oldConnection?.id);
      expect(after.find((x) => x.id === accountB)?.connectionId).toBe(oldConnection?.id);
      expect((await browser.get(`/accounts/${accountA}`)).body).not.toContain("/reauth");
      const pageB = await browser.get(`/accounts/${accountB}`);
      expect(pageB.body).toContain("Consent expired");
      expect(pageB.body).toContain("/reauth");
      expect(await transactionCount(accountA)).toBe(4);
      await drainJobs(books.deps);
    } finally {
      bank.deps.controls.set({});
      books.clock.advance(-181 * DAY);
    }
  });
});

describe("re-authentication by decoupled SCA (approve in the banking app)", () => {
  const PSU_MESSAGE = "Please confirm the request in your Kontor Sandbox Bank app.";

  /** A connected account with `count` transactions, its consent then asking for SCA again. */
  async function needingSca(count = 4) {
    const customer = await createBankCustomer(bank);
    const bankAccount = customer.accounts[0];
    if (!bankAccount) throw new Error("account expected");
    await bookTransactions(bank, bankAccount.id, { count });
    const m = await member();
    const [accountId = ""] = await connectThroughBooks(books, m.browser, customer);
    await drainJobs(books.deps);
    bank.deps.controls.set({ scaAgainRate: 1 });
    try {
      await m.browser.post("/accounts/sync", { account: [accountId] });
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "failed", code: "sca_required" }]);
    } finally {
      bank.deps.controls.set({});
    }
    const [connection] = await connectionsOf(m.organisation.id);
    expect(connection?.status).toBe("sca_required");
    // The connect's own flow, completed: re-authentication must leave no flow of its own behind.
    const flows = await flowsOf(m.organisation.id);
    return { ...m, customer, bankAccount, accountId, connection, flows };
  }

  /** The account page's re-authentication forms: both approaches, posted as the page has them. */
  async function reauthDecoupled(browser: TestBrowser, accountId: string, psuId: string) {
    const page = await browser.get(`/accounts/${accountId}`);
    const action = /action="(\/accounts\/connections\/[^"]+\/reauth)"/.exec(page.body)?.[1] ?? "";
    expect(page.body).toContain("Authenticate at the bank again");
    expect(page.body).toContain("Approve in your banking app");
    // Connected by redirect: no user id at the bank is known yet.
    expect(page.body).toMatch(/<input id="psuId-reauth-[0-9a-f-]+" name="psuId" value=""/);
    return browser.post(action, { accountId, approach: "DECOUPLED", psuId });
  }

  it("renews SCA on the same consent once the PSU approves in the app; the history stays and the sync goes on", async () => {
    const { customer, bankAccount, accountId, browser, organisation, connection } = await needingSca();
    const started = await reauthDecoupled(browser, accountId, customer.login);
    expect(started.status).toBe(303);
    const waitUrl = started.location ?? "";
    expect(waitUrl).toMatch(/^\/accounts\/connect\/[0-9a-f-]{36}\/wait$/);
    expect(await openBankingAppRequests(bank, customer.login)).toBe(1);

    // The waiting page of the connect flow, worded for re-authentication, with the bank's own message.
    const waiting = await browser.get(waitUrl);
    expect(waiting.body).toContain("goes back to your accounts by itself once you have approved");
    expect(waiting.body).not.toContain('aria-label="Steps"');
    expect(waiting.body).toContain("Message from Kontor Sandbox Bank:");
    expect(waiting.body).toContain(`<p data-psu-message-text>${PSU_MESSAGE}</p>`);
    expect(waiting.body).toContain('<meta http-equiv="refresh" content="5"');
    expect((await browser.get(waitUrl, { accept: "application/json" })).json()).toMatchObject({
      state: "waiting",
      psuMessage: PSU_MESSAGE,
    });

    await bookTransactions(bank, bankAccount.id, { count: 3 });
    await answerInBankingApp(bank, customer);
    expect((await browser.get(waitUrl, { accept: "application/json" })).json()).toEqual({
      state: "done",
      next: "/accounts",
    });
    const moved = await browser.get(waitUrl);
    expect(moved.status).toBe(303);
    expect(moved.location).toBe("/accounts");

    const [after] = await connectionsOf(organisation.id);
    expect(after).toEqual({ ...connection, status: "valid" });
    expect(await consentAtBank(after?.consentId ?? "")).toBe("valid");
    expect((await browser.get(`/accounts/${accountId}`)).body).not.toContain("/reauth");
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 3 }]);
    expect(await transactionCount(accountId)).toBe(7);
  });

  it("says nothing changed when the PSU rejects the request; the consent and the offer to re-authenticate stay", async () => {
    const { customer, accountId, browser, organisation, connection } = await needingSca();
    const started = await reauthDecoupled(browser, accountId, customer.login);
    await answerInBankingApp(bank, customer, { reject: true });

    const page = await browser.get(started.location ?? "");
    expect(page.status).toBe(200);
    expect(page.body).toContain("The request was rejected in the banking app");
    expect(page.body).toContain("Nothing changed: the account keeps its history");
    expect(page.body).toContain('href="/accounts">Back to accounts</a>');
    expect(page.body).not.toContain('href="/accounts/connect">Start again');
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect((await browser.get(started.location ?? "", { accept: "application/json" })).json()).toEqual({
      state: "failed",
      next: started.location,
    });
    expect(await connectionsOf(organisation.id)).toEqual([connection]);
    expect(await consentAtBank(connection?.consentId ?? "")).toBe("valid");
    expect(await transactionCount(accountId)).toBe(4);
    const again = (await browser.get(`/accounts/${accountId}`)).body;
    expect(again).toContain("/reauth");
    // The next attempt offers the user id the bank knew, instead of asking for it again.
    expect(again).toMatch(
      new RegExp(`<input id="psuId-reauth-[0-9a-f-]+" name="psuId" value="${customer.login}"`),
    );
  });

  it("times out after the flow's lifetime, leaving the connection as it was", async () => {
    const { customer, accountId, browser, organisation, connection, flows } = await needingSca();
    const started = await reauthDecoupled(browser, accountId, customer.login);
    books.clock.advance(FLOW_TTL_MS + 1000);
    try {
      const page = await browser.get(started.location ?? "");
      expect(page.body).toContain("was not approved within 30 minutes and has expired");
      expect(page.body).toContain("Nothing changed: the account keeps its history");
      expect(await flowsOf(organisation.id)).toEqual(flows);
      expect(await connectionsOf(organisation.id)).toEqual([connection]);
      expect(await consentAtBank(connection?.consentId ?? "")).toBe("valid");
      expect(await transactionCount(accountId)).toBe(4);
      expect((await browser.get(`/accounts/${accountId}`)).body).toContain("/reauth");
    } finally {
      books.clock.advance(-(FLOW_TTL_MS + 1000));
    }
  });

  it("asks again for a missing or unknown user id on the account page, starting nothing", async () => {
    const { accountId, browser, organisation, connection, flows } = await needingSca(1);
    const missing = await reauthDecoupled(browser, accountId, " ");
    expect(missing.status).toBe(400);
    expect(missing.body).toContain("Enter your user ID at the bank");
    expect(missing.body).toContain('aria-invalid="true"');
    const unknown = await reauthDecoupled(browser, accountId, "nobody-at-this-bank");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("The bank does not know this user ID");
    expect(unknown.body).toContain('value="nobody-at-this-bank"');
    expect(await flowsOf(organisation.id)).toEqual(flows);
    expect(await connectionsOf(organisation.id)).toEqual([connection]);
  });

  it("connects an expired consent anew by approval in the app; the account moves to it with its history", async () => {
    const customer = await createBankCustomer(bank);
    const bankAccount = customer.accounts[0];
    if (!bankAccount) throw new Error("account expected");
    await bookTransactions(bank, bankAccount.id, { count: 4 });
    const { organisation, browser, user } = await member();
    const [accountId = ""] = await connectThroughBooks(books, browser, customer);
    await drainJobs(books.deps);
    const [old] = await connectionsOf(organisation.id);
    bank.deps.controls.set({ clockOffsetMs: 181 * DAY });
    books.clock.advance(181 * DAY);
    try {
      await browser.login(user.email, user.password);
      await browser.get("/accounts");
      await browser.post("/accounts/sync", { account: [accountId] });
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "failed", code: "consent_expired" }]);

      const started = await reauthDecoupled(browser, accountId, customer.login);
      const waitUrl = started.location ?? "";
      expect((await browser.get(waitUrl)).body).toContain(PSU_MESSAGE);
      await bookTransactions(bank, bankAccount.id, { count: 2 });
      await answerInBankingApp(bank, customer);
      const done = await browser.get(waitUrl);
      expect(done.location).toBe("/accounts");

      const connections = await connectionsOf(organisation.id);
      const fresh = connections.find((c) => c.id !== old?.id);
      expect(fresh?.status).toBe("valid");
      expect(fresh?.consentId).not.toBe(old?.consentId);
      expect(await consentAtBank(fresh?.consentId ?? "")).toBe("valid");
      // The old connection keeps its state; no account is on it any more.
      expect(connections.find((c) => c.id === old?.id)?.status).toBe("expired");
      expect(await accountsOf(organisation.id)).toEqual([
        { id: accountId, iban: bankAccount.iban, connectionId: fresh?.id, status: "active" },
      ]);
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 2 }]);
      expect(await transactionCount(accountId)).toBe(6);
    } finally {
      bank.deps.controls.set({});
      books.clock.advance(-181 * DAY);
    }
  });
});
