import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { berlinDate } from "../calendar.ts";
import { recordProgress } from "../jobs/jobs.repository.ts";
import { HEARTBEAT_SECONDS, RETRY_LIMIT, SYNC_QUEUE } from "../jobs/queue.ts";
import { claimSyncJob, drainJobs } from "../jobs/worker.ts";
import { createMember, createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import {
  bookTransactions,
  connectThroughBooks,
  createBankCustomer,
  createBooksForBank,
  type RunningBank,
  startTestBank,
  syncUntilSettled,
} from "../testing-bank.ts";
import { syncAccount } from "./sync.service.ts";

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

async function bookedIds(accountId: string): Promise<string[]> {
  const rows = await books.database.db
    .selectFrom("bank_transactions")
    .select("external_id")
    .where("bank_account_id", "=", accountId)
    .execute();
  return rows.map((r) => r.external_id).sort();
}

describe("connecting and syncing against the sandbox bank", () => {
  it("connects two accounts through the bank's SCA pages and imports every booked transaction once", async () => {
    const customer = await createBankCustomer(bank, { accounts: 2 });
    const [first, second] = customer.accounts;
    if (!first || !second) throw new Error("two accounts expected");
    const firstIds = await bookTransactions(bank, first.id, { count: 250 });
    const secondIds = await bookTransactions(bank, second.id, { count: 30 });
    await bookTransactions(bank, first.id, { count: 2, status: "pending" });

    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const accountIds = await connectThroughBooks(books, browser, customer);
    expect(accountIds).toHaveLength(2);

    const outcomes = await drainJobs(books.deps);
    expect(outcomes.map((o) => o.status)).toEqual(["succeeded", "succeeded"]);

    const rows = await books.database.db
      .selectFrom("bank_accounts")
      .selectAll()
      .where("organisation_id", "=", member.organisation.id)
      .orderBy("name")
      .execute();
    const byIban = new Map(rows.map((r) => [r.iban, r]));
    const a = byIban.get(first.iban);
    const b = byIban.get(second.iban);
    expect(await bookedIds(a?.id ?? "")).toEqual(firstIds.map((id) => `id:${id}`).sort());
    expect(await bookedIds(b?.id ?? "")).toEqual(secondIds.map((id) => `id:${id}`).sort());
    const bankBalance = await bank.deps.db
      .selectFrom("accounts")
      .select("booked_balance_minor")
      .where("id", "=", first.id)
      .executeTakeFirstOrThrow();
    expect(a?.booked_balance_minor).toBe(bankBalance.booked_balance_minor);
    expect(a?.opening_balance_minor).toBe(100_000);
    const pending = await books.database.db
      .selectFrom("bank_pending_transactions")
      .selectAll()
      .where("bank_account_id", "=", a?.id ?? "")
      .execute();
    expect(pending).toHaveLength(2);

    // Re-sync: the overlap window is read again and nothing new is stored.
    const again = await browser.post("/accounts/sync", { account: accountIds });
    expect(again.status).toBe(303);
    const resync = await drainJobs(books.deps);
    expect(resync).toMatchObject([
      { status: "succeeded", imported: 0 },
      { status: "succeeded", imported: 0 },
    ]);
    expect(await bookedIds(a?.id ?? "")).toHaveLength(250);

    const page = await browser.get(`/accounts/${a?.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain("<svg");
    expect(page.body).toContain("Lieferant GmbH");
    const gaps = await books.database.db.selectFrom("balance_gaps").selectAll().execute();
    expect(gaps).toEqual([]);
  });

  it("keeps a pending hold entered before the re-read window while the bank still holds it", async () => {
    const customer = await createBankCustomer(bank);
    const [account] = customer.accounts;
    if (!account) throw new Error("an account expected");
    await bookTransactions(bank, account.id, { count: 3 });
    await bookTransactions(bank, account.id, { count: 1, status: "pending", endDaysAgo: 12 });
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const accountIds = await connectThroughBooks(books, browser, customer);
    await drainJobs(books.deps);
    const held = () =>
      books.database.db
        .selectFrom("bank_pending_transactions")
        .select("value_date")
        .where("bank_account_id", "=", accountIds[0] ?? "")
        .execute();
    expect(await held()).toHaveLength(1);
    // The re-sync reads from three days before the last booking; the bank filters pending entries by entry
    // date, so without reaching back to the hold it would come back without it.
    await browser.post("/accounts/sync", { account: accountIds });
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 0 }]);
    expect(await held()).toHaveLength(1);
    // Once the bank no longer holds it, the next sync drops it.
    await bank.deps.db
      .deleteFrom("transactions")
      .where("account_id", "=", account.id)
      .where("status", "=", "pending")
      .execute();
    await browser.post("/accounts/sync", { account: accountIds });
    await drainJobs(books.deps);
    expect(await held()).toHaveLength(0);
  });

  it("imports every booked transaction exactly once with 5xx, 429, dropped and truncated responses, and a worker killed mid-sync", async () => {
    const customer = await createBankCustomer(bank);
    const account = customer.accounts[0];
    if (!account) throw new Error("account expected");
    const ids = await bookTransactions(bank, account.id, { count: 400 });
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const [accountId = ""] = await connectThroughBooks(books, browser, customer);

    bank.deps.controls.set({
      pageSize: 25,
      errorRate: 0.15,
      throttleRate: 0.1,
      retryAfterSeconds: 0,
      dropRate: 0.05,
      truncateRate: 0.15,
      seed: 42,
    });
    try {
      // Killed: the worker dies after the third page without any chance to clean up (no catch, no
      // settle); its pg-boss job stays active until its heartbeat (renewed per page) runs out and pg-boss
      // hands it to another worker.
      const job = await claimSyncJob(books.deps);
      if (!job) throw new Error("a queued job expected");
      const killed = await syncAccount(books.deps, job, {
        afterPage: (page) => {
          // A slow sync: its heartbeat, renewed with the pages, keeps the job its own past HEARTBEAT_SECONDS.
          books.clock.advance(2 * 60_000);
          if (page === 3) throw new Error("worker killed");
        },
      }).catch((error: unknown) => error);
      expect(killed).toBeInstanceOf(Error);
      // Its heartbeat is fresh (from page 3, six minutes after it started): nobody takes the job over yet.
      expect(await drainJobs(books.deps)).toEqual([]);
      const partial = await bookedIds(accountId);
      expect(partial.length).toBeLessThan(400);
      books.clock.advance((HEARTBEAT_SECONDS + 60) * 1000);
      await syncUntilSettled(books);
      // The dead worker, were it only slow, could not write progress now: the run is another attempt's.
      const stale = await books.database.db
        .transaction()
        .execute((trx) =>
          recordProgress(
            books.deps.jobs,
            trx,
            job,
            { progress: 1, pages: 4, seen: 0, imported: 0, dateFrom: "" },
            books.clock.now(),
          ),
        );
      expect(stale).toBe(false);
    } finally {
      bank.deps.controls.set({});
    }
    expect(await bookedIds(accountId)).toEqual(ids.map((id) => `id:${id}`).sort());
    const job = await books.database.db
      .selectFrom("sync_jobs")
      .select(["status", "attempts"])
      .where("bank_account_id", "=", accountId)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(job.status).toBe("succeeded");
    expect(job.attempts).toBeGreaterThan(1);
    const gaps = await books.database.db
      .selectFrom("balance_gaps")
      .selectAll()
      .where("bank_account_id", "=", accountId)
      .execute();
    expect(gaps).toEqual([]);
  });

  it("shows a balance gap when a late booking falls before the overlap window, and closes it on the next sync", async () => {
    const customer = await createBankCustomer(bank);
    const account = customer.accounts[0];
    if (!account) throw new Error("account expected");
    await bookTransactions(bank, account.id, { count: 5, endDaysAgo: 0 });
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const [accountId = ""] = await connectThroughBooks(books, browser, customer);
    await drainJobs(books.deps);

    // Booked today with a booking date 40 days back: outside the overlap window (OVERLAP_DAYS).
    await bookTransactions(bank, account.id, { count: 1, endDaysAgo: 40, amountMinor: -777 });
    await browser.post("/accounts/sync", { account: [accountId] });
    await drainJobs(books.deps);
    const gap = await books.database.db
      .selectFrom("balance_gaps")
      .selectAll()
      .where("bank_account_id", "=", accountId)
      .executeTakeFirstOrThrow();
    expect(gap).toMatchObject({
      difference_minor: -777,
      closed_at: null,
      period_to: berlinDate(bank.deps.clock.now()),
    });
    const page = await browser.get(`/accounts/${accountId}`);
    expect(page.body).toContain("differs from the imported transactions by");

    await browser.post("/accounts/sync", { account: [accountId] });
    await drainJobs(books.deps);
    const closed = await books.database.db
      .selectFrom("balance_gaps")
      .select("closed_at")
      .where("id", "=", gap.id)
      .executeTakeFirstOrThrow();
    expect(closed.closed_at).not.toBeNull();
    expect((await bookedIds(accountId)).length).toBe(6);
  });

  it("marks a sync failed when its worker is lost on every attempt, and lets the account sync again", async () => {
    const customer = await createBankCustomer(bank);
    const account = customer.accounts[0];
    if (!account) throw new Error("account expected");
    await bookTransactions(bank, account.id, { count: 3 });
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const [accountId = ""] = await connectThroughBooks(books, browser, customer);

    // Each attempt's worker dies as soon as it holds the job: no heartbeat, no settle.
    const first = await claimSyncJob(books.deps);
    expect(first).toMatchObject({ bankAccountId: accountId, attempts: 1 });
    for (let attempt = 2; attempt <= RETRY_LIMIT + 1; attempt++) {
      books.clock.advance((HEARTBEAT_SECONDS + 60) * 1000);
      await books.deps.jobs.syncClock();
      await books.deps.jobs.boss.supervise(SYNC_QUEUE);
      // Not before pg-boss's backoff has passed.
      expect(await claimSyncJob(books.deps)).toBeUndefined();
      books.clock.advance(10 * 60_000);
      expect(await claimSyncJob(books.deps)).toMatchObject({ bankAccountId: accountId, attempts: attempt });
    }
    books.clock.advance((HEARTBEAT_SECONDS + 60) * 1000);
    expect(await drainJobs(books.deps)).toEqual([]);
    const lost = await books.database.db
      .selectFrom("sync_jobs")
      .select(["status", "error_code", "attempts"])
      .where("bank_account_id", "=", accountId)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(lost).toEqual({ status: "failed", error_code: "worker_lost", attempts: RETRY_LIMIT + 1 });

    await browser.post("/accounts/sync", { account: [accountId] });
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 3 }]);
  });

  it("stores nothing of a page that breaks the XS2A schema, fails the sync as a bad response, and imports it once it is right", async () => {
    // The page is validated while its rows are being written (TransactionPage.validate): a bank whose second
    // page has a malformed amount gets the first page stored and nothing of the second.
    let corrupt = true;
    const corrupting: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const url = String(input instanceof Request ? input.url : input);
      if (!corrupt || !url.includes("page=") || response.status !== 200) return response;
      const body = (await response.json()) as { transactions: { booked: Array<Record<string, unknown>> } };
      body.transactions.booked[3] = {
        ...body.transactions.booked[3],
        transactionAmount: { currency: "EUR", amount: "2,00" },
      };
      return new Response(JSON.stringify(body), { status: 200, headers: response.headers });
    };
    const strict = await createTestBooks({
      now: bank.deps.clock.now(),
      config: {
        bankBaseUrl: bank.url,
        xs2aClient: {
          timeoutMs: 3000,
          retries: 1,
          retryBaseDelayMs: 5,
          maxRetryDelayMs: 50,
          fetch: corrupting,
        },
      },
    });
    bank.deps.controls.set({ pageSize: 25 });
    try {
      const customer = await createBankCustomer(bank);
      const account = customer.accounts[0];
      if (!account) throw new Error("account expected");
      const ids = await bookTransactions(bank, account.id, { count: 60 });
      const member = await createMember(strict);
      const browser = testBrowser(strict.app);
      await browser.login(member.user.email, member.user.password);
      const [accountId = ""] = await connectThroughBooks(strict, browser, customer);

      expect(await drainJobs(strict.deps)).toMatchObject([{ status: "failed", code: "bad_response" }]);
      const stored = await strict.database.db
        .selectFrom("bank_transactions")
        .select(["external_id", "amount_minor"])
        .where("bank_account_id", "=", accountId)
        .execute();
      expect(stored).toHaveLength(25);
      const run = await strict.database.db
        .selectFrom("sync_jobs")
        .select(["status", "error_code", "error_message"])
        .where("bank_account_id", "=", accountId)
        .executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: "failed", error_code: "bad_response" });
      expect(run.error_message).toMatch(/does not match the XS2A schema/);

      corrupt = false;
      expect((await browser.post("/accounts/sync", { account: [accountId] })).status).toBe(303);
      expect(await drainJobs(strict.deps)).toMatchObject([{ status: "succeeded", imported: 35 }]);
      const all = await strict.database.db
        .selectFrom("bank_transactions")
        .select("external_id")
        .where("bank_account_id", "=", accountId)
        .execute();
      expect(all.map((r) => r.external_id).sort()).toEqual(ids.map((id) => `id:${id}`).sort());
    } finally {
      bank.deps.controls.set({});
      await strict.close();
    }
  });

  it("waits as long as the bank's Retry-After asks before retrying a throttled sync, not just pg-boss's backoff", async () => {
    const customer = await createBankCustomer(bank);
    const account = customer.accounts[0];
    if (!account) throw new Error("account expected");
    const ids = await bookTransactions(bank, account.id, { count: 12 });
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const [accountId = ""] = await connectThroughBooks(books, browser, customer);

    // 15 minutes: far beyond the client's own waiting (50 ms here) and pg-boss's first backoff (30–60 s).
    bank.deps.controls.set({ throttleRate: 1, retryAfterSeconds: 900 });
    try {
      expect(await drainJobs(books.deps)).toMatchObject([{ status: "retrying", code: "unavailable" }]);
    } finally {
      bank.deps.controls.set({});
    }
    books.clock.advance(5 * 60_000);
    expect(await drainJobs(books.deps)).toEqual([]);
    books.clock.advance(11 * 60_000);
    expect(await drainJobs(books.deps)).toMatchObject([{ status: "succeeded", imported: 12 }]);
    expect(await bookedIds(accountId)).toEqual(ids.map((id) => `id:${id}`).sort());
  });
});
