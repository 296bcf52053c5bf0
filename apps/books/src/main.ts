/**
 * `node apps/books/src/main.ts`: books on its own, configured from the environment (see config.ts).
 * Stops cleanly on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from "./config.ts";
import { startBooks } from "./server.ts";

try {
  const config = loadConfig(process.env);
  const books = await startBooks(config);
  process.stdout.write(`books: ${books.url}\n`);
  const stop = () => {
    books.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
} catch (error) {
  process.stderr.write(`books: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
