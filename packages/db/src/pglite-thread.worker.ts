/**
 * The embedded database's own thread (see pglite-thread.ts): one PGlite, answering the calls posted to it in
 * the order they arrive (PGlite queues them itself, first come first served).
 */
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import type { ThreadReply, ThreadRequest } from "./pglite-thread.ts";
import { DATE, INT8, identity, NUMERIC, parseInt8 } from "./types.ts";

const port = parentPort;
if (!port) throw new Error("pglite-thread.worker.ts runs as a worker thread");
const { dataDir } = workerData as { dataDir?: string };

const pglite = new PGlite({
  ...(dataDir ? { dataDir } : {}),
  parsers: { [INT8]: parseInt8, [DATE]: identity, [NUMERIC]: identity },
});

port.on("message", async (request: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    switch (request.op) {
      case "query":
        reply = { id: request.id, ok: true, result: await pglite.query(request.sql, request.params) };
        break;
      case "copy":
        reply = {
          id: request.id,
          ok: true,
          result: await pglite.query(request.sql, [], { blob: new Blob([request.data]) }),
        };
        break;
      case "exec":
        reply = { id: request.id, ok: true, result: await pglite.exec(request.sql) };
        break;
      case "close":
        await pglite.close();
        reply = { id: request.id, ok: true, result: null };
        break;
    }
  } catch (error) {
    reply = { id: request.id, ok: false, error: describeError(error) };
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    // A value that cannot be copied to the other thread: say so rather than leave the caller waiting.
    port.postMessage({ id: request.id, ok: false, error: describeError(error) } satisfies ThreadReply);
  }
});

/** A PostgreSQL error keeps its fields (code, constraint, detail …) across the thread boundary. */
function describeError(error: unknown): { message: string; fields: Record<string, unknown> } {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) fields[key] = value;
  }
  return { message: error.message, fields: { ...fields, name: error.name } };
}
