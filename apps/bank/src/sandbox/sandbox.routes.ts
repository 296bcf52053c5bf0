import { type Context, Hono } from "hono";
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
  // A write must say it is JSON. A browser sends application/json cross-site only after a CORS preflight,
  // which this bank never grants; text/plain needs none, so a page elsewhere could otherwise register a TPP.
  app.use("*", async (c, next) => {
    if (
      c.req.method !== "GET" &&
      c.req.method !== "HEAD" &&
      !JSON_TYPE.test(c.req.header("Content-Type") ?? "")
    ) {
      throw new AppError("FORMAT_ERROR", "The body must be sent as Content-Type: application/json.", {
        path: "Content-Type",
        status: 415,
      });
    }
    await next();
  });
  app.get("/controls", (c) => c.json(deps.controls.get()));
  app.put("/controls", async (c) => {
    const data = parseBody(controlsSchema, await readJson(c));
    return c.json(deps.controls.set(data));
  });
  app.post("/tpps", async (c) => {
    const data = parseBody(tppSchema, await readJson(c));
    return c.json(await registerTpp(deps.db, data), 201);
  });
  return app;
}

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const NOT_JSON = Symbol("not JSON");

async function readJson(c: Context): Promise<unknown> {
  const body: unknown = await c.req.json().catch(() => NOT_JSON);
  if (body === NOT_JSON) throw new AppError("FORMAT_ERROR", "The body is not valid JSON.", { path: "body" });
  return body;
}

/** The first problem of the body, with the path of the field it is about (app.ts answers it as JSON). */
function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const path = [...issue.path.map(String), ...keys.slice(0, 1)].join(".") || "body";
  throw new AppError("FORMAT_ERROR", `${path}: ${issue.message}`, { path });
}
