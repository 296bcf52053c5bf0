import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("config", () => {
  it("defaults to the demo setup of `npm start`", () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      hostname: undefined,
      databaseUrl: undefined,
      dataDir: "./data",
      bankBaseUrl: "http://localhost:4000",
      publicUrl: undefined,
      secret: undefined,
      seedDemo: true,
      // The TPP npm start registers at the sandbox bank (scripts/start.ts reads the same variables).
      tpp: { id: "PSDDE-BAFIN-KONTOR1", key: "kontor-books-sandbox-key-change-me" },
      bankDirectoryFile: undefined,
      // X-Forwarded-For is not believed unless the operator says a proxy sets it.
      trustProxy: 0,
    });
  });

  it("reads books' TPP identity and the bank directory file", () => {
    expect(
      loadConfig({
        BOOKS_TPP_ID: "PSDDE-BAFIN-999999",
        BOOKS_TPP_KEY: "k".repeat(20),
        BOOKS_BANK_DIRECTORY: "/etc/banks.json",
      }),
    ).toMatchObject({
      tpp: { id: "PSDDE-BAFIN-999999", key: "k".repeat(20) },
      bankDirectoryFile: "/etc/banks.json",
    });
  });

  it("reads the environment, treating empty variables as unset", () => {
    const config = loadConfig({
      BOOKS_PORT: "8080",
      BOOKS_DATABASE_URL: "postgres://books@db:5432/books",
      KONTOR_DATA_DIR: "",
      BANK_BASE_URL: "https://bank.example/",
      BOOKS_PUBLIC_URL: "https://books.example/app",
      KONTOR_SECRET: "x".repeat(40),
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: "postgres://books@db:5432/books",
      dataDir: "./data",
      bankBaseUrl: "https://bank.example",
      publicUrl: "https://books.example",
      seedDemo: false,
    });
    expect(loadConfig({ BOOKS_DATABASE_URL: "postgresql://x@y/z", BOOKS_SEED_DEMO: "true" }).seedDemo).toBe(
      true,
    );
  });

  it("trusts X-Forwarded-For only when BOOKS_TRUST_PROXY says how many proxies set it", () => {
    expect(loadConfig({ BOOKS_TRUST_PROXY: "" }).trustProxy).toBe(0);
    expect(loadConfig({ BOOKS_TRUST_PROXY: "false" }).trustProxy).toBe(0);
    expect(loadConfig({ BOOKS_TRUST_PROXY: "true" }).trustProxy).toBe(1);
    expect(loadConfig({ BOOKS_TRUST_PROXY: "YES" }).trustProxy).toBe(1);
    expect(loadConfig({ BOOKS_TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(() => loadConfig({ BOOKS_TRUST_PROXY: "nginx" })).toThrow(
      /BOOKS_TRUST_PROXY: expected "true", "false" or the number of proxies in front of books/,
    );
  });

  it("names every invalid variable", () => {
    const attempt = () =>
      loadConfig({
        BOOKS_PORT: "70000",
        BANK_BASE_URL: "ftp://bank",
        KONTOR_SECRET: "short",
        BOOKS_SEED_DEMO: "maybe",
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/BOOKS_PORT/);
    expect(attempt).toThrow(/BANK_BASE_URL/);
    expect(attempt).toThrow(/KONTOR_SECRET: must be at least 32 characters/);
    expect(attempt).toThrow(/BOOKS_SEED_DEMO/);
  });
});
