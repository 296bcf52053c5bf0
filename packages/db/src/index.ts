export * from "./copy.ts";
export * from "./database.ts";
export * from "./migrate.ts";
export * from "./pglite-thread.ts";
export * from "./prepared.ts";
export * from "./raw.ts";
