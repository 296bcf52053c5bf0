import { Hono } from "hono";
import { z } from "zod";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { registerTpp } from "../tpps/tpps.service.ts";
import { controlsSchema } from "./controls.ts";

const tppSchema = z.object({
  id: z.string().min(3).max(64),
  name: z.string().min(1).max(200),
  key: z.string().min(16).max(200),
  roles: z.array(z.enum(["PSP_AI", "PSP_PI"])).optional(),
});

/**
 * Sandbox-only API (never part of XS2A): switch faults on and off, register TPPs. Enabled by `sandboxApi`.
 *   GET  /sandbox/controls        current controls
 *   PUT  /sandbox/controls        replace them (JSON, every field optional, unknown fields rejected)
 *   POST /sandbox/tpps            register a TPP { id, name, key, roles? }
 */
export function sandboxRoutes(deps: BankDeps) {
  const app = new Hono();
  app.get("/controls", (c) => c.json(deps.controls.get()));
  app.put("/controls", async (c) => {
    const parsed = controlsSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError("FORMAT_ERROR", `${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    return c.json(deps.controls.set(parsed.data));
  });
  app.post("/tpps", async (c) => {
    const parsed = tppSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError("FORMAT_ERROR", `${issue.path.join(".") || "body"}: ${issue.message}`);
    }
    return c.json(await registerTpp(deps.db, parsed.data), 201);
  });
  return app;
}
