import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { BooksDatabase } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { Clock } from "../web/context.ts";
import { emailSchema, passwordSchema } from "./auth.schemas.ts";
import { hashPassword } from "./password.ts";
import { findUserByEmail, insertUser } from "./users.repository.ts";

type Db = Kysely<BooksDatabase>;

export interface User {
  id: string;
  email: string;
  name: string;
}

/** Creates a user, or returns the existing one with that email unchanged (its password is not touched). */
export async function ensureUser(
  db: Db,
  clock: Clock,
  input: { email: string; name: string; password: string; id?: string },
): Promise<User> {
  const email = emailSchema.safeParse(input.email);
  const password = passwordSchema.safeParse(input.password);
  if (!email.success || !password.success) {
    const issues = [
      ...(email.success ? [] : [{ path: "email", message: "not a valid email address" }]),
      ...(password.success ? [] : [{ path: "password", message: "not a valid password" }]),
    ];
    throw new AppError("validation_failed", { issues });
  }
  const existing = await findUserByEmail(db, email.data);
  if (existing) return { id: existing.id, email: existing.email, name: existing.name };
  const user = { id: input.id ?? randomUUID(), email: email.data, name: input.name.trim() };
  const passwordHash = await hashPassword(password.data);
  if (!(await insertUser(db, { ...user, passwordHash, createdAt: clock.now() }))) {
    // Created concurrently between our read and write: theirs stands.
    const winner = await findUserByEmail(db, email.data);
    if (!winner) throw new AppError("conflict", { message: `user ${email.data}` });
    return { id: winner.id, email: winner.email, name: winner.name };
  }
  return user;
}
