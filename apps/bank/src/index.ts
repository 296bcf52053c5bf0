export { createApp } from "./app.ts";
export { migrations } from "./db/migrations.ts";
export type { BankDB } from "./db/schema.ts";
export type { BankDeps } from "./deps.ts";
export { createSandboxControls } from "./sandbox/controls.ts";
export { startBank } from "./server.ts";
export { registerTpp, TPP_ID_HEADER, TPP_KEY_HEADER } from "./tpps/tpps.service.ts";
