/**
 * Seeds the bank's demo business with N booked transactions (default 1,000,000 over 10 accounts) into a
 * fresh PostgreSQL database and reports the time. Run: `npm run bench -- seed [--transactions N]
 * [--accounts N] [--batch ROWS] [--url postgres://…]`. The database gets a random name and is dropped at
 * the end.
 *
 * Wall time depends on what else the machine runs; CPU seconds do not, so both are printed: this process's
 * (generation + encoding) and, when PostgreSQL runs on this host, its backend's (parsing, heap, indexes, FK).
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { migrations } from "@kontor/bank/db/migrations";
import type { BankDB } from "@kontor/bank/db/schema";
import { seedDemo } from "@kontor/bank/demo/seed";
import { createDatabase, migrateToLatest } from "@kontor/db";
import { sql } from "kysely";
import pg from "pg";
import { createTempDatabase } from "./lib/temp-database.ts";

const { values } = parseArgs({
  options: {
    transactions: { type: "string", default: "1000000" },
    accounts: { type: "string", default: "10" },
    batch: { type: "string", default: "5000" },
    url: {
      type: "string",
      default: process.env.BANK_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    },
  },
});
const transactions = Number(values.transactions);
const accounts = Number(values.accounts);
const batchRows = Number(values.batch);
if (
  !Number.isSafeInteger(transactions) ||
  transactions < 0 ||
  !Number.isSafeInteger(accounts) ||
  accounts < 2 ||
  !Number.isSafeInteger(batchRows) ||
  batchRows < 1
) {
  process.stderr.write(
    "usage: npm run bench -- seed [--transactions N] [--accounts N ≥ 2] [--batch ROWS] [--url URL]\n",
  );
  process.exit(2);
}

/** CPU seconds of a local PostgreSQL backend (utime + stime from /proc), or null when it runs elsewhere. */
async function backendCpu(pid: number): Promise<number | null> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
  } catch {
    return null;
  }
}

const temp = await createTempDatabase(values.url);
const name = temp.name;
// One connection, so the seeding transaction runs on the backend whose CPU time is read.
const database = createDatabase<BankDB>({ url: temp.url, maxConnections: 1 });
try {
  await migrateToLatest(database.db as never, migrations);
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
  const pid = Number(rows[0]?.pid);
  const load = loadavg()[0] ?? 0;
  const pgBefore = await backendCpu(pid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const summary = await seedDemo(
    database.db,
    {
      today: new Date().toISOString().slice(0, 10),
      transactions,
      // Main account and tax reserve are always there; the rest are project accounts.
      extraAccounts: accounts - 2,
    },
    { batchRows },
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const nodeCpuSeconds = Number(((cpu.user + cpu.system) / 1e6).toFixed(2));
  const pgAfter = await backendCpu(pid);
  const pgCpuSeconds = pgBefore !== null && pgAfter !== null ? Number((pgAfter - pgBefore).toFixed(2)) : null;
  const rowsPerSecond = Math.round(summary.transactionCount / seconds);
  for (const a of summary.accounts) {
    process.stdout.write(`  ${a.name.padEnd(20)} ${a.iban}  ${String(a.transactions).padStart(9)} booked\n`);
  }
  process.stdout.write(
    `seeded ${summary.transactionCount.toLocaleString("en")} booked (+${summary.pendingCount} pending) transactions ` +
      `in ${seconds.toFixed(1)} s: ${rowsPerSecond.toLocaleString("en")} rows/s\n` +
      `cpu: node ${nodeCpuSeconds} s, postgres backend ${pgCpuSeconds ?? "n/a"} s; load average at start ${load.toFixed(2)}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      seedTransactions: summary.transactionCount,
      seedAccounts: summary.accounts.length,
      seedSeconds: Number(seconds.toFixed(2)),
      rowsPerSecond,
      nodeCpuSeconds,
      pgCpuSeconds,
      batchRows,
      loadAverage: Number(load.toFixed(2)),
      engine: "postgres",
    })}\n`,
  );
} finally {
  await database.close();
  // pg's pool can report its last client's end a moment late; a forced drop would then kill a connection
  // whose error nobody listens to any more. Wait (briefly) until the server has let go of it.
  for (let i = 0; i < 50; i++) {
    const client = new pg.Client({ connectionString: values.url });
    await client.connect();
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where datname = $1",
      [name],
    );
    await client.end();
    if (rows[0]?.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await temp.drop();
}
