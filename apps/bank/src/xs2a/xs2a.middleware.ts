import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context, MiddlewareHandler } from "hono";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { authenticateTpp, TPP_ID_HEADER, TPP_KEY_HEADER, type Tpp } from "../tpps/tpps.service.ts";

export type Xs2aEnv = {
  Bindings: { incoming?: IncomingMessage; outgoing?: ServerResponse };
  Variables: { requestId: string; tpp: Tpp };
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** X-Request-ID is required on every XS2A request and echoed on every response, errors included. */
export function requestId(): MiddlewareHandler<Xs2aEnv> {
  return async (c, next) => {
    const id = c.req.header("X-Request-ID");
    c.set("requestId", id && UUID.test(id) ? id : crypto.randomUUID());
    c.header("X-Request-ID", c.get("requestId"));
    if (!id)
      throw new AppError("FORMAT_ERROR", "The header X-Request-ID is missing.", { path: "X-Request-ID" });
    if (!UUID.test(id))
      throw new AppError("FORMAT_ERROR", "X-Request-ID must be a UUID.", { path: "X-Request-ID" });
    await next();
  };
}

/**
 * Headers every XS2A request may carry, checked once for all endpoints: PSU-IP-Address is an IP address (the
 * spec's ipv4, and IPv6, which real PSUs have), and Accept, when sent, admits JSON, the only format this bank
 * answers in (406 REQUESTED_FORMATS_INVALID otherwise).
 */
export function checkHeaders(): MiddlewareHandler<Xs2aEnv> {
  return async (c, next) => {
    const ip = c.req.header("PSU-IP-Address");
    if (ip && !isIP(ip)) {
      throw new AppError("FORMAT_ERROR", "PSU-IP-Address is not an IP address.", { path: "PSU-IP-Address" });
    }
    const accept = c.req.header("Accept");
    if (accept && !acceptsJson(accept)) {
      throw new AppError(
        "REQUESTED_FORMATS_INVALID",
        `This bank answers in application/json only, not ${accept}.`,
        {
          path: "Accept",
        },
      );
    }
    await next();
  };
}

function acceptsJson(accept: string): boolean {
  return accept.split(",").some((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const refused = params.some((p) => /^q=0(\.0*)?$/.test(p));
    return !refused && (type === "application/json" || type === "application/*" || type === "*/*");
  });
}

/**
 * A TPP's identity is checked against the registry once per key and kept for a few seconds: the registry
 * changes rarely, and a query on every read cost a fifth of the transactions endpoint's throughput.
 */
const TPP_CACHE_MS = 10_000;

export function identifyTpp(deps: BankDeps): MiddlewareHandler<Xs2aEnv> {
  const cache = new Map<string, { tpp: Tpp; until: number }>();
  return async (c, next) => {
    const id = c.req.header(TPP_ID_HEADER);
    const key = c.req.header(TPP_KEY_HEADER);
    const cacheKey = `${id}\u0000${key}`;
    const hit = cache.get(cacheKey);
    const now = Date.now();
    if (hit && hit.until > now) c.set("tpp", hit.tpp);
    else {
      const tpp = await authenticateTpp(deps.db, id, key);
      if (cache.size > 1000) cache.clear();
      cache.set(cacheKey, { tpp, until: now + TPP_CACHE_MS });
      c.set("tpp", tpp);
    }
    await next();
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The sandbox's faults, before the handler runs: latency, dropped connections, 500s and transient 429s.
 * Dropping and truncating need the raw socket, so they only happen over real HTTP (not app.request()).
 */
export function sandboxFaults(deps: BankDeps): MiddlewareHandler<Xs2aEnv> {
  return async (c, next) => {
    const controls = deps.controls.get();
    if (controls.latencyMs > 0) await sleep(controls.latencyMs);
    const incoming = c.env?.incoming;
    if (incoming && controls.dropRate > 0 && deps.controls.random() < controls.dropRate) {
      incoming.socket.destroy();
      return RESPONSE_ALREADY_SENT;
    }
    if (controls.errorRate > 0 && deps.controls.random() < controls.errorRate) {
      return c.body(null, 500);
    }
    if (controls.throttleRate > 0 && deps.controls.random() < controls.throttleRate) {
      c.header("Retry-After", String(controls.retryAfterSeconds));
      return c.json(tppMessages("ACCESS_EXCEEDED", "Too many requests; retry later."), 429);
    }
    await next();
  };
}

/** Cuts a successful transactions page off mid-body, as a flaky proxy or a dropped connection would. */
export async function maybeTruncate(
  deps: BankDeps,
  c: Context<Xs2aEnv>,
  response: Response,
): Promise<Response> {
  const outgoing = c.env?.outgoing;
  const rate = deps.controls.get().truncateRate;
  if (!outgoing || rate === 0 || response.status !== 200 || deps.controls.random() >= rate) return response;
  const body = Buffer.from(await response.arrayBuffer());
  outgoing.writeHead(200, {
    "Content-Type": "application/json",
    "Content-Length": String(body.length),
    "X-Request-ID": c.get("requestId"),
  });
  // Close only once the half has left: destroying the socket right after write() threw away what was still
  // queued in Node, so the client saw a reset with no status line at all instead of a short body.
  const socket = outgoing.socket;
  outgoing.write(body.subarray(0, Math.floor(body.length / 2)), () => socket?.destroySoon());
  return RESPONSE_ALREADY_SENT;
}

export function tppMessages(code: string, text: string, path?: string) {
  return { tppMessages: [{ category: "ERROR" as const, code, text, ...(path ? { path } : {}) }] };
}

export const psuIpAddress = (c: Context<Xs2aEnv>) => c.req.header("PSU-IP-Address") || undefined;

export function booleanHeader(c: Context<Xs2aEnv>, name: string): boolean | undefined {
  const value = c.req.header(name);
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new AppError("FORMAT_ERROR", `${name} is true or false.`, { path: name });
}
