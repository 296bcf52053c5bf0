import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestBank, type TestBank } from "../testing/harness.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const sandbox = (path: string, init: RequestInit = {}) =>
  bank.app.request(`${bank.deps.publicUrl}/sandbox${path}`, init);
const json = (method: string, body: unknown) => ({
  method,
  headers: { "Content-Type": "application/json" },
  body: typeof body === "string" ? body : JSON.stringify(body),
});
const tppCount = async () =>
  Number(
    (
      await bank.db
        .selectFrom("tpps")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("sandbox API", () => {
  it("answers errors as JSON with a clear message and the field's path", async () => {
    const tooHigh = await sandbox("/controls", json("PUT", { errorRate: 2 }));
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = await tooHigh.json();
    expect(body.error).toMatchObject({ code: "FORMAT_ERROR", path: "errorRate" });
    expect(body.error.message).toMatch(/^errorRate: /);

    const unknownField = await (await sandbox("/controls", json("PUT", { errorRat: 1 }))).json();
    expect(unknownField.error).toMatchObject({ code: "FORMAT_ERROR", path: "errorRat" });

    const nested = await (
      await sandbox("/tpps", json("POST", { id: "PSDDE-X-1", name: "X", key: "k" }))
    ).json();
    expect(nested.error).toMatchObject({ code: "FORMAT_ERROR", path: "key" });

    const broken = await sandbox("/tpps", json("POST", "{not json"));
    expect(broken.status).toBe(400);
    expect((await broken.json()).error).toEqual({
      code: "FORMAT_ERROR",
      message: "The body is not valid JSON.",
      path: "body",
    });

    const missing = await sandbox("/nothing-here");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe("RESOURCE_UNKNOWN");
    expect(bank.deps.controls.get().errorRate).toBe(0);
  });

  it("takes writes only as application/json: a cross-site text/plain form post registers nothing", async () => {
    const before = await tppCount();
    // What a page on another site can send without a CORS preflight.
    const forged = await sandbox("/tpps", {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8", Origin: "https://evil.test" },
      body: JSON.stringify({ id: "PSDDE-EVIL-1", name: "Evil", key: "evil-key-0123456789" }),
    });
    expect(forged.status).toBe(415);
    expect((await forged.json()).error).toMatchObject({ code: "FORMAT_ERROR", path: "Content-Type" });
    const form = await sandbox("/controls", {
      method: "PUT",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "errorRate=1",
    });
    expect(form.status).toBe(415);
    expect(await tppCount()).toBe(before);
    expect(bank.deps.controls.get().errorRate).toBe(0);

    const registered = await sandbox(
      "/tpps",
      json("POST", { id: "PSDDE-GOOD-1", name: "Good", key: "good-key-0123456789" }),
    );
    expect(registered.status).toBe(201);
    expect(await tppCount()).toBe(before + 1);
    const charset = await sandbox("/controls", {
      method: "PUT",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body: JSON.stringify({ latencyMs: 0 }),
    });
    expect(charset.status).toBe(200);
    expect((await sandbox("/controls")).status).toBe(200);
  });
});
