import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRows, copyText, isEmbedded } from "./copy.ts";
import { createDatabase, type Database } from "./database.ts";
import { PGliteThread } from "./pglite-thread.ts";

// The embedded database is what these cover, whichever engine the rest of the suite runs on.
let database: Database<unknown>;
beforeAll(async () => {
  database = createDatabase({});
  await sql`create table note (id int primary key, body text, amount bigint, day date)`.execute(database.db);
});
afterAll(async () => {
  await database.close();
});

describe("the embedded database on its own thread", () => {
  it("answers in the order it was asked, with the shared type parsers", async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        database.pglite!.query<{ n: number; day: string }>(
          "select $1::bigint as n, '2026-02-28'::date as day",
          [i],
        ),
      ),
    );
    expect(answers.map((a) => a.rows[0]?.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(answers[0]?.rows[0]?.day).toBe("2026-02-28");
  });

  it("hands PostgreSQL's errors over with their fields, and keeps working after one", async () => {
    await sql`insert into note (id, body) values (1, 'first')`.execute(database.db);
    const failed = await sql`insert into note (id, body) values (1, 'again')`
      .execute(database.db)
      .catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(failed).toMatchObject({ code: "23505", constraint: "note_pkey", table: "note" });
    expect((failed as Error).message).toMatch(/duplicate key/);
    const { rows } = await sql<{ body: string }>`select body from note where id = 1`.execute(database.db);
    expect(rows).toEqual([{ body: "first" }]);
  });

  it("runs a script of several statements with exec", async () => {
    const results = await database.pglite!.exec("select 1 as a; select 2 as b");
    expect(results.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
  });

  it("refuses calls once closed, with a clear error", async () => {
    const thread = new PGliteThread();
    expect((await thread.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
    await thread.close();
    await expect(thread.query("select 1")).rejects.toThrow(/closed/);
  });
});

describe("copyRows", () => {
  it("writes every value exactly, in the transaction that runs it", async () => {
    expect(isEmbedded(database.db)).toBe(true);
    const bodies = ["tab\there", "new\nline\r\n", "back\\slash", "\\N", "NULL", "", "Grüße €", null];
    await database.db.transaction().execute(async (trx) => {
      expect(isEmbedded(trx)).toBe(true);
      await copyRows(
        trx,
        "note",
        ["id", "body", "amount", "day"],
        bodies.map((body, i) => [100 + i, body, -9_007_199_254_740_991 + i, "2026-12-31"]),
      );
    });
    const { rows } = await sql<{ body: string | null; amount: number; day: string }>`
      select body, amount, day from note where id >= 100 order by id`.execute(database.db);
    expect(rows.map((r) => r.body)).toEqual(bodies);
    expect(rows[0]).toMatchObject({ amount: -9_007_199_254_740_991, day: "2026-12-31" });
  });

  it("writes nothing when one row breaks a constraint, and rolls back with its transaction", async () => {
    const failed = await copyRows(
      database.db,
      "note",
      ["id", "body"],
      [
        [200, "fine"],
        [1, "taken"],
      ],
    ).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: "23505" });
    await database.db
      .transaction()
      .execute(async (trx) => {
        await copyRows(trx, "note", ["id", "body"], [[201, "undone"]]);
        throw new Error("rolled back");
      })
      .catch(() => {});
    const { rows } = await sql`select id from note where id in (200, 201)`.execute(database.db);
    expect(rows).toEqual([]);
  });

  it("refuses a row whose width does not match the columns", async () => {
    await expect(copyRows(database.db, "note", ["id", "body"], [[300]])).rejects.toThrow(/1 values for 2/);
  });

  it("escapes only what COPY's text format needs", () => {
    expect(copyText(null)).toBe("\\N");
    expect(copyText(-12)).toBe("-12");
    expect(copyText("a\\b\tc\nd\re")).toBe("a\\\\b\\tc\\nd\\re");
    expect(copyText("plain – text")).toBe("plain – text");
  });
});
