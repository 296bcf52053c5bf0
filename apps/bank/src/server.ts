import { serve } from "@hono/node-server";
import { createDatabase, migrateToLatest } from "@kontor/db";
import { createApp } from "./app.ts";
import { offsetClock, systemClock } from "./clock.ts";
import { migrations } from "./db/migrations.ts";
import type { BankDeps } from "./deps.ts";
import { type ControlsInput, createSandboxControls } from "./sandbox/controls.ts";
import { signingKey } from "./signing.ts";

export interface StartBankOptions {
  port: number;
  host?: string;
  /** PGlite directory; absent (and no databaseUrl) means in memory. */
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
  /** Public URL for links and redirects; defaults to http://localhost:<port>. */
  publicUrl?: string;
  controls?: ControlsInput;
  sandboxApi?: boolean;
  /** Runs once after migrations, e.g. the demo seed. */
  seed?: (deps: BankDeps) => Promise<void>;
  log?: (entry: Record<string, unknown>) => void;
}

export async function startBank(options: StartBankOptions) {
  const database = createDatabase<import("./db/schema.ts").BankDB>({
    url: options.databaseUrl,
    dataDir: options.dataDir,
  });
  await migrateToLatest(database.db as never, migrations);
  const controls = createSandboxControls(options.controls);
  const log =
    options.log ?? ((entry) => process.stderr.write(`${JSON.stringify({ app: "bank", ...entry })}\n`));
  let publicUrl = options.publicUrl ?? "";
  const deps: BankDeps = {
    db: database.db,
    raw: database.raw,
    pageLinkKey: await signingKey(database.db, "page-links"),
    clock: offsetClock(systemClock, () => controls.get().clockOffsetMs),
    controls,
    get publicUrl() {
      return publicUrl;
    },
    sandboxApi: options.sandboxApi ?? true,
    log,
  };
  const app = createApp(deps);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host ?? "127.0.0.1" }, () =>
      resolve(s),
    );
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  publicUrl ||= `http://localhost:${port}`;
  if (options.seed) await options.seed(deps);
  return {
    url: publicUrl,
    port,
    deps,
    app,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
