import { z } from "zod";
import { MAX_PASSWORD_LENGTH } from "./password.ts";

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email().max(254));

export const passwordSchema = z.string().min(1).max(MAX_PASSWORD_LENGTH);

/** The login form. `next` is where to go afterwards (checked to be a local path by the route). */
export const loginForm = z.object({
  email: z.string().trim().toLowerCase().max(254),
  password: z.string().max(MAX_PASSWORD_LENGTH),
  next: z.string().max(2048).optional(),
});

export const switchOrganisationForm = z.object({
  organisationId: z.uuid(),
});
