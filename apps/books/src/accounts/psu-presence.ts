import { isIP } from "node:net";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { PsuPresence } from "../connectors/connector.ts";
import type { AppContext } from "../web/context.ts";

/**
 * The user's own address and browser, sent to the bank as PSU-IP-Address / PSU-User-Agent: the user is
 * present, so the bank counts no unattended read, and its fraud checks see the real client.
 *
 * Behind `trustProxy` reverse proxies, the address is taken from X-Forwarded-For, counting that many entries
 * from the right: each proxy appends the address it was connected from, so the entries to the right are
 * written by our own proxies and the one left of them is the client they saw. Anything further left was sent
 * by the client and could be anything. Without trusted proxies the header is ignored: anyone can send it.
 */
export function psuPresence(c: AppContext): PsuPresence {
  const address = clientAddress(
    c.req.header("x-forwarded-for"),
    socketAddress(c),
    c.var.deps.config.trustProxy,
  );
  const agent = c.req.header("user-agent");
  return {
    ...(address ? { psuIpAddress: address } : {}),
    ...(agent ? { psuUserAgent: agent.slice(0, 200) } : {}),
  };
}

function socketAddress(c: AppContext): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // In-process requests without a socket: the read is then unattended, which is the safe side.
    return undefined;
  }
}

/** The client's address: the trustProxy-th X-Forwarded-For entry from the right, else the socket's. */
export function clientAddress(
  forwardedFor: string | undefined,
  socket: string | undefined,
  trustProxy: number,
): string | undefined {
  if (trustProxy <= 0 || !forwardedFor) return socket;
  const hops = forwardedFor
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  const candidate = hops[hops.length - trustProxy];
  // Fewer entries than proxies, or garbage: the proxy chain is not what the operator described.
  return candidate !== undefined && isIP(candidate) !== 0 ? candidate : socket;
}
