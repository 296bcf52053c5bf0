import { createHash } from "node:crypto";
import * as repo from "@kontor/throttle";
import type { BankDeps } from "../deps.ts";
import { authenticatePsu } from "./sessions.service.ts";

/**
 * Password guessing protection for every place a PSU types a password (the online-banking login, which the
 * banking app's pages also use, and the redirect-SCA login page). Two counters per attempt:
 *
 * - the login typed: 5 wrong passwords within 15 minutes lock that login for 15 minutes. The key is the
 *   login whether or not it exists, so an unknown login is answered exactly like a known one;
 * - the client's address: 30 wrong passwords within 15 minutes lock the address for 15 minutes, against
 *   one client trying a few passwords on many logins. A right password does not count here, but it does
 *   not reset this counter either: one account of one's own must not buy more guesses on others.
 *
 * A right password resets the login's counter. While locked, even the right password is refused (the
 * attacker must not learn that a guess was right) and no password is checked, which also spares the
 * scrypt work under attack.
 */
export const LOGIN_POLICY = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;
export const ADDRESS_POLICY = { maxFailures: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export type LoginAttempt =
  | { outcome: "ok"; psu: { id: string; login: string; displayName: string } }
  | { outcome: "wrong" }
  | { outcome: "throttled"; retryAt: Date };

const loginKey = (login: string) => `login:${createHash("sha256").update(login.trim()).digest("hex")}`;
const addressKey = (address: string) => `ip:${address}`;

/** Checks a login and password from `address` (see clientAddress) under the throttle. */
export async function attemptLogin(
  deps: BankDeps,
  input: { login: string; password: string; address: string },
): Promise<LoginAttempt> {
  const { db } = deps;
  const now = deps.clock.now();
  const byAddress = addressKey(input.address);
  const byLogin = loginKey(input.login);
  // The address first: a locked address does not get to use up (or lock) a login's attempts.
  const address = await repo.countAttempt(db, byAddress, now, ADDRESS_POLICY);
  if (address.lockedUntil) return { outcome: "throttled", retryAt: address.lockedUntil };
  const login = await repo.countAttempt(db, byLogin, now, LOGIN_POLICY);
  if (login.lockedUntil) return { outcome: "throttled", retryAt: login.lockedUntil };

  const psu = await authenticatePsu(deps, input.login, input.password);
  if (psu) {
    await repo.clearKey(db, byLogin);
    await repo.uncountAttempt(db, byAddress);
    // Housekeeping on the quiet path, not on every wrong password: a stale row counts as a fresh window anyway.
    await repo.deleteStale(db, now, Math.max(LOGIN_POLICY.windowMs, ADDRESS_POLICY.windowMs));
    return { outcome: "ok", psu };
  }
  const lockedUntil = latest([
    await repo.lockIfExhausted(db, byAddress, now, ADDRESS_POLICY),
    await repo.lockIfExhausted(db, byLogin, now, LOGIN_POLICY),
  ]);
  if (lockedUntil) {
    deps.log({ level: "warn", msg: "login locked after failed attempts", address: input.address });
    return { outcome: "throttled", retryAt: lockedUntil };
  }
  return { outcome: "wrong" };
}

function latest(dates: (Date | null)[]): Date | null {
  return dates.reduce<Date | null>((a, b) => (!b ? a : !a || b > a ? b : a), null);
}
