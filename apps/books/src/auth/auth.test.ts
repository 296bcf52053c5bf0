import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEntries } from "../audit/audit.service.ts";
import { createMember, createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import { formatDateTime } from "../web/i18n.ts";
import { LOGIN_THROTTLE, SESSION_TTL_MS } from "./auth.service.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks();
});
afterAll(() => books.close());

async function sessionCount(userId: string): Promise<number> {
  const rows = await books.database.db
    .selectFrom("sessions")
    .select("token_hash")
    .where("user_id", "=", userId)
    .execute();
  return rows.length;
}

describe("login", () => {
  it("logs in with the right password and sets an HttpOnly, SameSite=Lax session cookie", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    const response = await browser.login(user.email, user.password);

    expect(response.status).toBe(303);
    expect(response.location).toBe("/accounts");
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("kontor_session="));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/; Secure/);
    const token = browser.cookies.get("kontor_session") ?? "";
    expect(Buffer.from(token, "base64url")).toHaveLength(32);

    const page = await browser.get("/accounts");
    expect(page.status).toBe(200);
    expect(page.body).toContain(user.name);
  });

  it("stores only a hash of the session token", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    const token = browser.cookies.get("kontor_session") ?? "";
    const rows = await books.database.db
      .selectFrom("sessions")
      .selectAll()
      .where("user_id", "=", user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it("marks the session cookie Secure over https, directly or behind a proxy with an https public URL", async () => {
    const { user } = await createMember(books);
    const direct = testBrowser(books.app, { origin: "https://books.example" });
    const viaHttps = await direct.login(user.email, user.password);
    expect(viaHttps.headers.getSetCookie().find((c) => c.startsWith("kontor_session="))).toMatch(/; Secure/);

    const proxied = testBrowser(books.appWith({ publicUrl: "https://books.example" }));
    const viaProxy = await proxied.login(user.email, user.password);
    expect(viaProxy.headers.getSetCookie().find((c) => c.startsWith("kontor_session="))).toMatch(/; Secure/);
  });

  it("refuses a wrong password and an unknown email with the same message, and sets no session", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    const wrong = await browser.login(user.email, "not-the-password");
    const unknown = await browser.login("nobody@example.test", "whatever");

    for (const response of [wrong, unknown]) {
      expect(response.status).toBe(401);
      expect(response.body).toContain("The email address or password is incorrect.");
      expect(response.headers.getSetCookie().some((c) => c.startsWith("kontor_session="))).toBe(false);
    }
    expect(wrong.body).toContain(`value="${user.email}"`);
    expect(await sessionCount(user.id)).toBe(0);
  });

  it("matches the email case-insensitively", async () => {
    const { user } = await createMember(books);
    const response = await testBrowser(books.app).login(`  ${user.email.toUpperCase()} `, user.password);
    expect(response.status).toBe(303);
  });

  it("returns to the page that asked for login, but never to another site", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    const guarded = await browser.get("/audit?before=10");
    expect(guarded.status).toBe(303);
    expect(guarded.location).toBe("/login?next=%2Faudit%3Fbefore%3D10");

    const login = await browser.get(guarded.location ?? "");
    expect(login.body).toContain('name="next" value="/audit?before=10"');
    const response = await browser.post("/login", {
      email: user.email,
      password: user.password,
      next: "/audit?before=10",
    });
    expect(response.location).toBe("/audit?before=10");

    for (const next of [
      "//evil.example/",
      "https://evil.example/",
      "/\\evil.example",
      "javascript:alert(1)",
    ]) {
      const other = testBrowser(books.app);
      await other.get("/login");
      const r = await other.post("/login", { email: user.email, password: user.password, next });
      expect(r.location, next).toBe("/accounts");
    }
  });

  it("sends an API client without a session a 401 in JSON instead of a redirect", async () => {
    const response = await books.app.request("/accounts", { headers: { accept: "application/json" } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: "unauthenticated", message: expect.any(String) },
    });
  });

  it("explains when the user belongs to no organisation", async () => {
    const { ensureUser } = await import("./users.service.ts");
    const lonely = await ensureUser(books.database.db, books.clock, {
      email: "lonely@example.test",
      name: "Lonely",
      password: "lonely-pw",
    });
    const response = await testBrowser(books.app).login(lonely.email, "lonely-pw");
    expect(response.status).toBe(403);
    expect(response.body).toContain("not a member of any organisation");
  });
});

describe("sessions", () => {
  it("logs out: the session row is deleted, the cookie cleared, and the old token no longer works", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    const token = browser.cookies.get("kontor_session") ?? "";
    await browser.get("/accounts");

    const response = await browser.post("/logout");
    expect(response.status).toBe(303);
    expect(response.location).toBe("/login?loggedOut=1");
    expect(response.headers.getSetCookie().find((c) => c.startsWith("kontor_session="))).toMatch(/Max-Age=0/);
    expect(browser.cookies.has("kontor_session")).toBe(false);
    expect(await sessionCount(user.id)).toBe(0);

    const replay = await books.app.request("/accounts", { headers: { cookie: `kontor_session=${token}` } });
    expect(replay.status).toBe(303);
    expect(replay.headers.get("location")).toMatch(/^\/login/);
    expect((await browser.get("/login?loggedOut=1")).body).toContain("You have been logged out.");
  });

  it("ends a session after its lifetime", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    books.clock.advance(SESSION_TTL_MS - 1000);
    expect((await browser.get("/accounts")).status).toBe(200);
    books.clock.advance(1000);
    const expired = await browser.get("/accounts");
    expect(expired.status).toBe(303);
    expect(browser.cookies.has("kontor_session")).toBe(false);
  });

  it("issues a new token at every login and drops the one the browser had", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    const first = browser.cookies.get("kontor_session");
    await browser.get("/accounts"); // a logged-in page carries the session's CSRF token
    await browser.post("/login", { email: user.email, password: user.password });
    expect(browser.cookies.get("kontor_session")).not.toBe(first);
    expect(await sessionCount(user.id)).toBe(1);
  });

  it("ends the sessions of a member who is removed from the organisation", async () => {
    const { user, organisation } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, user.password);
    await books.database.db
      .deleteFrom("memberships")
      .where("organisation_id", "=", organisation.id)
      .where("user_id", "=", user.id)
      .execute();
    expect((await browser.get("/accounts")).status).toBe(303);
    expect(await sessionCount(user.id)).toBe(0);
  });
});

describe("login throttling", () => {
  it(`locks an email after ${LOGIN_THROTTLE.maxFailures} wrong passwords, even for the right one, until the lock ends`, async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.get("/login");
    for (let i = 1; i < LOGIN_THROTTLE.maxFailures; i++) {
      expect((await browser.post("/login", { email: user.email, password: `wrong-${i}` })).status).toBe(401);
    }
    const locking = await browser.post("/login", { email: user.email, password: "wrong-last" });
    expect(locking.status).toBe(429);

    const refused = await browser.post("/login", { email: user.email, password: user.password });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(LOGIN_THROTTLE.lockMs / 1000));
    expect(refused.body).toContain("Too many failed attempts. Please try again in 15 minutes.");
    expect(await sessionCount(user.id)).toBe(0);

    books.clock.advance(LOGIN_THROTTLE.lockMs);
    expect((await browser.post("/login", { email: user.email, password: user.password })).status).toBe(303);
  });

  it("checks at most the allowed number of passwords however many guesses arrive at once", async () => {
    const { user } = await createMember(books);
    const guesses = LOGIN_THROTTLE.maxFailures + 3;
    const browsers = await Promise.all(
      Array.from({ length: guesses }, async () => {
        const browser = testBrowser(books.app);
        await browser.get("/login");
        return browser;
      }),
    );
    const checked = () =>
      books.logger.entries.filter((e) => e.message === "login failed" && e.fields.email === user.email)
        .length;
    const before = checked();
    const answers = await Promise.all(
      browsers.map((browser, i) => browser.post("/login", { email: user.email, password: `guess-${i}` })),
    );
    // Each attempt is counted before its password is compared: the ones beyond the limit are refused unchecked.
    expect(checked() - before).toBe(LOGIN_THROTTLE.maxFailures);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(
      guesses - LOGIN_THROTTLE.maxFailures,
    );
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect(
      (await testBrowser(books.app).post("/login", { email: user.email, password: user.password })).status,
    ).not.toBe(303);
  });

  it("forgets failures once the user logs in, and after the window has passed", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.get("/login");
    for (let i = 1; i < LOGIN_THROTTLE.maxFailures; i++)
      await browser.post("/login", { email: user.email, password: "x" });
    books.clock.advance(LOGIN_THROTTLE.windowMs + 1);
    for (let i = 1; i < LOGIN_THROTTLE.maxFailures; i++) {
      expect((await browser.post("/login", { email: user.email, password: "x" })).status).toBe(401);
    }
    expect((await browser.post("/login", { email: user.email, password: user.password })).status).toBe(303);
    const other = testBrowser(books.app);
    await other.get("/login");
    for (let i = 1; i < LOGIN_THROTTLE.maxFailures; i++) {
      expect((await other.post("/login", { email: user.email, password: "x" })).status).toBe(401);
    }
  });
});

describe("audit of authentication", () => {
  it("records logins, failed logins and logouts with who, what and when", async () => {
    const { user, organisation } = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(user.email, "wrong");
    await browser.post("/login", { email: user.email, password: user.password });
    await browser.get("/accounts");
    await browser.post("/logout");

    const { entries } = await listAuditEntries(books.database.db, organisation.id);
    expect(entries.map((e) => e.action)).toEqual(["auth.logout", "auth.login", "auth.login_failed"]);
    for (const entry of entries) {
      expect(entry.actorUserId).toBe(user.id);
      expect(entry.actorLabel).toBe(user.email);
      expect(entry.createdAt).toEqual(books.clock.now());
      expect(entry.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(entries[2]?.details).toEqual({ reason: "bad_password" });
  });

  it("shows the entries on the audit log page, newest first, in the user's language", async () => {
    const { user } = await createMember(books);
    const browser = testBrowser(books.app, { acceptLanguage: "de-DE" });
    await browser.login(user.email, user.password);
    const page = await browser.get("/audit");
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1>Protokoll</h1>");
    expect(page.body).toContain("Angemeldet");
    expect(page.body).toContain(user.email);
    expect(page.body).toContain(formatDateTime("de", books.clock.now()));
    expect(formatDateTime("de", new Date("2026-11-23T09:00:00Z"))).toBe("23.11.2026, 10:00");
  });
});
