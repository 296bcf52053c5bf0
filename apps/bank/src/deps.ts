import type { RawReader } from "@kontor/db";
import type { Kysely } from "kysely";
import type { Clock } from "./clock.ts";
import type { BankDB } from "./db/schema.ts";
import type { SandboxControls } from "./sandbox/controls.ts";

/** Everything a request handler may use; built once per app by the caller of createApp. */
export interface BankDeps {
  db: Kysely<BankDB>;
  /** Rows as the database sent them, for the transactions pages (`@kontor/db` raw.ts). */
  raw: RawReader;
  /** Signs the cursor of every transactions `next` link (signing.ts). */
  pageLinkKey: Buffer;
  /** The bank's clock, already including the sandbox's clock offset. */
  clock: Clock;
  controls: SandboxControls;
  /** Where the bank is reachable from outside, e.g. http://localhost:4000 (used in _links and redirects). */
  publicUrl: string;
  /** Enables PUT /sandbox/controls and POST /sandbox/tpps. On for the sandbox, off for a bank that poses as real. */
  sandboxApi: boolean;
  log: (entry: Record<string, unknown>) => void;
}
