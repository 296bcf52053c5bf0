import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { createTestBank, type TestBank } from "../testing/harness.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const alertOf = (html: string) => /class="error"[^>]*>([^<]*)</.exec(html)?.[1] ?? "";

describe("the bank's error pages", () => {
  it("say that a page does not exist in the reader's language", async () => {
    const german = await bank.app.request(`${bank.deps.publicUrl}/no-such-page`);
    expect(german.status).toBe(404);
    const html = await german.text();
    expect(html).toContain('<html lang="de">');
    expect(alertOf(html)).toBe("Diese Seite gibt es nicht.");
    expect(html).not.toContain("Not found");

    const english = await bank.app.request(`${bank.deps.publicUrl}/no-such-page`, {
      headers: { "Accept-Language": "en" },
    });
    expect(alertOf(await english.text())).toBe("This page does not exist.");
  });

  it("say that something went wrong on the bank's side in the reader's language, and nothing more", async () => {
    const logged: Record<string, unknown>[] = [];
    const down = createApp({
      ...bank.deps,
      db: new Proxy(bank.db, {
        get: () => {
          throw new Error("the database is down");
        },
      }),
      log: (entry) => logged.push(entry),
    });
    const german = await down.request(`${bank.deps.publicUrl}/sca/consents/a/b`);
    expect(german.status).toBe(500);
    const html = await german.text();
    expect(alertOf(html)).toBe(
      "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.",
    );
    expect(html).not.toContain("Internal error");
    expect(html).not.toContain("database");
    expect(logged[0]).toMatchObject({ level: "error", error: "Error: the database is down" });

    const english = await down.request(`${bank.deps.publicUrl}/sca/consents/a/b`, {
      headers: { "Accept-Language": "en" },
    });
    expect(alertOf(await english.text())).toBe("An internal error occurred. Please try again later.");
  });
});
