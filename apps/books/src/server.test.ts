import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SECRET_FILE } from "./security/keys.ts";
import { startBooks } from "./server.ts";
import { memoryLogger } from "./testing.ts";

const base = { port: 0, bankBaseUrl: "http://localhost:4000", logger: memoryLogger() };

describe("startBooks", () => {
  it("serves an in-memory books on a free port until closed", async () => {
    const books = await startBooks({ ...base, seedDemo: true });
    try {
      expect(books.url).toMatch(/^http:\/\/localhost:\d+$/);
      const health = await fetch(`${books.url}/healthz`);
      expect(await health.json()).toEqual({ status: "ok" });
      const login = await fetch(`${books.url}/login`, { headers: { "accept-language": "de" } });
      expect(await login.text()).toContain("Bei Kontor anmelden");
    } finally {
      await books.close();
    }
    await expect(fetch(`${books.url}/healthz`)).rejects.toThrow();
  });

  it("keeps data and the generated secret in the data dir across restarts, seeding only once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "kontor-books-"));
    try {
      const first = await startBooks({ ...base, dataDir, seedDemo: true });
      await first.close();
      const secret = await readFile(join(dataDir, SECRET_FILE), "utf8");
      expect(secret.trim()).toMatch(/^[\w-]{43}$/);

      const second = await startBooks({ ...base, dataDir, seedDemo: true });
      try {
        expect(await readFile(join(dataDir, SECRET_FILE), "utf8")).toBe(secret);
        const page = await fetch(`${second.url}/login`);
        const cookie = page.headers.getSetCookie()[0]?.split(";")[0] ?? "";
        const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
        const login = await fetch(`${second.url}/login`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie, origin: second.url, "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ _csrf: csrf, email: "demo@kontor.test", password: "demo" }),
        });
        expect(login.status).toBe(303);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("requires an explicit secret with a PostgreSQL server", async () => {
    await expect(
      startBooks({ ...base, seedDemo: false, databaseUrl: "postgres://nobody@127.0.0.1:1/none" }),
    ).rejects.toThrow(/KONTOR_SECRET is required/);
  });
});
