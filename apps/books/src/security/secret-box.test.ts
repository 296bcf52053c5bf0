import { describe, expect, it } from "vitest";
import { deriveKeys } from "./keys.ts";
import { createSecretBox } from "./secret-box.ts";

const keys = deriveKeys("a-test-secret-that-is-long-enough-for-hkdf");

describe("secret box", () => {
  it("seals and opens a value, with a fresh nonce each time", () => {
    const box = createSecretBox(keys.atRest);
    const first = box.seal("consent-123", "consent:org-1");
    const second = box.seal("consent-123", "consent:org-1");
    expect(first).not.toBe(second);
    expect(first).not.toContain("consent-123");
    expect(box.open(first, "consent:org-1")).toBe("consent-123");
  });

  it("refuses another context, a tampered value and another key", () => {
    const box = createSecretBox(keys.atRest);
    const sealed = box.seal("token", "consent:org-1");
    expect(() => box.open(sealed, "consent:org-2")).toThrow(/does not open/);
    const [v, nonce, ciphertext = "", tag] = sealed.split(".");
    const flipped = `${v}.${nonce}.${ciphertext.startsWith("A") ? "B" : "A"}${ciphertext.slice(1)}.${tag}`;
    expect(() => box.open(flipped, "consent:org-1")).toThrow(/does not open/);
    const otherKey = createSecretBox(deriveKeys("another-secret-that-is-long-enough-too").atRest);
    expect(() => otherKey.open(sealed, "consent:org-1")).toThrow(/does not open/);
    expect(() => box.open("plain", "consent:org-1")).toThrow(/not a sealed value/);
  });

  it("derives different keys per purpose and refuses short secrets", () => {
    expect(keys.atRest.equals(keys.csrf)).toBe(false);
    expect(() => deriveKeys("short")).toThrow(/at least 32/);
  });
});
