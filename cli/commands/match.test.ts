import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "packages/matching/src/fixtures");

/** Runs the real command line, as a user would. */
function kontor(...args: string[]) {
  const r = spawnSync(process.execPath, [join(root, "bin/kontor.js"), ...args], {
    cwd: root,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("kontor match", () => {
  it("prints the golden suggestions for the golden dataset", () => {
    const r = kontor("match", "--input", join(fixtures, "golden-input.json"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(fixtures, "golden-expected.json"), "utf8")),
    );
  });

  it("names the bad field of a malformed dataset and exits non-zero", () => {
    const dir = mkdtempSync(join(tmpdir(), "kontor-match-"));
    const file = join(dir, "bad.json");
    const input = JSON.parse(readFileSync(join(fixtures, "golden-input.json"), "utf8"));
    input.documents[2].openAmount = "12,50";
    delete input.transactions[0].bookingDate;
    writeFileSync(file, JSON.stringify(input));
    const r = kontor("match", "--input", file);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("documents[2].openAmount");
    expect(r.stderr).toContain('"12,50" is not a decimal amount');
    expect(r.stderr).toContain("transactions[0].bookingDate");
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it("says so when the file is not JSON, missing, or not given", () => {
    const dir = mkdtempSync(join(tmpdir(), "kontor-match-"));
    writeFileSync(join(dir, "x.json"), "{ not json");
    const notJson = kontor("match", "--input", join(dir, "x.json"));
    expect(notJson.code).not.toBe(0);
    expect(notJson.stderr).toMatch(/is not valid JSON/);
    const missing = kontor("match", "--input", join(dir, "nope.json"));
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/cannot read .*nope\.json \(ENOENT\)/);
    const usage = kontor("match");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing --input FILE/);
  });
});
