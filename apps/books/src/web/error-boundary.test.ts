import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError, ERROR_STATUS } from "../errors.ts";
import { createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import { isMessageKey } from "./i18n.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks();
  books.app.get("/test/boom", () => {
    throw new Error("database password is hunter2");
  });
  books.app.get("/test/conflict", () => {
    throw new AppError("conflict", { message: "account a1 changed" });
  });
});
afterAll(() => books.close());

describe("error boundary", () => {
  it("has a title and a message in the UI strings for every error code", () => {
    for (const code of Object.keys(ERROR_STATUS)) {
      expect(isMessageKey(`error.${code}.title`), code).toBe(true);
      expect(isMessageKey(`error.${code}.message`), code).toBe(true);
    }
  });

  it("renders a localized 404 page, or JSON when asked", async () => {
    const german = await testBrowser(books.app, { acceptLanguage: "de-DE" }).get("/nowhere");
    expect(german.status).toBe(404);
    expect(german.body).toContain("Seite nicht gefunden");
    const english = await testBrowser(books.app).get("/nowhere");
    expect(english.body).toContain("Page not found");
    const json = await books.app.request("/nowhere", { headers: { accept: "application/json" } });
    expect(json.status).toBe(404);
    expect(await json.json()).toMatchObject({
      error: { code: "not_found", message: "There is nothing at this address." },
    });
  });

  it("maps an AppError's code to its status", async () => {
    const response = await books.app.request("/test/conflict", { headers: { accept: "application/json" } });
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: { code: "conflict" } });
  });

  it("hides an unexpected error's details from the client and logs them with the request id", async () => {
    const response = await books.app.request("/test/boom", { headers: { "x-request-id": "req-boom-1" } });
    const body = await response.text();
    expect(response.status).toBe(500);
    expect(body).toContain("Something went wrong");
    expect(body).toContain("req-boom-1");
    expect(body).not.toContain("hunter2");
    expect(body).not.toMatch(/at .*\.ts:\d+/);

    const json = await books.app.request("/test/boom", { headers: { accept: "application/json" } });
    const payload = (await json.json()) as { error: { code: string; requestId: string } };
    expect(payload.error.code).toBe("internal");
    expect(JSON.stringify(payload)).not.toContain("hunter2");

    const logged = books.logger.entries.find(
      (e) => e.level === "error" && e.fields.requestId === "req-boom-1",
    );
    expect(logged?.message).toBe("unhandled error");
    expect(String(logged?.fields.error)).toContain("hunter2");
  });

  it("answers bad query input with a validation error and no change", async () => {
    const { createMember } = await import("../testing.ts");
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const response = await browser.get("/audit?before=yesterday", { accept: "application/json" });
    expect(response.status).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: "validation_failed", issues: [{ path: "before" }] },
    });
  });

  it("serves the stylesheet with a content hash and long caching", async () => {
    const page = await testBrowser(books.app).get("/login");
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(page.body)?.[1] ?? "";
    expect(href).toMatch(/^\/static\/app\.css\?v=[0-9a-f]{12}$/);
    const css = await books.app.request(href);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(css.headers.get("cache-control")).toContain("immutable");
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  });
});
