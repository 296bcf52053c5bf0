// Imports the same transactions twice into a fresh local Actual budget (no server, offline) and prints
// {firstMs, firstAdded, secondMs, secondAdded} as one JSON line. Usage: node run.mjs <transactions.json> <dataDir>
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import * as api from "@actual-app/api";

const [file, dataDir] = process.argv.slice(2);
const transactions = JSON.parse(readFileSync(file, "utf8"));
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const out = process.stdout.write.bind(process.stdout);
// Actual logs every step; the benchmark prints only its figures.
for (const level of ["log", "info", "warn", "debug"]) console[level] = () => {};

await api.init({ dataDir });
await api.runImport("kontor-bench", async () => {
  await api.createAccount({ name: "Geschäftskonto", offbudget: false }, 0);
});
const [budget] = await api.getBudgets();
await api.loadBudget(budget.id);
const [account] = await api.getAccounts();
let started = performance.now();
const first = await api.importTransactions(account.id, transactions);
const firstMs = performance.now() - started;
started = performance.now();
const second = await api.importTransactions(account.id, transactions);
const secondMs = performance.now() - started;
await api.shutdown();
out(
  `${JSON.stringify({ firstMs, firstAdded: first.added.length, secondMs, secondAdded: second.added.length, node: process.version })}\n`,
);
