import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { LOGIN_CSRF_COOKIE, SESSION_COOKIE } from "../web/session.ts";
import { loggedIn, webClient } from "../web/test-client.ts";
import { SESSION_HOURS } from "./sessions.service.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const sessionRows = (psuId: string) =>
  bank.db.selectFrom("psu_sessions").selectAll().where("psu_id", "=", psuId).execute();

describe("online-banking login", () => {
  it("logs in with the right password: a hashed, 8-hour session in an HttpOnly SameSite=Lax cookie", async () => {
    const customer = await createCustomer(bank.db);
    const client = webClient(bank);
    const form = await client.get("/login");
    expect(form.status).toBe(200);
    expect(await form.text()).toContain("Beim Online-Banking anmelden");
    expect(client.cookies.has(LOGIN_CSRF_COOKIE)).toBe(true);

    const response = await client.post("/login", { login: customer.login, password: "secret" });
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/");
    const cookie = client.lastSetCookie.find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//i);
    const token = client.cookies.get(SESSION_COOKIE)!;
    expect(token.length).toBeGreaterThanOrEqual(43);

    const [row, ...others] = await sessionRows(customer.psuId);
    expect(others).toHaveLength(0);
    expect(row!.token_hash).not.toContain(token);
    expect(row!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(row!.expires_at).getTime() - bank.clock.now().getTime()).toBe(SESSION_HOURS * 3_600_000);

    const home = await client.get("/");
    expect(home.status).toBe(200);
    const text = await home.text();
    expect(text).toContain(`PSU ${customer.login}`);
    expect(text).toContain('action="/logout"');
    expect(home.headers.get("Cache-Control")).toBe("no-store");
    expect(home.headers.get("X-Frame-Options")).toBe("DENY");
  });

  it("answers a wrong password or unknown login with the form again, a clear error and 401", async () => {
    const customer = await createCustomer(bank.db);
    for (const [login, password] of [
      [customer.login, "wrong"],
      ["nobody-here", "secret"],
    ] as const) {
      const client = webClient(bank);
      await client.get("/login");
      const response = await client.post("/login", { login, password });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).toContain("Anmeldename oder Passwort ist falsch.");
      expect(text).toContain(`value="${login}"`);
      expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    }
    expect(await sessionRows(customer.psuId)).toHaveLength(0);
  });

  it("refuses a login post without the form's token (login CSRF) and creates no session", async () => {
    const customer = await createCustomer(bank.db);
    const client = webClient(bank);
    const response = await client.post("/login", { login: customer.login, password: "secret", _csrf: "" });
    expect(response.status).toBe(403);
    await client.get("/login");
    const forged = await client.post("/login", {
      login: customer.login,
      password: "secret",
      _csrf: "x".repeat(43),
    });
    expect(forged.status).toBe(403);
    expect(await sessionRows(customer.psuId)).toHaveLength(0);
  });

  it("sends visitors without a session to the login and back to where they were going, never off-site", async () => {
    const customer = await createCustomer(bank.db);
    const client = webClient(bank);
    const page = await client.get("/connected-apps");
    expect(page.status).toBe(303);
    expect(page.headers.get("Location")).toBe("/login?next=%2Fconnected-apps");
    await client.get("/login?next=%2Fconnected-apps");
    const response = await client.post("/login", {
      login: customer.login,
      password: "secret",
      next: "/connected-apps",
    });
    expect(response.headers.get("Location")).toBe("/connected-apps");

    const other = webClient(bank);
    await other.get("/login");
    for (const next of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const r = await other.post("/login", { login: customer.login, password: "secret", next });
      expect(r.headers.get("Location")).toBe("/");
    }
  });

  it("logs out: the session row is deleted, the cookie cleared and the old token no longer works", async () => {
    const customer = await createCustomer(bank.db);
    const client = await loggedIn(bank, customer);
    const token = client.cookies.get(SESSION_COOKIE)!;
    const response = await client.post("/logout");
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/login?loggedOut=1");
    expect(
      client.lastSetCookie.some((l) => l.startsWith(`${SESSION_COOKIE}=;`) && /Max-Age=0/i.test(l)),
    ).toBe(true);
    expect(await sessionRows(customer.psuId)).toHaveLength(0);

    const replay = await bank.app.request("http://bank.test/", {
      headers: { Cookie: `${SESSION_COOKIE}=${token}` },
    });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("Location")).toBe("/login");
    const notice = await client.get("/login?loggedOut=1");
    expect(await notice.text()).toContain("Sie wurden abgemeldet.");
  });

  it("refuses a logout without the CSRF token (403) and keeps the session", async () => {
    const customer = await createCustomer(bank.db);
    const client = await loggedIn(bank, customer);
    const response = await client.post("/logout", { _csrf: "" });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("Sicherheitsmerkmal");
    const wrong = await client.post("/logout", { _csrf: "A".repeat(43) });
    expect(wrong.status).toBe(403);
    const crossSite = await client.post("/logout", {}, { Origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect(await sessionRows(customer.psuId)).toHaveLength(1);
    expect((await client.get("/")).status).toBe(200);
  });

  it("ends a session after 8 hours", async () => {
    const customer = await createCustomer(bank.db);
    const client = await loggedIn(bank, customer);
    const before = bank.clock.now().toISOString();
    try {
      bank.clock.set(new Date(bank.clock.now().getTime() + SESSION_HOURS * 3_600_000 - 1000).toISOString());
      expect((await client.get("/")).status).toBe(200);
      bank.clock.set(new Date(bank.clock.now().getTime() + 2000).toISOString());
      const expired = await client.get("/");
      expect(expired.status).toBe(303);
      expect(expired.headers.get("Location")).toBe("/login");
      const post = await client.post("/logout");
      expect(post.headers.get("Location")).toBe("/login?expired=1");
    } finally {
      bank.clock.set(before);
    }
  });

  it("remembers a language chosen with ?lang= in a cookie", async () => {
    const client = webClient(bank);
    const english = await client.get("/login?lang=en");
    expect(await english.text()).toContain("Log in to online banking");
    expect(client.cookies.get("lang")).toBe("en");
    const next = await client.get("/login");
    expect(await next.text()).toContain('<html lang="en">');
    await client.get("/login?lang=de");
    expect(await (await client.get("/login")).text()).toContain('<html lang="de">');
  });
});
