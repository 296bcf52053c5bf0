import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBooks } from "../server.ts";
import { createMember, createTestBooks, memoryLogger, type TestBooks, testBrowser } from "../testing.ts";
import { BankDirectoryError, loadBankDirectoryFile, searchBanks } from "./bank-directory.ts";

const dir = mkdtempSync(join(tmpdir(), "kontor-banks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(content: unknown): string {
  const path = join(dir, `banks-${files++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const musterbank = {
  id: "musterbank",
  name: "Musterbank Berlin",
  bic: "MUSTDEB1XXX",
  xs2aBaseUrl: "https://xs2a.musterbank.example/xs2a/",
  scaApproaches: ["REDIRECT", "DECOUPLED"],
};
const nordbank = {
  id: "nordbank",
  name: "Nordbank",
  bic: "nordde2h",
  xs2aBaseUrl: "http://127.0.0.1:9999/xs2a",
  scaApproaches: ["EMBEDDED"],
};

function problemsOf(content: unknown): string {
  const path = file(content);
  try {
    loadBankDirectoryFile(path);
  } catch (error) {
    expect(error).toBeInstanceOf(BankDirectoryError);
    return (error as Error).message;
  }
  throw new Error("the file was accepted");
}

describe("the bank directory file", () => {
  it("loads every entry, with the BIC in capitals and the base URL without a trailing slash", () => {
    expect(loadBankDirectoryFile(file({ banks: [musterbank, nordbank] }))).toEqual([
      { ...musterbank, xs2aBaseUrl: "https://xs2a.musterbank.example/xs2a" },
      { ...nordbank, bic: "NORDDE2H" },
    ]);
    expect(loadBankDirectoryFile(file({ banks: [] }))).toEqual([]);
  });

  it("names the missing fields of an entry", () => {
    const message = problemsOf({ banks: [musterbank, { name: "Half a bank" }] });
    expect(message).toContain("banks[1].id: missing");
    expect(message).toContain("banks[1].bic: missing");
    expect(message).toContain("banks[1].xs2aBaseUrl: missing");
    expect(message).toContain("banks[1].scaApproaches: missing");
    expect(message).not.toContain("banks[0]");
  });

  it("says which value is wrong: BIC, URL, SCA approach, unknown field — all at once", () => {
    const message = problemsOf({
      banks: [
        {
          ...musterbank,
          bic: "MUSTER",
          xs2aBaseUrl: "ftp://musterbank.example",
          scaApproaches: ["REDIRECT", "SMS"],
          logo: "x.png",
        },
      ],
    });
    expect(message.split("\n").slice(1)).toEqual([
      '  banks[0] (musterbank).bic: expected a BIC (8 or 11 characters), got "MUSTER"',
      '  banks[0] (musterbank).xs2aBaseUrl: expected an http(s) URL, got "ftp://musterbank.example"',
      '  banks[0] (musterbank).scaApproaches[1]: unknown SCA approach "SMS"; expected one of REDIRECT, DECOUPLED, EMBEDDED, OAUTH',
      '  banks[0] (musterbank): Unrecognized key: "logo"',
    ]);
    expect(problemsOf({ banks: [{ ...musterbank, scaApproaches: [] }] })).toContain(
      "banks[0] (musterbank).scaApproaches: name at least one SCA approach",
    );
    expect(problemsOf({ banks: [{ ...musterbank, scaApproaches: "REDIRECT" }] })).toContain(
      'banks[0] (musterbank).scaApproaches: expected a list such as ["REDIRECT"]',
    );
    expect(problemsOf({ banks: [{ ...musterbank, id: "Muster Bank" }] })).toContain(
      "banks[0] (Muster Bank).id: expected lower-case letters, digits and dashes",
    );
  });

  it("refuses a duplicate id or BIC, and the sandbox bank's id", () => {
    expect(problemsOf({ banks: [musterbank, { ...nordbank, id: "musterbank" }] })).toContain(
      'banks[1] (musterbank).id: "musterbank" is already the id of banks[0]',
    );
    expect(problemsOf({ banks: [musterbank, { ...nordbank, bic: "mustdeb1xxx" }] })).toContain(
      "banks[1] (nordbank).bic: MUSTDEB1XXX is already the BIC of banks[0]",
    );
    expect(problemsOf({ banks: [{ ...musterbank, id: "kontor-sandbox" }] })).toContain(
      'banks[0] (kontor-sandbox).id: "kontor-sandbox" is the sandbox bank\'s id',
    );
  });

  it("refuses a file that is missing, not JSON, or not a list of banks", () => {
    expect(() => loadBankDirectoryFile(join(dir, "nothing.json"))).toThrow(/nothing\.json: cannot be read/);
    expect(problemsOf("{ banks: [")).toMatch(/: not JSON \(/);
    expect(problemsOf([musterbank])).toContain('the file: expected an object { "banks": [ … ] }');
    expect(problemsOf({ bank: [musterbank] })).toContain("banks: missing");
  });

  it("searches by name or BIC prefix, case-insensitively, sorted by name", () => {
    const banks = loadBankDirectoryFile(file({ banks: [nordbank, musterbank] }));
    expect(searchBanks(banks, "").map((b) => b.id)).toEqual(["musterbank", "nordbank"]);
    expect(searchBanks(banks, "BERLIN").map((b) => b.id)).toEqual(["musterbank"]);
    expect(searchBanks(banks, "nordde").map((b) => b.id)).toEqual(["nordbank"]);
    expect(searchBanks(banks, "xs2a")).toEqual([]);
  });
});

describe("the directory in books", () => {
  let books: TestBooks;
  beforeAll(async () => {
    books = await createTestBooks({
      config: { extraBanks: loadBankDirectoryFile(file({ banks: [musterbank, nordbank] })) },
    });
  });
  afterAll(() => books.close());

  it("shows the file's banks in the bank search next to the sandbox bank, connectable by their approaches", async () => {
    const member = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(member.user.email, member.user.password);
    const all = await browser.get("/accounts/connect");
    expect(all.body).toContain("Kontor Sandbox Bank");
    expect(all.body).toContain("Musterbank Berlin");
    expect(all.body).toContain("NORDDE2H");
    const found = await browser.get("/accounts/connect?q=mustdeb");
    expect(found.body).toContain("Musterbank Berlin");
    expect(found.body).not.toContain("Kontor Sandbox Bank");
    expect(found.body).toContain('name="bankId" value="musterbank"');
    // EMBEDDED only: books cannot send the user to this bank, so it is listed without a Connect button.
    const nord = await browser.get("/accounts/connect?q=nord");
    expect(nord.body).toContain("Cannot be connected from Kontor");
    expect(nord.body).not.toContain('name="bankId" value="nordbank"');
  });

  it("stops books at start when BOOKS_BANK_DIRECTORY names a bad file", async () => {
    const bad = file({ banks: [{ ...musterbank, bic: "nope" }] });
    await expect(
      startBooks({
        port: 0,
        bankBaseUrl: "http://localhost:4000",
        seedDemo: false,
        logger: memoryLogger(),
        bankDirectoryFile: bad,
        worker: false,
      }),
    ).rejects.toThrow(/banks\[0\] \(musterbank\)\.bic: expected a BIC/);
  });
});
