import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * One master secret (KONTOR_SECRET) and, derived from it with HKDF, one key per purpose, so a key that
 * leaks through one use cannot be replayed in another.
 */
export interface BooksKeys {
  /** AES-256-GCM key for tokens and consent ids stored at rest (security/secret-box.ts). */
  atRest: Buffer;
  /** HMAC key signing the pre-session CSRF token of anonymous forms (web/csrf.ts). */
  csrf: Buffer;
}

export const MIN_SECRET_LENGTH = 32;

export function deriveKeys(secret: string): BooksKeys {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`the secret must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  const derive = (purpose: string) =>
    Buffer.from(hkdfSync("sha256", secret, "kontor-books", purpose, 32) as ArrayBuffer);
  return { atRest: derive("books/at-rest/v1"), csrf: derive("books/csrf/v1") };
}

/** 32 random bytes as base64url (43 characters). */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hmacBase64url(key: Buffer, text: string): string {
  return createHmac("sha256", key).update(text).digest("base64url");
}

/** Compares two secrets in time independent of where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export const SECRET_FILE = "books-secret.key";

/**
 * For the embedded demo: the secret lives in `${dataDir}/books-secret.key` (mode 0600), created on first
 * start. Losing the file makes the stored tokens unreadable, so it sits beside the database it protects.
 */
export function loadOrCreateSecretFile(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, SECRET_FILE);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `${randomToken()}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process created it first: read theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length < MIN_SECRET_LENGTH)
    throw new Error(`${path} holds no usable secret; delete it to make a new one`);
  return secret;
}
