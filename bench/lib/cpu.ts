/**
 * CPU seconds beside wall time: other sessions share this 2-core machine, so wall time alone says little.
 * Reads utime + stime of local processes from /proc (Linux; null elsewhere or for a remote server).
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import pg from "pg";

export async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 per second on Linux
  } catch {
    return null;
  }
}

/** The server processes (backends) serving `databases` on the PostgreSQL server at `serverUrl`. */
async function backendPids(
  serverUrl: string,
  databases: readonly string[],
): Promise<Array<{ pid: number; datname: string }>> {
  if (databases.length === 0) return [];
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; datname: string }>(
      "select pid, datname from pg_stat_activity where datname = any($1) and pid <> pg_backend_pid()",
      [databases],
    );
    return rows;
  } finally {
    await client.end();
  }
}

export interface CpuSample {
  wallMs: number;
  /** This process (books, and the benchmark's own bookkeeping). */
  selfSeconds: number;
  /** Other local processes we started (the bank). */
  childSeconds: number | null;
  /** PostgreSQL backends of the named databases (those that were connected when the phase ended). */
  pgSeconds: number | null;
  /** The same by database name. */
  pgByDatabase: Record<string, number>;
  loadAverage: number;
}

/**
 * Starts a meter; `stop()` returns what the phase cost. Backends that connect and disconnect within the
 * phase are missed (the pools keep theirs open, so this is small).
 */
export async function startMeter(options: { childPids?: number[]; pgUrl?: string; databases?: string[] }) {
  const pgCpu = async () => {
    const cpu = new Map<number, { seconds: number; datname: string }>();
    if (!options.pgUrl) return cpu;
    for (const { pid, datname } of await backendPids(options.pgUrl, options.databases ?? [])) {
      const seconds = await processCpuSeconds(pid);
      if (seconds !== null) cpu.set(pid, { seconds, datname });
    }
    return cpu;
  };
  const childCpu = async () => {
    let sum = 0;
    for (const pid of options.childPids ?? []) {
      const s = await processCpuSeconds(pid);
      if (s === null) return null;
      sum += s;
    }
    return sum;
  };
  const pgBefore = await pgCpu();
  const childBefore = await childCpu();
  const load = loadavg()[0] ?? 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  return {
    async stop(): Promise<CpuSample> {
      const wallMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      const childAfter = await childCpu();
      const pgAfter = await pgCpu();
      let pgSeconds: number | null = null;
      const pgByDatabase: Record<string, number> = {};
      if (options.pgUrl && pgAfter.size > 0) {
        pgSeconds = 0;
        for (const [pid, { seconds, datname }] of pgAfter) {
          const used = seconds - (pgBefore.get(pid)?.seconds ?? 0);
          pgSeconds += used;
          pgByDatabase[datname] = (pgByDatabase[datname] ?? 0) + used;
        }
      }
      return {
        wallMs,
        selfSeconds: (cpu.user + cpu.system) / 1e6,
        childSeconds: childBefore !== null && childAfter !== null ? childAfter - childBefore : null,
        pgSeconds,
        pgByDatabase,
        loadAverage: Math.max(load, loadavg()[0] ?? 0),
      };
    },
  };
}

/** `names` labels databases, e.g. { kontor_bench_ab12: "bank" }. */
export function describeCpu(sample: CpuSample, names: Record<string, string> = {}): string {
  const parts = [`books ${sample.selfSeconds.toFixed(1)} s`];
  if (sample.childSeconds !== null) parts.push(`bank ${sample.childSeconds.toFixed(1)} s`);
  if (sample.pgSeconds !== null) {
    const split = Object.entries(sample.pgByDatabase)
      .map(([db, s]) => `${names[db] ?? db} ${s.toFixed(1)}`)
      .join(" + ");
    parts.push(`postgres ${sample.pgSeconds.toFixed(1)} s (${split})`);
  }
  return `cpu ${parts.join(", ")}; load ${sample.loadAverage.toFixed(2)}`;
}
