import { createTestDatabase } from "@kontor/db/testing";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../db/migrations.ts";
import type { BooksDatabase } from "../db/schema.ts";
import { arrayLiteral } from "./sync.repository.ts";

let database: Awaited<ReturnType<typeof createTestDatabase<BooksDatabase>>>;
beforeAll(async () => {
  database = await createTestDatabase<BooksDatabase>(migrations, "BOOKS_DATABASE_URL");
});
afterAll(async () => {
  await database?.close();
});

describe("array literals of the page insert", () => {
  it("round-trips quotes, backslashes, separators, the word NULL, empty text, unicode and real nulls", async () => {
    const values = [
      'He said "hi"',
      "C:\\path\\",
      "{a,b}",
      "NULL",
      "",
      "  spaced  ",
      "Müller & Söhne – Überweisung €",
      "tab\there\nnewline",
      null,
    ];
    const literal = arrayLiteral(values, (v) => v);
    const { rows } = await sql<{ v: (string | null)[] }>`select ${literal}::text[] as v`.execute(database.db);
    expect(rows[0]?.v).toEqual(values);
  });

  it("writes numbers bare, so bigint and date columns parse them", async () => {
    const literal = arrayLiteral([-12_345, 0, 9_007_199_254_740_991], (v) => v);
    const { rows } = await sql<{ v: string }>`select (${literal}::bigint[])::text as v`.execute(database.db);
    expect(rows[0]?.v).toBe("{-12345,0,9007199254740991}");
  });
});
