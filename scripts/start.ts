/**
 * `npm start`: the sandbox bank on :4000 and books on :3000, each with its embedded database under
 * KONTOR_DATA_DIR (or PostgreSQL via BANK_DATABASE_URL / BOOKS_DATABASE_URL), seeded with the demo.
 */
import { join, resolve } from "node:path";
import { berlinDate } from "../apps/bank/src/clock.ts";
import { seedDemo } from "../apps/bank/src/demo/seed.ts";
import { startBank } from "../apps/bank/src/server.ts";
import { registerTpp } from "../apps/bank/src/tpps/tpps.service.ts";
import { startBooks } from "../apps/books/src/server.ts";

const env = process.env;
const dataDir = resolve(env.KONTOR_DATA_DIR ?? "./data");
const bankPort = Number(env.BANK_PORT ?? 4000);
const booksPort = Number(env.BOOKS_PORT ?? 3000);
/** The books TPP as the sandbox knows it; books presents the same id and key (see apps/books config). */
const booksTpp = {
  id: env.BOOKS_TPP_ID ?? "PSDDE-BAFIN-KONTOR1",
  key: env.BOOKS_TPP_KEY ?? "kontor-books-sandbox-key-change-me",
};

const started = Date.now();
process.stdout.write(
  "Kontor is starting (the first start seeds the demo data, which takes a few seconds) …\n",
);

const bank = await startBank({
  port: bankPort,
  dataDir: env.BANK_DATABASE_URL ? undefined : join(dataDir, "bank"),
  databaseUrl: env.BANK_DATABASE_URL,
  publicUrl: env.BANK_PUBLIC_URL ?? `http://localhost:${bankPort}`,
  seed: async (deps) => {
    const demo = await seedDemo(deps.db, { today: berlinDate(deps.clock.now()) });
    await registerTpp(deps.db, { ...booksTpp, name: "Kontor Books" });
    if (demo.created) process.stdout.write(`bank: seeded ${demo.transactionCount} demo transactions\n`);
  },
});

const books = await startBooks({
  port: booksPort,
  dataDir,
  databaseUrl: env.BOOKS_DATABASE_URL,
  bankBaseUrl: bank.url,
  seedDemo: true,
});

process.stdout.write(`
  Kontor is running (${((Date.now() - started) / 1000).toFixed(1)} s)

  books  ${books.url}   log in as demo@kontor.test / demo
  bank   ${bank.url}   PSU demo / demo (TAN 123456), clerk / clerk (view only)
  data   ${env.BANK_DATABASE_URL || env.BOOKS_DATABASE_URL ? "PostgreSQL" : dataDir}

  Stop with Ctrl+C.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([books.close(), bank.close()]);
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
