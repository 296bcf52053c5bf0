import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { BankDeps } from "../deps.ts";
import { verifyPassword } from "./password.ts";
import * as repo from "./sessions.repository.ts";

/**
 * Online-banking sessions. The browser holds a random 256-bit token in an HttpOnly cookie; the database holds
 * only its sha256, so a leaked table cannot be replayed. Sessions end after SESSION_HOURS whatever happens in
 * between (absolute expiry: a bank session should not live on because a tab keeps polling).
 */
export const SESSION_HOURS = 8;

export interface PsuSession {
  psuId: string;
  login: string;
  displayName: string;
  expiresAt: Date;
  /** The synchronizer token every state-changing form of this session carries (see csrfTokenOf). */
  csrfToken: string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * The CSRF token is an HMAC of the session token: it needs no column and no server key, dies with the
 * session, and cannot be computed by a page that cannot read the HttpOnly cookie.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("kontor-bank/csrf/v1").digest("base64url");
}

/** Constant-time comparison of two tokens (different lengths are simply unequal). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// A real scrypt hash of a throw-away password: an unknown login costs the same scrypt work as a known one,
// so response times do not tell which logins exist.
const DUMMY_HASH = "scrypt$32768$8$1$p4DAuwJPkpb2keidu9wcJw$WmU6Rave6sm2EVOjeIeWh1VjsXDLIXPnm6vaqryTBMg";

/** Checks a login and password; undefined for an unknown login and for a wrong password alike. */
export async function authenticatePsu(deps: BankDeps, login: string, password: string) {
  const psu = await repo.findPsuByLogin(deps.db, login.trim());
  const ok = await verifyPassword(password, psu?.password_hash ?? DUMMY_HASH);
  return psu && ok ? { id: psu.id, login: psu.login, displayName: psu.display_name } : undefined;
}

/** Starts a session; returns the raw token for the cookie (it is never stored). */
export async function startSession(deps: BankDeps, psuId: string) {
  const now = deps.clock.now();
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
  // Housekeeping on the rare write path keeps the table small without a job.
  await repo.deleteExpiredSessions(deps.db, now);
  await repo.insertSession(deps.db, { tokenHash: sha256(token), psuId, now, expiresAt });
  return { token, expiresAt };
}

export async function resumeSession(deps: BankDeps, token: string): Promise<PsuSession | undefined> {
  if (!token) return undefined;
  const row = await repo.findLiveSession(deps.db, sha256(token), deps.clock.now());
  if (!row) return undefined;
  return {
    psuId: row.psu_id,
    login: row.login,
    displayName: row.display_name,
    expiresAt: row.expires_at,
    csrfToken: csrfTokenOf(token),
  };
}

export async function endSession(deps: BankDeps, token: string) {
  if (token) await repo.deleteSession(deps.db, sha256(token));
}
