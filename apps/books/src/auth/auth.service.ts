import { clearKey, countAttempt, lockIfExhausted } from "@kontor/throttle";
import { recordAudit } from "../audit/audit.service.ts";
import { AppError } from "../errors.ts";
import { getMembership, listOrganisationsOfUser } from "../organisations/organisations.service.ts";
import { type Permission, permissionsOf, type Role } from "../organisations/permissions.ts";
import { randomToken, sha256Hex } from "../security/keys.ts";
import type { AppDeps } from "../web/context.ts";
import { dummyHash, hashPassword, needsRehash, verifyPassword } from "./password.ts";
import {
  deleteExpiredSessions,
  deleteSession,
  findLiveSession,
  insertSession,
  updateSessionOrganisation,
} from "./sessions.repository.ts";
import { findUserByEmail, updatePasswordHash } from "./users.repository.ts";

/** The logged-in user, working in one of their organisations, as every authenticated handler sees them. */
export interface AuthContext {
  user: { id: string; email: string; name: string };
  organisation: { id: string; name: string };
  role: Role;
  permissions: ReadonlySet<Permission>;
  /** All organisations the user belongs to (for the organisation switch). */
  organisations: ReadonlyArray<{ id: string; name: string; role: Role }>;
  session: { tokenHash: string; csrfToken: string; expiresAt: Date };
}

type AuthDeps = Pick<AppDeps, "db" | "clock" | "logger">;

/** Absolute lifetime: a bookkeeping session with bank access ends the same working day. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Five wrong passwords for one email within 15 minutes lock that email's logins for 15 minutes. */
export const LOGIN_THROTTLE = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

export type LoginOutcome =
  | { ok: true; token: string; expiresAt: Date; userId: string; organisationId: string }
  | { ok: false; reason: "invalid_credentials" }
  | { ok: false; reason: "throttled"; retryAfterMs: number }
  | { ok: false; reason: "no_organisation" };

export function hashSessionToken(token: string): string {
  return sha256Hex(token);
}

export async function login(
  deps: AuthDeps,
  input: { email: string; password: string; requestId: string; replacesToken?: string | undefined },
): Promise<LoginOutcome> {
  const { db, clock, logger } = deps;
  const now = clock.now();
  const throttleKey = `email:${input.email}`;
  // Counted before the password is checked (@kontor/throttle), so concurrent guesses cannot exceed the limit.
  const attempt = await countAttempt(db, throttleKey, now, LOGIN_THROTTLE);
  if (attempt.lockedUntil) {
    logger.warn("login refused while locked", { requestId: input.requestId, email: input.email });
    return { ok: false, reason: "throttled", retryAfterMs: attempt.lockedUntil.getTime() - now.getTime() };
  }

  const user = await findUserByEmail(db, input.email);
  const passwordMatches = await verifyPassword(input.password, user?.passwordHash ?? (await dummyHash()));
  if (!user || !passwordMatches) {
    const lockedUntil = await lockIfExhausted(db, throttleKey, now, LOGIN_THROTTLE);
    if (user) {
      for (const organisation of await listOrganisationsOfUser(db, user.id)) {
        await recordAudit(db, clock, organisation.id, {
          actor: { userId: user.id, label: user.email },
          action: "auth.login_failed",
          details: { reason: lockedUntil ? "throttled" : "bad_password" },
          requestId: input.requestId,
        });
      }
    }
    logger.warn("login failed", {
      requestId: input.requestId,
      email: input.email,
      failures: attempt.failures,
    });
    return lockedUntil
      ? { ok: false, reason: "throttled", retryAfterMs: lockedUntil.getTime() - now.getTime() }
      : { ok: false, reason: "invalid_credentials" };
  }

  await clearKey(db, throttleKey);
  if (needsRehash(user.passwordHash)) {
    await updatePasswordHash(db, user.id, await hashPassword(input.password));
  }
  const organisations = await listOrganisationsOfUser(db, user.id);
  const organisation = organisations[0];
  if (!organisation) return { ok: false, reason: "no_organisation" };

  const token = randomToken();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await db.transaction().execute(async (trx) => {
    await deleteExpiredSessions(trx, now);
    // A new token at every login: a session id planted before login (fixation) never becomes authenticated.
    if (input.replacesToken) await deleteSession(trx, hashSessionToken(input.replacesToken));
    await insertSession(trx, {
      tokenHash: hashSessionToken(token),
      userId: user.id,
      organisationId: organisation.id,
      csrfToken: randomToken(),
      createdAt: now,
      expiresAt,
    });
    await recordAudit(trx, clock, organisation.id, {
      actor: { userId: user.id, label: user.email },
      action: "auth.login",
      requestId: input.requestId,
    });
  });
  return { ok: true, token, expiresAt, userId: user.id, organisationId: organisation.id };
}

/** The session a cookie's token belongs to, or null when it is unknown, expired or its membership is gone. */
export async function resolveSession(deps: AuthDeps, token: string): Promise<AuthContext | null> {
  const row = await findLiveSession(deps.db, hashSessionToken(token), deps.clock.now());
  if (!row) return null;
  return {
    user: { id: row.userId, email: row.email, name: row.userName },
    organisation: { id: row.organisationId, name: row.organisationName },
    role: row.role,
    permissions: permissionsOf(row.role),
    organisations: await listOrganisationsOfUser(deps.db, row.userId),
    session: { tokenHash: row.tokenHash, csrfToken: row.csrfToken, expiresAt: row.expiresAt },
  };
}

export async function logout(deps: AuthDeps, auth: AuthContext, requestId: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await deleteSession(trx, auth.session.tokenHash);
    await recordAudit(trx, deps.clock, auth.organisation.id, {
      actor: { userId: auth.user.id, label: auth.user.email },
      action: "auth.logout",
      requestId,
    });
  });
}

/** Moves the session into another organisation of the same user. */
export async function switchOrganisation(
  deps: AuthDeps,
  auth: AuthContext,
  organisationId: string,
  requestId: string,
): Promise<void> {
  // Not a member looks the same as no such organisation: ids of other tenants are not confirmed.
  if (!(await getMembership(deps.db, organisationId, auth.user.id))) {
    throw new AppError("not_found", { message: `organisation ${organisationId} for user ${auth.user.id}` });
  }
  if (organisationId === auth.organisation.id) return;
  await deps.db.transaction().execute(async (trx) => {
    await updateSessionOrganisation(trx, auth.session.tokenHash, auth.user.id, organisationId);
    await recordAudit(trx, deps.clock, organisationId, {
      actor: { userId: auth.user.id, label: auth.user.email },
      action: "organisation.switched",
      requestId,
    });
  });
}
