import { isIPv6 } from "node:net";
import type { Context } from "hono";

/**
 * The address the login throttle counts a client under: the TCP peer as @hono/node-server hands it over
 * (the bank is reached directly, not through a proxy, so X-Forwarded-For would be the client's own claim).
 * An IPv6 client is counted per /64, the block one customer line gets, or every guess could come from a new
 * address. Without a socket (in-process requests) every client shares "unknown", which throttles rather
 * than exempts them.
 */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return throttleAddress(env?.incoming?.socket?.remoteAddress);
}

/** "::ffff:192.0.2.1" → "192.0.2.1"; "2001:db8:1:2:3::4" → "2001:db8:1:2::/64"; nothing → "unknown". */
export function throttleAddress(raw: string | undefined): string {
  if (!raw) return "unknown";
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  if (v4) return v4[1]!;
  if (!isIPv6(raw)) return raw;
  return `${expandIpv6(raw).slice(0, 4).join(":")}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ""));
}
