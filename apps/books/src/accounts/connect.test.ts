import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, berlinDate } from "../calendar.ts";
import { drainJobs, scheduleDueSyncs } from "../jobs/worker.ts";
import { consentContext } from "../sync/sync.service.ts";
import { createMember, type TestBooks, type TestBrowser, testBrowser } from "../testing.ts";
import {
  type BankCustomer,
  bookTransactions,
  completeBankSca,
  connectThroughBooks,
  createBankCustomer,
  createBooksForBank,
  localPath,
  type RunningBank,
  startTestBank,
} from "../testing-bank.ts";

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

async function connected(options: { transactions?: number } = {}) {
  const customer = await createBankCustomer(bank);
  const bankAccount = customer.accounts[0];
  if (!bankAccount) throw new Error("account expected");
  await bookTransactions(bank, bankAccount.id, { count: options.transactions ?? 20 });
  const member = await createMember(books);
  const browser = testBrowser(books.app);
  await browser.login(member.user.email, member.user.password);
  const [accountId = ""] = await connectThroughBooks(books, browser, customer);
  await drainJobs(books.deps);
  return { customer, bankAccount, member, browser, accountId };
}

async function connection(accountId: string) {
  return books.database.db
    .selectFrom("bank_accounts")
    .innerJoin("bank_connections", "bank_connections.id", "bank_accounts.connection_id")
    .select([
      "bank_connections.id",
      "bank_connections.status",
      "bank_connections.consent_id_sealed",
      "bank_connections.organisation_id",
      "bank_accounts.status as accountStatus",
    ])
    .where("bank_accounts.id", "=", accountId)
    .executeTakeFirstOrThrow();
}

async function consentIdOf(accountId: string): Promise<string> {
  const c = await connection(accountId);
  return books.deps.secretBox.open(c.consent_id_sealed ?? "", consentContext(c.organisation_id, c.id));
}

async function transactionCount(accountId: string): Promise<number> {
  const row = await books.database.db
    .selectFrom("bank_transactions")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("bank_account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function reauthenticate(browser: TestBrowser, accountId: string, customer: BankCustomer) {
  const page = await browser.get(`/accounts/${accountId}`);
  const action = /action="(\/accounts\/connections\/[^"]+\/reauth)"/.exec(page.body)?.[1];
  if (!action) throw new Error("no re-authentication button");
  const started = await browser.post(action);
  expect(started.status).toBe(303);
  const back = await completeBankSca(started.location ?? "", customer);
  return browser.get(localPath(back));
}

describe("the consent lifecycle", () => {
  it("stores the consent id only sealed, and the bank's consent is the one books holds", async () => {
    const { accountId } = await connected();
    const c = await connection(accountId);
    const consentId = await consentIdOf(accountId);
    expect(c.consent_id_sealed).not.toContain(consentId);
    const atBank = await bank.deps.db
      .selectFrom("consents")
      .select("status")
      .where("id", "=", consentId)
      .executeTakeFirstOrThrow();
    expect(atBank.status).toBe("valid");
  });

  it("when the bank asks for SCA again, shows it and one click re-authorises the same consent; history stays", async () => {
    const { customer, accountId, browser, bankAccount } = await connected();
    const before = await consentIdOf(accountId);
    bank.deps.controls.set({ scaAgainRate: 1 });
    try {
      await browser.post("/accounts/sync", { account: [accountId] });
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "failed", code: "sca_required" }]);
    } finally {
      bank.deps.controls.set({});
    }
    expect((await connection(accountId)).status).toBe("sca_required");
    const page = await browser.get(`/accounts/${accountId}`);
    expect(page.body).toContain("Authentication needed");

    await bookTransactions(bank, bankAccount.id, { count: 3 });
    const callback = await reauthenticate(browser, accountId, customer);
    expect(callback.status).toBe(303);
    expect(await consentIdOf(accountId)).toBe(before);
    expect((await connection(accountId)).status).toBe("valid");
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 3 }]);
    expect(await transactionCount(accountId)).toBe(23);
  });

  it("when the consent expires, a new consent re-links the same IBAN and keeps its history", async () => {
    const { customer, accountId, browser, bankAccount, member } = await connected();
    const before = await consentIdOf(accountId);
    // 181 days on, at the bank and in books.
    bank.deps.controls.set({ clockOffsetMs: 181 * DAY });
    books.clock.advance(181 * DAY);
    try {
      // The session ended long ago.
      await browser.login(member.user.email, member.user.password);
      await browser.get("/accounts");
      await browser.post("/accounts/sync", { account: [accountId] });
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "failed", code: "consent_expired" }]);
      expect((await connection(accountId)).status).toBe("expired");
      expect((await browser.get(`/accounts/${accountId}`)).body).toContain("Consent expired");

      await bookTransactions(bank, bankAccount.id, { count: 2 });
      const callback = await reauthenticate(browser, accountId, customer);
      expect(callback.status).toBe(303);
      const after = await consentIdOf(accountId);
      expect(after).not.toBe(before);
      expect((await connection(accountId)).status).toBe("valid");
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 2 }]);
      expect(await transactionCount(accountId)).toBe(22);
    } finally {
      bank.deps.controls.set({});
      books.clock.advance(-181 * DAY);
    }
  });

  it("notices a consent revoked at the bank and connects again with a new consent", async () => {
    const { customer, accountId, browser } = await connected();
    const consentId = await consentIdOf(accountId);
    const { revokeByPsu } = await import("@kontor/bank/consents/consents.service");
    const psu = await bank.deps.db
      .selectFrom("psus")
      .select("id")
      .where("login", "=", customer.login)
      .executeTakeFirstOrThrow();
    await revokeByPsu(bank.deps, psu.id, consentId);

    await browser.post("/accounts/sync", { account: [accountId] });
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "failed", code: "consent_revoked" }]);
    expect((await connection(accountId)).status).toBe("revoked");
    const audit = await books.database.db
      .selectFrom("audit_log")
      .select(["action", "actor_label"])
      .where("action", "=", "bank.consent_changed")
      .where("subject", "=", (await connection(accountId)).id)
      .execute();
    expect(audit).toEqual([{ action: "bank.consent_changed", actor_label: "system" }]);

    await reauthenticate(browser, accountId, customer);
    expect((await connection(accountId)).status).toBe("valid");
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 0 }]);
    expect(await transactionCount(accountId)).toBe(20);
  });

  it("disconnect ends the consent at the bank and keeps the history; delete removes both after typed confirmation", async () => {
    const { accountId, browser } = await connected();
    const consentId = await consentIdOf(accountId);
    expect((await browser.get(`/accounts/${accountId}/disconnect`)).status).toBe(200);
    const disconnected = await browser.post(`/accounts/${accountId}/disconnect`);
    expect(disconnected.location).toBe("/accounts?notice=disconnected");
    const atBank = await bank.deps.db
      .selectFrom("consents")
      .select("status")
      .where("id", "=", consentId)
      .executeTakeFirstOrThrow();
    expect(atBank.status).toBe("terminatedByTpp");
    expect((await connection(accountId)).accountStatus).toBe("disconnected");
    expect(await transactionCount(accountId)).toBe(20);

    const warning = await browser.get(`/accounts/${accountId}/delete`);
    expect(warning.body).toContain("all 20 imported transactions");
    const wrong = await browser.post(`/accounts/${accountId}/delete`, { confirmation: "something else" });
    expect(wrong.status).toBe(400);
    expect(await transactionCount(accountId)).toBe(20);
    const name = /Type the account name “([^”]+)”/.exec(warning.body)?.[1] ?? "";
    const deleted = await browser.post(`/accounts/${accountId}/delete`, { confirmation: name });
    expect(deleted.location).toBe("/accounts?notice=deleted");
    expect(await transactionCount(accountId)).toBe(0);
    const actions = await books.database.db
      .selectFrom("audit_log")
      .select("action")
      .where("subject", "=", accountId)
      .orderBy("id")
      .execute();
    expect(actions.map((a) => a.action)).toEqual([
      "bank.connected",
      "bank.disconnected",
      "bank.account_deleted",
    ]);
  });

  it("keeps scheduled syncs inside the consent's unattended reads per day", async () => {
    const { accountId, bankAccount } = await connected();
    const consentId = await consentIdOf(accountId);
    // Over-eager: every hour the account is due again; books' own budget must stop at frequencyPerDay.
    // Both clocks move to the next noon, so that the eight attempts fall on one day at books and at the bank.
    books.clock.set(new Date(`${addDays(berlinDate(books.clock.now()), 1)}T11:00:00Z`));
    bank.deps.controls.set({
      ...bank.deps.controls.get(),
      clockOffsetMs: books.clock.now().getTime() - Date.now(),
    });
    const outcomes = [];
    for (let hour = 0; hour < 8; hour++) {
      await books.database.db
        .updateTable("bank_accounts")
        .set({ next_sync_at: books.clock.now() })
        .where("id", "=", accountId)
        .execute();
      await scheduleDueSyncs(books.deps);
      outcomes.push(...(await drainJobs(books.deps)));
      books.clock.advance(60_000);
      bank.deps.controls.set({
        ...bank.deps.controls.get(),
        clockOffsetMs: books.clock.now().getTime() - Date.now(),
      });
    }
    // Moving the clock a day makes other tests' accounts due too; judge this account's jobs only.
    const ours = new Set(
      (
        await books.database.db
          .selectFrom("sync_jobs")
          .select("id")
          .where("bank_account_id", "=", accountId)
          .execute()
      ).map((j) => j.id),
    );
    const outcomesOfAccount = outcomes.filter((o) => ours.has(o.jobId));
    expect(outcomesOfAccount.filter((o) => o.status === "succeeded")).toHaveLength(4);
    expect(
      outcomesOfAccount
        .filter((o) => o.status === "failed")
        .every((o) => o.status === "failed" && o.code === "access_exceeded"),
    ).toBe(true);
    const usage = await bank.deps.db
      .selectFrom("consent_usage")
      .select(["resource", "count"])
      .where("consent_id", "=", consentId)
      .where("resource", "=", `${bankAccount.id}:transactions`)
      .execute();
    expect(usage.map((u) => u.count)).toEqual([4]);
    bank.deps.controls.set({ ...bank.deps.controls.get(), clockOffsetMs: 0 });
  });
});

describe("permissions and organisations", () => {
  it("refuses connect, sync, disconnect and delete to a member without Financial Accounting", async () => {
    const { member, accountId } = await connected();
    const viewer = await createMember(books, { role: "viewer", organisation: member.organisation });
    const browser = testBrowser(books.app);
    await browser.login(viewer.user.email, viewer.user.password);
    expect((await browser.get(`/accounts/${accountId}`)).status).toBe(200);
    expect((await browser.get("/accounts/connect")).status).toBe(403);
    expect((await browser.post("/accounts/connect", { bankId: "kontor-sandbox" })).status).toBe(403);
    const refused = await browser.post(
      "/accounts/sync",
      { account: [accountId] },
      { accept: "application/json" },
    );
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ error: { code: "permission_required" } });
    expect((await browser.post(`/accounts/${accountId}/disconnect`)).status).toBe(403);
    expect((await browser.post(`/accounts/${accountId}/delete`, { confirmation: "x" })).status).toBe(403);
    expect((await connection(accountId)).accountStatus).toBe("active");
  });

  it("never shows one organisation another's accounts, transactions or sync jobs", async () => {
    const { accountId, browser: owner } = await connected();
    const jobs = await books.database.db
      .selectFrom("sync_jobs")
      .select("id")
      .where("bank_account_id", "=", accountId)
      .execute();
    const stranger = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(stranger.user.email, stranger.user.password);
    expect((await browser.get(`/accounts/${accountId}`)).status).toBe(404);
    expect((await browser.get(`/accounts/${accountId}/delete`)).status).toBe(404);
    expect((await browser.post("/accounts/sync", { account: [accountId] })).status).toBe(404);
    const status = await browser.get(`/accounts/sync/status.json?jobs=${jobs.map((j) => j.id).join(",")}`, {
      accept: "application/json",
    });
    expect(status.json()).toMatchObject({ jobs: [] });
    expect((await browser.get("/accounts")).body).not.toContain(accountId);
    expect((await owner.get("/accounts")).body).toContain(accountId);
  });

  it("refuses a callback whose state was issued to another session", async () => {
    const customer = await createBankCustomer(bank);
    const member = await createMember(books);
    const victim = testBrowser(books.app);
    await victim.login(member.user.email, member.user.password);
    const attacker = await createMember(books);
    const attackerBrowser = testBrowser(books.app);
    await attackerBrowser.login(attacker.user.email, attacker.user.password);
    await attackerBrowser.get("/accounts/connect");
    const started = await attackerBrowser.post("/accounts/connect", { bankId: "kontor-sandbox" });
    const back = await completeBankSca(started.location ?? "", customer);
    const planted = await victim.get(localPath(back));
    expect(planted.status).toBe(403);
    const accounts = await books.database.db
      .selectFrom("bank_accounts")
      .select("id")
      .where("organisation_id", "=", member.organisation.id)
      .execute();
    expect(accounts).toEqual([]);
  });
});
