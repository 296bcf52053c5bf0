/**
 * The sandbox bank in its own process, as in production: books and the bank then each have an event loop
 * (and a core) of their own, and the benchmark can read the bank's CPU time from /proc.
 *   node bench/lib/bank-process.ts '<json {databaseUrl, pageSize, tpp: {id, key}}>'
 * Prints one JSON line {url} when it listens; stops on SIGTERM or when stdin closes.
 */
import { startBank } from "@kontor/bank/server";
import { registerTpp } from "@kontor/bank/tpps/tpps.service";

const { databaseUrl, pageSize, tpp } = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  pageSize: number;
  tpp: { id: string; key: string };
};
const bank = await startBank({
  port: 0,
  databaseUrl,
  controls: { pageSize },
  log: (entry) => {
    if (entry.level === "error") process.stderr.write(`${JSON.stringify({ app: "bank", ...entry })}\n`);
  },
  seed: async (deps) => {
    await registerTpp(deps.db, { ...tpp, name: "Kontor Books (bench)" });
  },
});
process.stdout.write(`${JSON.stringify({ url: bank.url })}\n`);
let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await bank.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
