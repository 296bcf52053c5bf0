import { randomBytes } from "node:crypto";
import pg from "pg";

/** A fresh PostgreSQL database with a random name on the server at `serverUrl`, dropped by `drop()`. */
export async function createTempDatabase(serverUrl: string) {
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  const name = `kontor_bench_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const DEFAULT_PG_URL = process.env.BANK_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
