import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEntries } from "../audit/audit.service.ts";
import { createMember, createTestBooks, type TestBooks, type TestMember, testBrowser } from "../testing.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks();
});
afterAll(() => books.close());

/** A logged-in browser that has seen a page, so it holds the session's CSRF token. */
async function loggedIn(member: TestMember) {
  const browser = testBrowser(books.app);
  await browser.login(member.user.email, member.user.password);
  await browser.get("/accounts");
  return browser;
}

async function sessionsOf(userId: string) {
  return books.database.db
    .selectFrom("sessions")
    .select("token_hash")
    .where("user_id", "=", userId)
    .execute();
}

describe("CSRF protection", () => {
  it("refuses a POST without a token with 403 and changes nothing", async () => {
    const member = await createMember(books);
    const browser = await loggedIn(member);
    const before = await listAuditEntries(books.database.db, member.organisation.id);

    const response = await browser.post("/logout", { _csrf: "" });

    expect(response.status).toBe(403);
    expect(response.body).toContain("Form expired");
    expect(response.body).toContain("nothing was changed");
    expect(await sessionsOf(member.user.id)).toHaveLength(1);
    expect(await listAuditEntries(books.database.db, member.organisation.id)).toEqual(before);
    expect((await browser.get("/accounts")).status).toBe(200);
  });

  it("refuses a wrong token, and another session's token", async () => {
    const member = await createMember(books);
    const browser = await loggedIn(member);
    const other = await loggedIn(await createMember(books));

    expect((await browser.post("/logout", { _csrf: "forged" })).status).toBe(403);
    expect((await browser.post("/logout", { _csrf: other.lastCsrfToken() ?? "" })).status).toBe(403);
    expect(await sessionsOf(member.user.id)).toHaveLength(1);
  });

  it("refuses a form posted from another origin even with the right token", async () => {
    const member = await createMember(books);
    const browser = await loggedIn(member);
    const response = await browser.post("/logout", {}, { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(await sessionsOf(member.user.id)).toHaveLength(1);
  });

  it("accepts the session's token in the form field or the X-CSRF-Token header", async () => {
    const member = await createMember(books);
    const viaField = await loggedIn(member);
    expect((await viaField.post("/logout")).status).toBe(303);

    const viaHeader = await loggedIn(member);
    const token = viaHeader.lastCsrfToken() ?? "";
    const response = await viaHeader.post("/logout", { _csrf: "" }, { "x-csrf-token": token });
    expect(response.status).toBe(303);
    expect(await sessionsOf(member.user.id)).toHaveLength(0);
  });

  it("protects the login form with a signed token tied to a cookie", async () => {
    const member = await createMember(books);
    const noCookie = testBrowser(books.app);
    const refused = await noCookie.post("/login", {
      email: member.user.email,
      password: member.user.password,
    });
    expect(refused.status).toBe(403);

    // A token from one browser does not work with another browser's cookie.
    const first = testBrowser(books.app);
    await first.get("/login");
    const second = testBrowser(books.app);
    await second.get("/login");
    const swapped = await second.post("/login", {
      email: member.user.email,
      password: member.user.password,
      _csrf: first.lastCsrfToken() ?? "",
    });
    expect(swapped.status).toBe(403);
    expect(await sessionsOf(member.user.id)).toHaveLength(0);
  });

  it("answers JSON callers with a JSON error", async () => {
    const member = await createMember(books);
    const browser = await loggedIn(member);
    const response = await browser.post("/logout", { _csrf: "" }, { accept: "application/json" });
    expect(response.status).toBe(403);
    expect(response.json()).toMatchObject({ error: { code: "csrf_failed" } });
  });
});
