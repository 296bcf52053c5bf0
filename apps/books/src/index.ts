/** The books app's public surface: what the root start script, the CLI and browser tests use. */
export { type CreateAppDeps, createApp } from "./app.ts";
export { ConfigError, loadConfig, type ServerConfig } from "./config.ts";
export { migrations } from "./db/migrations.ts";
export type { BooksDatabase } from "./db/schema.ts";
export { DEMO, seedDemo } from "./demo/seed.ts";
export { type RunningBooks, type StartBooksOptions, startBooks } from "./server.ts";
