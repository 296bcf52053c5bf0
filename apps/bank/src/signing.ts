import { createHmac, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { BankDB } from "./db/schema.ts";
import { sameToken } from "./psus/sessions.service.ts";

/**
 * The bank's secret for one purpose, made at the first start and kept in the database, so that what it signed
 * stays valid across restarts and across the processes of one bank.
 */
export async function signingKey(db: Kysely<BankDB>, purpose: string): Promise<Buffer> {
  await db
    .insertInto("signing_keys")
    .values({ purpose, secret: randomBytes(32).toString("hex") })
    .onConflict((oc) => oc.column("purpose").doNothing())
    .execute();
  const { secret } = await db
    .selectFrom("signing_keys")
    .select("secret")
    .where("purpose", "=", purpose)
    .executeTakeFirstOrThrow();
  return Buffer.from(secret, "hex");
}

/** `text` with a signature appended: text + "." + 128 bits of HMAC-SHA256, base64url. */
export function sign(key: Buffer, text: string): string {
  return `${text}.${mac(key, text)}`;
}

/** The text of a signed string, or undefined when it was not signed with this key. */
export function verified(key: Buffer, signed: string): string | undefined {
  const dot = signed.lastIndexOf(".");
  if (dot < 0) return undefined;
  const text = signed.slice(0, dot);
  return sameToken(signed.slice(dot + 1), mac(key, text)) ? text : undefined;
}

const mac = (key: Buffer, text: string) =>
  createHmac("sha256", key).update(text).digest().subarray(0, 16).toString("base64url");
