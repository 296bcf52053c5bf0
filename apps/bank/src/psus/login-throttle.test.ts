import { countAttempt } from "@kontor/throttle";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { formatDateTime } from "../web/format.ts";
import { SESSION_COOKIE } from "../web/session.ts";
import { type WebClient, webClient } from "../web/test-client.ts";
import { throttleAddress } from "./client-address.ts";
import { ADDRESS_POLICY, LOGIN_POLICY } from "./login-throttle.service.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank({ now: "2026-11-23T10:00:00Z" });
});
afterAll(async () => {
  await bank.close();
});

let nextAddress = 1;
/** Each test its own client address (documentation range), so address counters do not carry over. */
const freshAddress = () => `198.51.100.${nextAddress++}`;

/** The bank as seen by a browser at `address`: the TCP peer @hono/node-server would hand over. */
function bankFrom(address: string): TestBank {
  const env = { incoming: { socket: { remoteAddress: address } } };
  const app = new Proxy(bank.app, {
    get: (target, name, receiver) =>
      name === "request"
        ? (input: string, init?: RequestInit) => target.request(input, init, env)
        : Reflect.get(target, name, receiver),
  });
  return { ...bank, app };
}

async function webLogin(address: string, login: string, password: string, lang?: "en") {
  const client: WebClient = webClient(bankFrom(address));
  await client.get(lang ? "/login?lang=en" : "/login");
  const headers: Record<string, string> = lang ? { "Accept-Language": "en" } : {};
  const response = await client.post("/login", { login, password }, headers);
  return { response, client, alert: alertOf(await response.text()) };
}

const alertOf = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1] ?? "";

const minutes = (n: number) => n * 60_000;
const advance = (ms: number) => bank.clock.set(new Date(bank.clock.now().getTime() + ms).toISOString());

describe("password guessing protection", () => {
  it("locks a login after five wrong passwords, refuses even the right one, and lets it in after the cool-down", async () => {
    const customer = await createCustomer(bank.db);
    const address = freshAddress();
    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++) {
      const wrong = await webLogin(address, customer.login, `guess-${i}`);
      expect(wrong.response.status).toBe(401);
      expect(wrong.alert).toBe("Anmeldename oder Passwort ist falsch.");
    }
    const locking = await webLogin(address, customer.login, "guess-5");
    expect(locking.response.status).toBe(429);
    // 10:00 Berlin winter time is 11:00; the lock ends 15 minutes after the fifth failure.
    const start = bank.clock.now();
    expect(locking.alert).toContain("Zu viele fehlgeschlagene Anmeldeversuche");
    expect(locking.alert).toContain("bis 23.11.2026, 11:15 Uhr gesperrt");
    expect(locking.response.headers.get("Retry-After")).toBe(String(LOGIN_POLICY.lockMs / 1000));

    advance(minutes(5));
    const right = await webLogin(address, customer.login, "secret", "en");
    expect(right.response.status).toBe(429);
    expect(right.alert).toContain("Too many failed login attempts");
    expect(right.alert).toContain("until 23 Nov 2026, 11:15");
    expect(right.response.headers.get("Retry-After")).toBe(String(10 * 60));
    expect(right.client.cookies.has(SESSION_COOKIE)).toBe(false);

    bank.clock.set(new Date(start.getTime() + LOGIN_POLICY.lockMs).toISOString());
    const after = await webLogin(address, customer.login, "secret");
    expect(after.response.status).toBe(303);
    expect(after.client.cookies.has(SESSION_COOKIE)).toBe(true);
  });

  it("answers an unknown login exactly like a known one: same message and status, wrong and locked", async () => {
    const customer = await createCustomer(bank.db);
    const known: [number, string][] = [];
    const unknown: [number, string][] = [];
    const [a, b] = [freshAddress(), freshAddress()];
    for (let i = 0; i <= LOGIN_POLICY.maxFailures; i++) {
      const k = await webLogin(a, customer.login, `guess-${i}`);
      known.push([k.response.status, k.alert]);
      const u = await webLogin(b, `${customer.login}-nobody`, `guess-${i}`);
      unknown.push([u.response.status, u.alert]);
    }
    expect(unknown).toEqual(known);
    expect(known.map(([status]) => status)).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it("resets a login's counter on a successful login", async () => {
    const customer = await createCustomer(bank.db);
    const address = freshAddress();
    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++)
      expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
    expect((await webLogin(address, customer.login, "secret")).response.status).toBe(303);
    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++)
      expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
    expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(429);
  });

  it("starts a login's count over when its window has passed without a lock", async () => {
    const customer = await createCustomer(bank.db);
    const address = freshAddress();
    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++)
      expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
    advance(LOGIN_POLICY.windowMs);
    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++)
      expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
    expect((await webLogin(address, customer.login, "secret")).response.status).toBe(303);
  });

  it("locks a client address that tries passwords on many logins; other addresses and logins stay open", async () => {
    const victim = await createCustomer(bank.db);
    const address = freshAddress();
    let failures = 0;
    for (let n = 0; failures < ADDRESS_POLICY.maxFailures; n++) {
      const login = `sprayed-${n}-${address}`;
      for (
        let i = 1;
        i < LOGIN_POLICY.maxFailures && failures < ADDRESS_POLICY.maxFailures;
        i++, failures++
      ) {
        const status = (await webLogin(address, login, "Sommer2026!")).response.status;
        expect(status).toBe(failures === ADDRESS_POLICY.maxFailures - 1 ? 429 : 401);
      }
    }
    // The victim's own login has no failures, but this address may not try any more.
    const refused = await webLogin(address, victim.login, "secret");
    expect(refused.response.status).toBe(429);
    expect(refused.alert).toContain("Zu viele fehlgeschlagene Anmeldeversuche");
    expect((await webLogin(freshAddress(), victim.login, "secret")).response.status).toBe(303);
    advance(ADDRESS_POLICY.lockMs);
    expect((await webLogin(address, victim.login, "secret")).response.status).toBe(303);
  });

  it("does not count right passwords against the client address", async () => {
    const customer = await createCustomer(bank.db);
    const address = freshAddress();
    for (let i = 0; i < ADDRESS_POLICY.maxFailures + 5; i++)
      expect((await webLogin(address, customer.login, "secret")).response.status).toBe(303);
    expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
  });

  it("counts concurrent attempts before their passwords are checked: no more than the limit get through", async () => {
    const key = `test:${freshAddress()}`;
    const now = bank.clock.now();
    const results = await Promise.all(
      Array.from({ length: LOGIN_POLICY.maxFailures + 3 }, () =>
        countAttempt(bank.db, key, now, LOGIN_POLICY),
      ),
    );
    expect(results.filter((r) => r.lockedUntil === null)).toHaveLength(LOGIN_POLICY.maxFailures);
    expect(results.filter((r) => r.lockedUntil !== null)).toHaveLength(3);
  });

  it("counts an IPv6 client per /64 and an IPv4-mapped client by its IPv4 address", () => {
    expect(throttleAddress("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(throttleAddress("2001:0DB8:0001:0002:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(throttleAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(throttleAddress("::1")).toBe("0:0:0:0::/64");
    expect(throttleAddress("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(throttleAddress("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(throttleAddress("192.0.2.7")).toBe("192.0.2.7");
    expect(throttleAddress(undefined)).toBe("unknown");
  });

  it("keeps logins out of the table in clear", async () => {
    const login = `typed-a-password-here-${freshAddress()}`;
    await webLogin(freshAddress(), login, "wrong");
    const keys = (await bank.db.selectFrom("login_throttle").select("key").execute()).map((r) => r.key);
    expect(keys.some((key) => key.includes(login))).toBe(false);
    expect(
      keys.filter((key) => key.startsWith("login:")).every((key) => /^login:[0-9a-f]{64}$/.test(key)),
    ).toBe(true);
  });
});

describe("the redirect-SCA login page", () => {
  const REDIRECT = "https://books.test/callback";

  async function scaFor(customer: { accounts: { iban: string }[] }) {
    const refs = customer.accounts.map((a) => ({ iban: a.iban }));
    const created = await bank.xs2a("/consents", {
      method: "POST",
      body: JSON.stringify({
        access: { accounts: refs, balances: refs, transactions: refs },
        recurringIndicator: true,
        validUntil: "2027-02-01",
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      }),
      headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": REDIRECT },
    });
    expect(created.status).toBe(201);
    const href: string = created.body._links.scaRedirect.href;
    const [, consentId, authorisationId] = /\/sca\/consents\/([^/]+)\/([^/?]+)/.exec(href) ?? [];
    return { href, consentId: consentId!, authorisationId: authorisationId! };
  }

  const scaPost = (address: string, href: string, fields: Record<string, string>) =>
    bankFrom(address).app.request(href, { method: "POST", body: new URLSearchParams(fields) });

  const tppView = async (consentId: string, authorisationId: string) => ({
    consent: (await bank.xs2a(`/consents/${consentId}/status`)).body.consentStatus,
    sca: (await bank.xs2a(`/consents/${consentId}/authorisations/${authorisationId}`)).body.scaStatus,
  });

  it("shares the web login's counter, tells the PSU when to come back, and leaves the TPP's consent untouched", async () => {
    const customer = await createCustomer(bank.db);
    const address = freshAddress();
    const sca = await scaFor(customer);
    const before = await tppView(sca.consentId, sca.authorisationId);

    for (let i = 1; i < LOGIN_POLICY.maxFailures; i++)
      expect((await webLogin(address, customer.login, "wrong")).response.status).toBe(401);
    const locking = await scaPost(address, sca.href, {
      step: "login",
      login: customer.login,
      password: "wrong",
    });
    expect(locking.status).toBe(429);
    const start = bank.clock.now();
    const right = await scaPost(address, sca.href, {
      step: "login",
      login: customer.login,
      password: "secret",
    });
    expect(right.status).toBe(429);
    expect(right.headers.get("Retry-After")).toBe(String(LOGIN_POLICY.lockMs / 1000));
    const html = await right.text();
    const until = formatDateTime("de", new Date(start.getTime() + LOGIN_POLICY.lockMs));
    expect(alertOf(html)).toContain(`bis ${until} Uhr gesperrt`);
    expect(html).not.toContain("step_token");
    expect(await tppView(sca.consentId, sca.authorisationId)).toEqual(before);

    bank.clock.set(new Date(start.getTime() + LOGIN_POLICY.lockMs).toISOString());
    const login = await scaPost(address, sca.href, {
      step: "login",
      login: customer.login,
      password: "secret",
    });
    expect(login.status).toBe(200);
    const token = /name="step_token" value="([^"]+)"/.exec(await login.text())?.[1];
    const confirm = await scaPost(address, sca.href, { step: "confirm", step_token: token!, tan: "123456" });
    expect(confirm.status).toBe(303);
    expect(confirm.headers.get("Location")).toBe(REDIRECT);
    expect((await tppView(sca.consentId, sca.authorisationId)).consent).toBe("valid");
  });

  it("answers an unknown login on the SCA page like a known one, wrong and locked", async () => {
    const customer = await createCustomer(bank.db);
    const sca = await scaFor(customer);
    const [a, b] = [freshAddress(), freshAddress()];
    const known: [number, string][] = [];
    const unknown: [number, string][] = [];
    for (let i = 0; i <= LOGIN_POLICY.maxFailures; i++) {
      const k = await scaPost(a, sca.href, { step: "login", login: customer.login, password: `g${i}` });
      known.push([k.status, alertOf(await k.text())]);
      const u = await scaPost(b, sca.href, {
        step: "login",
        login: `${customer.login}-x`,
        password: `g${i}`,
      });
      unknown.push([u.status, alertOf(await u.text())]);
    }
    expect(unknown).toEqual(known);
    expect(known.map(([status]) => status)).toEqual([401, 401, 401, 401, 429, 429]);
  });
});
