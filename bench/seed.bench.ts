/**
 * Seeds the bank's demo business with N booked transactions (default 1,000,000 over 10 accounts) into a
 * fresh PostgreSQL database and reports the time. Run: `npm run bench -- seed [--transactions N]
 * [--accounts N] [--url postgres://…]`. The database gets a random name and is dropped at the end.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { migrations } from "@kontor/bank/db/migrations";
import type { BankDB } from "@kontor/bank/db/schema";
import { seedDemo } from "@kontor/bank/demo/seed";
import { createDatabase, migrateToLatest } from "@kontor/db";
import pg from "pg";

const { values } = parseArgs({
  options: {
    transactions: { type: "string", default: "1000000" },
    accounts: { type: "string", default: "10" },
    url: {
      type: "string",
      default: process.env.BANK_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
  },
});
const transactions = Number(values.transactions);
const accounts = Number(values.accounts);
if (
  !Number.isSafeInteger(transactions) ||
  transactions < 0 ||
  !Number.isSafeInteger(accounts) ||
  accounts < 2
) {
  process.stderr.write("usage: npm run bench -- seed [--transactions N] [--accounts N ≥ 2] [--url URL]\n");
  process.exit(2);
}

async function admin(text: string) {
  const client = new pg.Client({ connectionString: values.url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const name = `kontor_bench_${randomBytes(6).toString("hex")}`;
await admin(`CREATE DATABASE ${name}`);
const url = new URL(values.url);
url.pathname = `/${name}`;
const database = createDatabase<BankDB>({ url: url.toString(), maxConnections: 2 });
try {
  await migrateToLatest(database.db as never, migrations);
  const started = performance.now();
  const summary = await seedDemo(database.db, {
    today: new Date().toISOString().slice(0, 10),
    transactions,
    // Main account and tax reserve are always there; the rest are project accounts.
    extraAccounts: accounts - 2,
  });
  const seconds = (performance.now() - started) / 1000;
  const rowsPerSecond = Math.round(summary.transactionCount / seconds);
  for (const a of summary.accounts) {
    process.stdout.write(`  ${a.name.padEnd(20)} ${a.iban}  ${String(a.transactions).padStart(9)} booked\n`);
  }
  process.stdout.write(
    `seeded ${summary.transactionCount.toLocaleString("en")} booked (+${summary.pendingCount} pending) transactions ` +
      `in ${seconds.toFixed(1)} s: ${rowsPerSecond.toLocaleString("en")} rows/s\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      seedTransactions: summary.transactionCount,
      seedAccounts: summary.accounts.length,
      seedSeconds: Number(seconds.toFixed(2)),
      rowsPerSecond,
      engine: "postgres",
    })}\n`,
  );
} finally {
  await database.close();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
