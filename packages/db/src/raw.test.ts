import { type Generated, type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "./database.ts";
import type { ForwardMigration } from "./migrate.ts";
import { preparedStatement } from "./prepared.ts";
import type { RawRow } from "./raw.ts";
import { createTestDatabase } from "./testing.ts";

interface TestDB {
  notes: { id: Generated<number>; booking_date: string; body: string | null };
}

const migrations: Record<string, ForwardMigration> = {
  "0001_notes": {
    async up(db: Kysely<unknown>) {
      await sql`create table notes (id serial primary key, booking_date date not null, body text)`.execute(
        db,
      );
    },
  },
};

const since = preparedStatement<RawRow, [from: string]>(
  "test_raw_notes_since",
  "select id::text, booking_date::text, body from notes where booking_date >= $1::date order by id",
);
const uncast = preparedStatement<RawRow, []>("test_raw_notes_uncast", "select id from notes");

let database: Database<TestDB> | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

const engine = process.env.BANK_DATABASE_URL ? "postgres" : "pglite";

describe(`raw reads on ${engine}`, () => {
  it("hand out each column's text as the UTF-8 bytes it is, NULL as null, in select-list order", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const bodies = ['{"name":"Müller & Söhne – Ärzte","note":"€ 5 \\"quoted\\"\\n"}', "şahin 😀\ttab", null];
    await database.db
      .insertInto("notes")
      .values(bodies.map((body, i) => ({ booking_date: `2026-0${i + 1}-15`, body })))
      .execute();

    const rows = await database.raw.rows(since, ["2026-01-01"]);

    expect(rows).toHaveLength(3);
    for (const [i, row] of rows.entries()) {
      expect(row).toHaveLength(3);
      expect(row[0]!.toString("latin1")).toBe(String(i + 1));
      expect(row[1]!.toString("latin1")).toBe(`2026-0${i + 1}-15`);
    }
    expect(Buffer.isBuffer(rows[0]![2])).toBe(true);
    expect(rows[0]![2]!.equals(Buffer.from(bodies[0]!, "utf8"))).toBe(true);
    expect(rows[1]![2]!.toString("utf8")).toBe(bodies[1]);
    expect(rows[2]![2]).toBeNull();
    // The parameters bind as any other statement's, and the statement runs again on the same connection.
    const later = await database.raw.rows(since, ["2026-02-01"]);
    expect(later.map((row) => row[0]!.toString("latin1"))).toEqual(["2", "3"]);
  });

  it("read the rows a transaction committed, and nothing of one that rolled back", async () => {
    database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
    const { db, raw } = database;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("notes").values({ booking_date: "2026-05-01", body: "kept" }).execute();
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("notes").values({ booking_date: "2026-05-02", body: "dropped" }).execute();
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const rows = await raw.rows(since, ["2026-01-01"]);
    expect(rows.map((row) => row[2]!.toString("utf8"))).toEqual(["kept"]);
  });

  it.runIf(engine === "pglite")(
    "refuse a column that is not cast to text on the embedded database",
    async () => {
      database = await createTestDatabase<TestDB>(migrations, "BANK_DATABASE_URL");
      await database.db.insertInto("notes").values({ booking_date: "2026-05-01", body: "x" }).execute();
      await expect(database.raw.rows(uncast, [])).rejects.toThrow(
        /cast every column of a raw statement to text/,
      );
    },
  );
});
