/**
 * The load generator, run as its own process (so it does not share the server's event loop):
 *   node bench/lib/load.ts '<json {urls, headers, connections, seconds}>'
 * Requests cycle through `urls` (one origin), each with a fresh X-Request-ID; prints one JSON line
 * {rps, p99, errors, requests}.
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";

const { urls, headers, connections, seconds } = JSON.parse(process.argv[2] ?? "{}") as {
  urls: string[];
  headers: Record<string, string>;
  connections: number;
  seconds: number;
};
const origin = new URL(urls[0]!).origin;
const paths = urls.map((u) => {
  const url = new URL(u);
  return url.pathname + url.search;
});
let next = 0;
const result = await autocannon({
  url: origin,
  connections,
  duration: seconds,
  headers,
  requests: [
    {
      setupRequest(request) {
        return {
          ...request,
          path: paths[next++ % paths.length]!,
          headers: { ...request.headers, "X-Request-ID": randomUUID() },
        };
      },
    },
  ],
});
process.stdout.write(
  `${JSON.stringify({ rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx, requests: result.requests.total })}\n`,
);
