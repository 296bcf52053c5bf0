/**
 * Books' tests against the real sandbox bank, in process on a real port, so the XS2A client speaks real
 * HTTP (faults such as dropped connections and truncated pages only exist on a socket). Nothing is mocked:
 * the connect flow posts the bank's own SCA forms, as a browser without JavaScript would.
 */
import { randomUUID } from "node:crypto";
import { startBank } from "@kontor/bank";
import { createCustomer } from "@kontor/bank/testing/harness";
import { loggedIn, overHttp } from "@kontor/bank/web/test-client";
import type { AccountChoice } from "./accounts/accounts.service.ts";
import { berlinDate } from "./calendar.ts";
import { drainJobs, type JobOutcome } from "./jobs/worker.ts";
import { createTestBooks, TEST_SECRET, type TestBooks, type TestBrowser, testConfig } from "./testing.ts";

export type RunningBank = Awaited<ReturnType<typeof startBank>>;

export const TEST_TPP = testConfig().tpp;

/** The sandbox bank with books' test TPP registered; one per test file. */
export async function startTestBank(): Promise<RunningBank> {
  return startBank({
    port: 0,
    log: () => {},
    seed: async (deps) => {
      const { registerTpp } = await import("@kontor/bank");
      await registerTpp(deps.db, { ...TEST_TPP, name: "Kontor Books (test)" });
    },
  });
}

/** Books whose clock starts at the bank's now and whose XS2A client retries fast. */
export function createBooksForBank(bank: RunningBank): Promise<TestBooks> {
  return createTestBooks({
    now: bank.deps.clock.now(),
    config: {
      bankBaseUrl: bank.url,
      xs2aClient: { timeoutMs: 3000, retries: 3, retryBaseDelayMs: 5, maxRetryDelayMs: 50 },
    },
  });
}

export interface BankCustomer {
  login: string;
  password: string;
  tan: string;
  accounts: Array<{ id: string; iban: string }>;
}

/** A PSU with `accounts` accounts (valid German IBANs) and every right on them: the bank's own harness. */
export async function createBankCustomer(
  bank: RunningBank,
  options: { accounts?: number } = {},
): Promise<BankCustomer> {
  return createCustomer(bank.deps.db, { accounts: options.accounts ?? 1, openingBalance: 100_000 });
}

/** Books `count` transactions a day apart ending `endDaysAgo` days before the bank's today; keeps the balance in step. */
export async function bookTransactions(
  bank: RunningBank,
  accountId: string,
  options: { count: number; endDaysAgo?: number; status?: "booked" | "pending"; amountMinor?: number },
): Promise<string[]> {
  const db = bank.deps.db;
  const today = berlinDate(bank.deps.clock.now());
  const ids: string[] = [];
  const rows = Array.from({ length: options.count }, (_, i) => {
    const day = new Date(`${today}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() - (options.endDaysAgo ?? 0) - (i % 80));
    const date = day.toISOString().slice(0, 10);
    const id = `T-${randomUUID()}`;
    ids.push(id);
    const amount = options.amountMinor ?? (i % 3 === 0 ? 12_345 + i : -(1_000 + i));
    return {
      account_id: accountId,
      transaction_id: id,
      status: options.status ?? ("booked" as const),
      booking_date: date,
      value_date: date,
      amount_minor: amount,
      currency: "EUR",
      counterparty_name: amount > 0 ? "Kunde AG" : "Lieferant GmbH",
      remittance: `RE-${i}`,
    };
  });
  if (rows.length > 0) await db.insertInto("transactions").values(rows).execute();
  const booked = rows.filter((r) => r.status === "booked").reduce((sum, r) => sum + r.amount_minor, 0);
  await db
    .updateTable("accounts")
    .set((eb) => ({ booked_balance_minor: eb("booked_balance_minor", "+", booked) }))
    .where("id", "=", accountId)
    .execute();
  return ids;
}

/** The bank's redirect SCA, posted as plain forms: login, then TAN (and the accounts to grant). */
export async function completeBankSca(
  scaUrl: string,
  customer: Pick<BankCustomer, "login" | "password" | "tan">,
  options: { accountIds?: string[]; cancel?: boolean } = {},
): Promise<string> {
  const page = await fetch(scaUrl);
  if (page.status !== 200) throw new Error(`SCA page answered ${page.status}`);
  if (options.cancel) {
    const cancelled = await fetch(scaUrl, {
      method: "POST",
      body: new URLSearchParams({ step: "cancel" }),
      redirect: "manual",
    });
    return cancelled.headers.get("location") ?? "";
  }
  const login = await fetch(scaUrl, {
    method: "POST",
    body: new URLSearchParams({ step: "login", login: customer.login, password: customer.password }),
  });
  const html = await login.text();
  const token = /name="step_token" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`bank login failed (${login.status})`);
  const offered = [...html.matchAll(/name="account" value="([^"]+)"/g)].map((m) => m[1] ?? "");
  const form = new URLSearchParams({ step: "confirm", step_token: token, tan: customer.tan });
  for (const id of options.accountIds ?? offered) form.append("account", id);
  const confirm = await fetch(scaUrl, { method: "POST", body: form, redirect: "manual" });
  const location = confirm.headers.get("location");
  if (confirm.status !== 303 || !location)
    throw new Error(`TAN step answered ${confirm.status}: ${await confirm.text()}`);
  return location;
}

/** A books URL the bank redirected to, as a path for the test browser. */
export function localPath(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/**
 * The whole connect flow through books' HTTP routes and the bank's SCA pages: search → Connect → bank login
 * and TAN → callback → choose IBANs with names and start dates. Returns the new account ids.
 */
export async function connectThroughBooks(
  books: TestBooks,
  browser: TestBrowser,
  customer: BankCustomer,
  options: { choose?: (iban: string) => Partial<AccountChoice> | null } = {},
): Promise<string[]> {
  await browser.get("/accounts/connect?q=sandbox");
  const started = await browser.post("/accounts/connect", { bankId: "kontor-sandbox" });
  if (started.status !== 303 || !started.location)
    throw new Error(`connect answered ${started.status}: ${started.body}`);
  const back = await completeBankSca(started.location, customer);
  const callback = await browser.get(localPath(back));
  if (callback.status !== 303 || !callback.location)
    throw new Error(`callback answered ${callback.status}: ${callback.body}`);
  const chooser = await browser.get(callback.location);
  if (chooser.status !== 200) throw new Error(`chooser answered ${chooser.status}`);
  const form: Record<string, string> = {};
  const fields = new URLSearchParams();
  const ibans = [...chooser.body.matchAll(/name="iban" value="([A-Z0-9]+)"/g)].map((m) => m[1] ?? "");
  for (const iban of ibans) {
    const choice = options.choose ? options.choose(iban) : {};
    if (choice === null) continue;
    fields.append("iban", iban);
    const defaultName = `name="name_${iban}"[^>]*?value="([^"]*)"`;
    const defaultDate = `name="importFrom_${iban}"[^>]*?value="([^"]*)"`;
    form[`name_${iban}`] = choice.name ?? new RegExp(defaultName).exec(chooser.body)?.[1] ?? iban;
    form[`importFrom_${iban}`] = choice.importFrom ?? new RegExp(defaultDate).exec(chooser.body)?.[1] ?? "";
  }
  const action = callback.location;
  const body: Record<string, string | string[]> = { ...form, iban: fields.getAll("iban") };
  const done = await browser.post(action, body);
  if (done.status !== 303) throw new Error(`choosing accounts answered ${done.status}: ${done.body}`);
  const accounts = await books.database.db
    .selectFrom("bank_accounts")
    .select("id")
    .where("iban", "in", ibans.length > 0 ? ibans : [""])
    .execute();
  return accounts.map((a) => a.id);
}

/**
 * Runs the worker until no sync is queued or running, moving books' clock past retry waits and lost
 * heartbeats (at most `rounds` times).
 */
export async function syncUntilSettled(books: TestBooks, rounds = 20): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = [];
  for (let i = 0; i < rounds; i++) {
    outcomes.push(...(await drainJobs(books.deps)));
    const waiting = await books.database.db
      .selectFrom("sync_jobs")
      .select("id")
      .where("status", "in", ["queued", "running"])
      .execute();
    if (waiting.length === 0) return outcomes;
    books.clock.advance(10 * 60_000);
  }
  throw new Error("sync jobs did not settle");
}

export { TEST_SECRET };

/**
 * The PSU's side of decoupled SCA over the bank's real HTTP: log in to the bank's web pages, open the
 * "Banking-App" inbox, and approve the first open request with the TAN (choosing `accountIds`, default all
 * offered) or reject it. Plain form posts with the pages' CSRF tokens, as a browser without JavaScript.
 */
export async function answerInBankingApp(
  bank: RunningBank,
  customer: Pick<BankCustomer, "login" | "password" | "tan">,
  options: { reject?: boolean; accountIds?: string[] } = {},
): Promise<void> {
  const client = await loggedIn(overHttp(bank.url), customer);
  const inbox = await (await client.get("/app")).text();
  const verb = options.reject ? "reject" : "approve";
  const action = new RegExp(`(?:form)?action="(/app/requests/[^"]+/${verb})"`).exec(inbox)?.[1];
  if (!action) throw new Error("no open request in the banking app");
  const offered = [...inbox.matchAll(/name="account" value="([^"]+)"/g)].map((m) => m[1] ?? "");
  const answer = await client.post(
    action,
    options.reject ? {} : { tan: customer.tan, account: options.accountIds ?? offered },
  );
  if (answer.status !== 303) throw new Error(`banking app answered ${answer.status}: ${await answer.text()}`);
}

/** Open requests in the PSU's banking app, as the bank lists them. */
export async function openBankingAppRequests(bank: RunningBank, login: string): Promise<number> {
  const { listApprovalRequests } = await import("@kontor/bank/banking-app/approvals.service");
  const psu = await bank.deps.db
    .selectFrom("psus")
    .select("id")
    .where("login", "=", login)
    .executeTakeFirstOrThrow();
  return (await listApprovalRequests(bank.deps, psu.id)).length;
}
