import { randomUUID } from "node:crypto";
import type { Database } from "@kontor/db";
import { createTestDatabase } from "@kontor/db/testing";
import { ibanFromBban } from "@kontor/money";
import { createContractValidator } from "@kontor/xs2a/contract";
import type { Kysely } from "kysely";
import { createApp } from "../app.ts";
import type { Clock } from "../clock.ts";
import { migrations } from "../db/migrations.ts";
import type { BankDB, NewTransaction } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";
import { hashPassword } from "../psus/password.ts";
import { type ControlsInput, createSandboxControls } from "../sandbox/controls.ts";
import { signingKey } from "../signing.ts";
import { registerTpp, TPP_ID_HEADER, TPP_KEY_HEADER } from "../tpps/tpps.service.ts";

/** A clock tests move by hand. */
export function manualClock(
  start: string,
): Clock & { set(iso: string): void; advanceDays(days: number): void } {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    set(iso) {
      now = new Date(iso);
    },
    advanceDays(days) {
      now = new Date(now.getTime() + days * 86_400_000);
    },
  };
}

const contract = createContractValidator();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TestBank {
  database: Database<BankDB>;
  db: Kysely<BankDB>;
  deps: BankDeps;
  app: ReturnType<typeof createApp>;
  clock: ReturnType<typeof manualClock>;
  /** Every XS2A response passes through the contract validator: a response that breaks the spec fails the test. */
  xs2a(path: string, init?: RequestInit & { tpp?: TestTpp }): Promise<Xs2aResponse>;
  tpp: TestTpp;
  close(): Promise<void>;
}

export interface TestTpp {
  id: string;
  key: string;
}

// biome-ignore lint/suspicious/noExplicitAny: test bodies are checked by the contract validator, then read freely
type AnyBody = any;

export interface Xs2aResponse {
  status: number;
  headers: Headers;
  body: AnyBody;
  /** The body as sent. */
  text: string;
}

export async function createTestBank(
  options: { now?: string; controls?: ControlsInput; publicUrl?: string } = {},
): Promise<TestBank> {
  const database = await createTestDatabase<BankDB>(migrations, "BANK_DATABASE_URL");
  const clock = manualClock(options.now ?? "2026-11-23T10:00:00Z");
  const deps: BankDeps = {
    db: database.db,
    raw: database.raw,
    pageLinkKey: await signingKey(database.db, "page-links"),
    clock,
    controls: createSandboxControls(options.controls),
    publicUrl: options.publicUrl ?? "http://bank.test",
    sandboxApi: true,
    log: () => {},
  };
  const app = createApp(deps);
  const tpp = { id: "PSDDE-BAFIN-900001", key: "test-tpp-key-0123456789" };
  await registerTpp(database.db, { ...tpp, name: "Kontor Books (test)" });
  return {
    database,
    db: database.db,
    deps,
    app,
    clock,
    tpp,
    async xs2a(path, init = {}) {
      const { tpp: as = tpp, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has("X-Request-ID")) headers.set("X-Request-ID", randomUUID());
      headers.set(TPP_ID_HEADER, as.id);
      headers.set(TPP_KEY_HEADER, as.key);
      if (rest.body && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
      const url = path.startsWith("http") ? path : `${deps.publicUrl}/xs2a/v1${path}`;
      const response = await app.request(url, { ...rest, headers });
      const text = await response.text();
      const body: AnyBody = text ? JSON.parse(text) : undefined;
      contract.assertValidResponse({
        method: rest.method ?? "GET",
        url,
        status: response.status,
        headers: response.headers,
        body,
        // A malformed X-Request-ID cannot be echoed: the response header must be a UUID.
        requestId: UUID.test(headers.get("X-Request-ID") ?? "") ? headers.get("X-Request-ID")! : undefined,
      });
      return { status: response.status, headers: response.headers, body, text };
    },
    close: () => database.close(),
  };
}

let counter = 0;

/** A business with one PSU holding every right on its accounts; each account gets a valid German IBAN. */
export async function createCustomer(
  db: Kysely<BankDB>,
  options: { login?: string; accounts?: number; openingBalance?: number } = {},
) {
  counter += 1;
  const login = options.login ?? `psu${counter}-${randomUUID().slice(0, 6)}`;
  const business = await db
    .insertInto("businesses")
    .values({ name: `Test GmbH ${counter}`, plan: "smart" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const psu = await db
    .insertInto("psus")
    .values({
      login,
      display_name: `PSU ${login}`,
      email: `${login}@example.test`,
      password_hash: await hashPassword("secret"),
      tan: "123456",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const accounts: { id: string; iban: string }[] = [];
  for (let i = 0; i < (options.accounts ?? 1); i++) {
    const accountNo = String(Math.floor(Math.random() * 1e10)).padStart(10, "0");
    const account = await db
      .insertInto("accounts")
      .values({
        business_id: business.id,
        parent_id: i === 0 ? null : (accounts[0]?.id ?? null),
        iban: ibanFromBban("DE", `10010010${accountNo}`),
        bic: "KONTDEB1XXX",
        currency: "EUR",
        name: i === 0 ? "Geschäftskonto" : `Unterkonto ${i}`,
        product: "Business Account",
        opening_balance_minor: options.openingBalance ?? 0,
        booked_balance_minor: options.openingBalance ?? 0,
      })
      .returning(["id", "iban"])
      .executeTakeFirstOrThrow();
    await db
      .insertInto("memberships")
      .values({
        psu_id: psu.id,
        account_id: account.id,
        can_create_payments: true,
        can_approve_payments: true,
      })
      .execute();
    accounts.push(account);
  }
  return { businessId: business.id, psuId: psu.id, login, password: "secret", tan: "123456", accounts };
}

/** Books transactions (or records pending ones) and keeps the account's booked balance in step. */
export async function addTransactions(
  db: Kysely<BankDB>,
  accountId: string,
  rows: (Partial<NewTransaction> & { booking_date: string; amount_minor: number })[],
) {
  const values = rows.map((r) => ({
    account_id: accountId,
    transaction_id: r.transaction_id ?? `T-${randomUUID()}`,
    status: r.status ?? "booked",
    value_date: r.value_date ?? r.booking_date,
    currency: "EUR",
    counterparty_name: "Kunde AG",
    remittance: "RE-2026-0001",
    ...r,
  }));
  await db.insertInto("transactions").values(values).execute();
  const booked = values.filter((v) => v.status === "booked").reduce((sum, v) => sum + v.amount_minor, 0);
  await db
    .updateTable("accounts")
    .set((eb) => ({ booked_balance_minor: eb("booked_balance_minor", "+", booked) }))
    .where("id", "=", accountId)
    .execute();
  return values;
}

/** Completes redirect SCA the way a browser without JavaScript would: GET the page, POST login, POST TAN. */
export async function completeRedirectSca(
  bank: TestBank,
  scaRedirect: string,
  credentials: { login: string; password: string; tan: string; accountIds?: string[] },
) {
  const page = await bank.app.request(scaRedirect);
  if (page.status !== 200) throw new Error(`SCA page answered ${page.status}`);
  const login = await bank.app.request(scaRedirect, {
    method: "POST",
    body: new URLSearchParams({ step: "login", login: credentials.login, password: credentials.password }),
  });
  const html = await login.text();
  const token = /name="step_token" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error(`login failed (${login.status})`);
  const form = new URLSearchParams({ step: "confirm", step_token: token, tan: credentials.tan });
  for (const id of credentials.accountIds ?? []) form.append("account", id);
  const confirm = await bank.app.request(scaRedirect, { method: "POST", body: form });
  return {
    status: confirm.status,
    location: confirm.headers.get("Location"),
    html: confirm.status === 303 ? "" : await confirm.text(),
  };
}
