import { Worker } from "node:worker_threads";
import type { Results } from "@electric-sql/pglite";
import { COPY_FROM_DATA } from "./copy.ts";

/**
 * The embedded PostgreSQL (PGlite) on a thread of its own. PGlite runs each statement synchronously in
 * WebAssembly, so on the app's thread a 5,000-row insert held everything else up: the next page of a sync
 * could not be parsed meanwhile, and no web request was answered. Here the app's thread only posts the
 * statement and awaits the rows (bench/import.bench.ts; docs/design/import-performance.md).
 *
 * It offers what Kontor uses of PGlite, with PGlite's semantics: `query` (one statement, $-parameters),
 * `exec` (a script of several), `close`. Calls are answered in the order they were made. One session, as
 * before: Kysely's PGlite dialect still hands the one connection to one caller at a time.
 */
export class PGliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  #stopped: Error | undefined;
  readonly #exited: Promise<void>;

  constructor(options: { dataDir?: string | undefined } = {}) {
    this.#worker = new Worker(new URL("./pglite-thread.worker.ts", import.meta.url), {
      workerData: { dataDir: options.dataDir },
    });
    // An idle database does not keep the process alive; a call in flight does (see #call).
    this.#worker.unref();
    this.#worker.on("message", (reply: ThreadReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(Object.assign(new Error(reply.error.message), reply.error.fields));
    });
    this.#worker.on("error", (error) => this.#stop(error));
    this.#exited = new Promise((resolve) => {
      this.#worker.once("exit", (code) => {
        this.#stop(new Error(`the embedded database's thread ended (exit code ${code})`));
        resolve();
      });
    });
  }

  /**
   * One statement. A COPY … FROM '/dev/blob' with one string parameter (as `copyRows` in copy.ts writes it)
   * reads that string as its data, the way PGlite's own `query(sql, [], { blob })` does.
   */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Results<T>> {
    const data = params?.length === 1 && typeof params[0] === "string" ? params[0] : undefined;
    if (data !== undefined && COPY_FROM_DATA.test(sql)) {
      return this.#call({ op: "copy", sql, data }) as Promise<Results<T>>;
    }
    return this.#call({ op: "query", sql, params: params ?? [] }) as Promise<Results<T>>;
  }

  exec(sql: string): Promise<Results[]> {
    return this.#call({ op: "exec", sql }) as Promise<Results[]>;
  }

  /** Closes the database (PGlite writes what it holds to its directory) and ends the thread. */
  async close(): Promise<void> {
    if (!this.#stopped) await this.#call({ op: "close" }).catch(() => {});
    this.#stopped ??= new Error("the embedded database is closed");
    this.#worker.ref();
    await this.#worker.terminate();
    await this.#exited;
  }

  #call(request: DistributiveOmit<ThreadRequest, "id">): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
      this.#worker.postMessage({ ...request, id });
    });
  }

  #stop(error: Error) {
    this.#stopped ??= error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
    this.#worker.unref();
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** What the app's thread posts to the database's thread. */
export type ThreadRequest =
  | { id: number; op: "query"; sql: string; params: unknown[] }
  | { id: number; op: "copy"; sql: string; data: string }
  | { id: number; op: "exec"; sql: string }
  | { id: number; op: "close" };

/** The answer to one request: PGlite's result, or its error's message and fields (code, constraint …). */
export type ThreadReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { message: string; fields: Record<string, unknown> } };
