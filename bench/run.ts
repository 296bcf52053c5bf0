/**
 * `npm run bench -- <name> [args]` runs bench/<name>.bench.ts. Each benchmark prints its figures as it goes
 * and, as its last line, one JSON object of them.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join("|")}> [args]\n`);
  process.exit(2);
}
process.argv = [process.argv[0]!, join(here, `${name}.bench.ts`), ...rest];
await import(pathToFileURL(join(here, `${name}.bench.ts`)).href);
