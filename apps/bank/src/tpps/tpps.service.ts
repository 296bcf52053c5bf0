import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { BankDB } from "../db/schema.ts";
import { AppError } from "../errors.ts";

/**
 * How a TPP presents itself to the sandbox. A production ASPSP identifies the TPP by its eIDAS QWAC in the
 * TLS handshake; the sandbox instead keeps a registry of TPPs and reads two headers:
 *   X-Sandbox-TPP-Id:  the TPP's authorisation number (e.g. "PSDDE-BAFIN-911001")
 *   X-Sandbox-TPP-Key: the secret issued when the TPP was registered
 * Every consent belongs to the TPP that created it; another TPP presenting its id gets CONSENT_UNKNOWN.
 */
export const TPP_ID_HEADER = "X-Sandbox-TPP-Id";
export const TPP_KEY_HEADER = "X-Sandbox-TPP-Key";

export interface Tpp {
  id: string;
  name: string;
  roles: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function registerTpp(
  db: Kysely<BankDB>,
  tpp: { id: string; name: string; key: string; roles?: string[] },
): Promise<Tpp> {
  const row = {
    id: tpp.id,
    name: tpp.name,
    key_hash: sha256(tpp.key),
    roles: tpp.roles ?? ["PSP_AI", "PSP_PI"],
  };
  await db
    .insertInto("tpps")
    .values(row)
    .onConflict((oc) =>
      oc.column("id").doUpdateSet({ name: row.name, key_hash: row.key_hash, roles: row.roles }),
    )
    .execute();
  return { id: row.id, name: row.name, roles: row.roles };
}

export async function authenticateTpp(
  db: Kysely<BankDB>,
  id: string | undefined,
  key: string | undefined,
): Promise<Tpp> {
  if (!id || !key) {
    throw new AppError(
      "CERTIFICATE_MISSING",
      `The TPP is not identified: send the headers ${TPP_ID_HEADER} and ${TPP_KEY_HEADER}.`,
    );
  }
  const row = await db
    .selectFrom("tpps")
    .select(["id", "name", "roles", "key_hash"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row || row.key_hash !== sha256(key)) {
    throw new AppError("CERTIFICATE_INVALID", "Unknown TPP or wrong key.");
  }
  return { id: row.id, name: row.name, roles: row.roles };
}

export function requireRole(tpp: Tpp, role: "PSP_AI" | "PSP_PI"): void {
  if (!tpp.roles.includes(role)) throw new AppError("ROLE_INVALID", `The TPP lacks the role ${role}.`);
}
