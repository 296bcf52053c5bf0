import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  parseRetryAfter,
  SANDBOX_TPP_ID_HEADER,
  SANDBOX_TPP_KEY_HEADER,
  Xs2aClient,
  type Xs2aClientOptions,
} from "./client.ts";
import { Xs2aError } from "./errors.ts";
import type { ConsentsRequest } from "./schemas.ts";

/** A real HTTP server answering each request with the next scripted handler. */
interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let origin: string;
let script: Handler[];
let requests: Recorded[];
let slept: number[];

beforeEach(async () => {
  script = [];
  requests = [];
  slept = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const handler = script.shift();
      if (handler) handler(req, res, body);
      else
        json(500, { tppMessages: [{ category: "ERROR", code: "INTERNAL", text: "script exhausted" }] })(
          req,
          res,
          body,
        );
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, "close");
});

function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

function client(overrides: Partial<Xs2aClientOptions> = {}): Xs2aClient {
  return new Xs2aClient({
    baseUrl: `${origin}/xs2a`,
    tpp: { id: "PSDDE-BAFIN-911001", key: "s3cret" },
    timeoutMs: 2_000,
    retries: 3,
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    now: () => new Date("2026-03-02T10:00:00Z"),
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Xs2aError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Xs2aError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

const accounts = {
  accounts: [{ resourceId: "acc-1", iban: "DE89370400440532013000", currency: "EUR", name: "Main" }],
};

const consentBody: ConsentsRequest = {
  access: { availableAccounts: "allAccounts" },
  recurringIndicator: false,
  validUntil: "2026-03-02",
  frequencyPerDay: 1,
  combinedServiceIndicator: false,
};

function tx(id: string, amount: string) {
  return { transactionId: id, bookingDate: "2026-03-02", transactionAmount: { currency: "EUR", amount } };
}

describe("Xs2aClient requests", () => {
  it("sends the TPP headers, Consent-ID, PSU-IP-Address and a fresh X-Request-ID per request", async () => {
    script.push(json(200, accounts), json(200, accounts));
    const api = client();
    await api.listAccounts("consent-1", { withBalance: true, psuIpAddress: "192.0.2.10" });
    await api.listAccounts("consent-1");
    const [first, second] = requests;
    expect(first?.url).toBe("/xs2a/v1/accounts?withBalance=true");
    expect(first?.headers["x-sandbox-tpp-id"]).toBe("PSDDE-BAFIN-911001");
    expect(first?.headers["x-sandbox-tpp-key"]).toBe("s3cret");
    expect(first?.headers["consent-id"]).toBe("consent-1");
    expect(first?.headers["psu-ip-address"]).toBe("192.0.2.10");
    expect(second?.headers["psu-ip-address"]).toBeUndefined();
    expect(first?.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(first?.headers["x-request-id"]).not.toBe(second?.headers["x-request-id"]);
  });

  it("creates a consent asking for redirect SCA and reports the SCA approach and Location", async () => {
    script.push(
      json(
        201,
        {
          consentStatus: "received",
          consentId: "c-1",
          _links: { scaRedirect: { href: `${origin}/sca/c-1` } },
        },
        { "ASPSP-SCA-Approach": "REDIRECT", Location: "/xs2a/v1/consents/c-1" },
      ),
    );
    const created = await client().createConsent(consentBody, {
      redirectUri: "http://localhost:3000/bank/callback?state=ok",
      nokRedirectUri: "http://localhost:3000/bank/callback?state=nok",
      psuIpAddress: "192.0.2.10",
    });
    expect(created.consent.consentId).toBe("c-1");
    expect(created.scaApproach).toBe("REDIRECT");
    expect(created.location).toBe("/xs2a/v1/consents/c-1");
    const sent = requests[0];
    expect(sent?.method).toBe("POST");
    expect(sent?.url).toBe("/xs2a/v1/consents");
    expect(JSON.parse(sent?.body ?? "")).toEqual(consentBody);
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["tpp-redirect-preferred"]).toBe("true");
    expect(sent?.headers["tpp-redirect-uri"]).toBe("http://localhost:3000/bank/callback?state=ok");
    expect(sent?.headers["tpp-nok-redirect-uri"]).toBe("http://localhost:3000/bank/callback?state=nok");
    expect(created.requestId).toBe(sent?.headers["x-request-id"]);
  });

  it("lets an identify hook replace the sandbox headers", async () => {
    script.push(json(200, { consentStatus: "valid" }));
    const api = client({
      tpp: undefined,
      identify: (headers) => headers.set("TPP-Signature-Certificate", "MIIBdummy"),
    });
    await api.getConsentStatus("c-1");
    expect(requests[0]?.headers[SANDBOX_TPP_ID_HEADER.toLowerCase()]).toBeUndefined();
    expect(requests[0]?.headers[SANDBOX_TPP_KEY_HEADER.toLowerCase()]).toBeUndefined();
    expect(requests[0]?.headers["tpp-signature-certificate"]).toBe("MIIBdummy");
  });

  it("unwraps transaction details in the spec's nested shape and in the flat shape", async () => {
    const transaction = { ...tx("t-1", "-12.50"), remittanceInformationUnstructured: "RE-1" };
    script.push(
      json(200, { transactionsDetails: { transactionDetails: transaction } }),
      json(200, { transactionsDetails: transaction }),
    );
    const api = client();
    expect(await api.getTransactionDetails("c-1", "acc-1", "t-1")).toEqual(transaction);
    expect(await api.getTransactionDetails("c-1", "acc-1", "t-1")).toEqual(transaction);
    expect(requests[0]?.url).toBe("/xs2a/v1/accounts/acc-1/transactions/t-1");
  });

  it("deletes a consent (204, no body)", async () => {
    script.push((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(client().deleteConsent("c/1")).resolves.toBeUndefined();
    expect(requests[0]).toMatchObject({ method: "DELETE", url: "/xs2a/v1/consents/c%2F1" });
  });
});

describe("Xs2aClient errors and retries", () => {
  it("retries a GET after a 500 and succeeds, with a new X-Request-ID", async () => {
    script.push(
      json(500, { tppMessages: [{ category: "ERROR", code: "INTERNAL_SERVER_ERROR" }] }),
      json(200, accounts),
    );
    const result = await client({ retryBaseDelayMs: 400 }).listAccounts("c-1");
    expect(result.accounts[0]?.iban).toBe("DE89370400440532013000");
    expect(requests).toHaveLength(2);
    expect(requests[0]?.headers["x-request-id"]).not.toBe(requests[1]?.headers["x-request-id"]);
    // equal jitter: half the step plus random (0.5 here) times the other half
    expect(slept).toEqual([300]);
  });

  it("backs off exponentially and gives up after `retries`, reporting a retryable error", async () => {
    for (let i = 0; i < 4; i++)
      script.push(json(503, { tppMessages: [{ category: "ERROR", code: "SERVICE_UNAVAILABLE" }] }));
    const error = await rejection(client({ retryBaseDelayMs: 100, random: () => 0 }).getConsentStatus("c-1"));
    expect(requests).toHaveLength(4);
    expect(slept).toEqual([50, 100, 200]);
    expect(error).toMatchObject({ code: "HTTP_ERROR", status: 503, retryable: true, attempts: 4 });
    expect(error.requestId).toBe(requests[3]?.headers["x-request-id"]);
  });

  it("honours Retry-After in seconds and as an HTTP date", async () => {
    script.push(
      json(429, { tppMessages: [{ category: "ERROR", code: "ACCESS_EXCEEDED" }] }, { "Retry-After": "7" }),
      json(503, {}, { "Retry-After": "Mon, 02 Mar 2026 10:00:30 GMT" }),
      json(200, accounts),
    );
    await client().listAccounts("c-1");
    expect(slept).toEqual([7_000, 30_000]);
  });

  it("does not wait out a Retry-After longer than maxRetryDelayMs but reports it", async () => {
    script.push(
      json(429, { tppMessages: [{ category: "ERROR", code: "ACCESS_EXCEEDED" }] }, { "Retry-After": "3600" }),
    );
    const error = await rejection(client().listAccounts("c-1"));
    expect(requests).toHaveLength(1);
    expect(slept).toEqual([]);
    expect(error).toMatchObject({
      status: 429,
      codes: ["ACCESS_EXCEEDED"],
      retryable: true,
      retryAfterMs: 3_600_000,
    });
  });

  it("does not retry the daily access limit (429 without Retry-After): each retry would count as a read", async () => {
    script.push(json(429, { tppMessages: [{ category: "ERROR", code: "ACCESS_EXCEEDED" }] }));
    const error = await rejection(client().listAccounts("c-1"));
    expect(requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 429, codes: ["ACCESS_EXCEEDED"], retryable: false });
  });

  it("retries a POST on 429 with Retry-After, but never on a 500", async () => {
    const created = {
      consentStatus: "received",
      consentId: "c-2",
      _links: { scaRedirect: { href: "/sca" } },
    };
    script.push(
      json(429, { tppMessages: [{ category: "ERROR", code: "ACCESS_EXCEEDED" }] }, { "Retry-After": "1" }),
    );
    script.push(json(201, created));
    const api = client();
    const options = { redirectUri: "http://localhost:3000/cb" };
    expect((await api.createConsent(consentBody, options)).consent.consentId).toBe("c-2");
    expect(requests).toHaveLength(2);

    script.push(json(500, { tppMessages: [{ category: "ERROR", code: "INTERNAL_SERVER_ERROR" }] }));
    const error = await rejection(api.createConsent(consentBody, options));
    expect(requests).toHaveLength(3);
    expect(error).toMatchObject({ status: 500, retryable: false, attempts: 1 });
  });

  it("does not retry a client error and exposes the tppMessages codes", async () => {
    script.push(
      json(401, {
        tppMessages: [{ category: "ERROR", code: "CONSENT_EXPIRED", text: "The consent has expired" }],
      }),
    );
    const error = await rejection(
      client().getTransactionsPage("c-1", "acc-1", { dateFrom: "2026-01-01", bookingStatus: "booked" }),
    );
    expect(requests).toHaveLength(1);
    expect(error).toMatchObject({
      code: "HTTP_ERROR",
      status: 401,
      codes: ["CONSENT_EXPIRED"],
      retryable: false,
    });
    expect(error.hasCode("CONSENT_EXPIRED")).toBe(true);
    expect(error.message).toContain("HTTP 401 CONSENT_EXPIRED: The consent has expired");
  });

  it("reads codes from an application/problem+json error body", async () => {
    script.push(json(400, { type: "https://berlin-group.org/problems/FORMAT_ERROR", code: "FORMAT_ERROR" }));
    const error = await rejection(client().getConsent("c-1"));
    expect(error.codes).toEqual(["FORMAT_ERROR"]);
  });

  it("times out a request that hangs, and retries it", async () => {
    script.push(
      () => {},
      () => {},
      json(200, accounts),
    );
    const result = await client({ timeoutMs: 100 }).listAccounts("c-1");
    expect(result.accounts).toHaveLength(1);
    expect(requests).toHaveLength(3);

    script.push(
      () => {},
      () => {},
    );
    const error = await rejection(client({ timeoutMs: 100, retries: 1 }).listAccounts("c-1"));
    expect(error).toMatchObject({ code: "TIMEOUT", retryable: true, attempts: 2, status: undefined });
  });

  it("retries a GET whose connection closes mid-body", async () => {
    script.push(
      (_req, res) => {
        const full = JSON.stringify(accounts);
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(full.length) });
        res.write(full.slice(0, 20));
        setImmediate(() => res.socket?.destroy());
      },
      json(200, accounts),
    );
    const result = await client().listAccounts("c-1");
    expect(result.accounts[0]?.resourceId).toBe("acc-1");
    expect(requests).toHaveLength(2);
  });

  it("retries a GET whose 200 body is cut-off JSON", async () => {
    script.push(
      (_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end('{"accounts":[{"resourceId":"acc');
      },
      json(200, accounts),
    );
    await client().listAccounts("c-1");
    expect(requests).toHaveLength(2);
  });

  it("rejects a body that does not match the schema, naming the field, without retrying", async () => {
    script.push(
      json(200, {
        accounts: [
          { resourceId: "acc-1", currency: "EUR" },
          { resourceId: "acc-2", currency: "euro" },
        ],
      }),
    );
    const error = await rejection(client().listAccounts("c-1"));
    expect(requests).toHaveLength(1);
    expect(error).toMatchObject({ code: "INVALID_RESPONSE", status: 200, retryable: false });
    expect(error.message).toContain("accounts.1.currency");
  });

  it("retries a POST whose connection was refused, since nothing reached the bank", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const api = client({ baseUrl: `http://127.0.0.1:${port}/xs2a`, retries: 2 });
    const error = await rejection(
      api.createConsent(consentBody, { redirectUri: "http://localhost:3000/cb" }),
    );
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true, attempts: 3 });
    expect(error.message).toContain("connection refused");
  });
});

describe("Xs2aClient paging", () => {
  it("follows _links.next in every href form until there is none", async () => {
    const account = { href: "/xs2a/v1/accounts/acc-1" };
    script.push(
      json(200, {
        account: { iban: "DE89370400440532013000" },
        transactions: {
          booked: [tx("t-1", "10.00")],
          _links: {
            account,
            next: { href: "/xs2a/v1/accounts/acc-1/transactions?page=2&bookingStatus=booked" },
          },
        },
      }),
      json(200, {
        transactions: {
          booked: [tx("t-2", "-5.25")],
          _links: { account, next: { href: "/v1/accounts/acc-1/transactions?page=3&bookingStatus=booked" } },
        },
      }),
      json(200, {
        transactions: {
          booked: [tx("t-3", "1.00")],
          _links: {
            account,
            next: { href: `${origin}/xs2a/v1/accounts/acc-1/transactions?page=4&bookingStatus=booked` },
          },
        },
      }),
      json(200, { transactions: { booked: [tx("t-4", "2.00")], _links: { account } }, balances: [] }),
    );
    const ids: string[] = [];
    for await (const page of client().iterateTransactions("c-1", "acc-1", {
      dateFrom: "2026-01-01",
      bookingStatus: "booked",
      psuIpAddress: "192.0.2.10",
    })) {
      for (const entry of page.transactions?.booked ?? []) ids.push(entry.transactionId ?? "");
    }
    expect(ids).toEqual(["t-1", "t-2", "t-3", "t-4"]);
    expect(requests.map((r) => r.url)).toEqual([
      "/xs2a/v1/accounts/acc-1/transactions?dateFrom=2026-01-01&bookingStatus=booked",
      "/xs2a/v1/accounts/acc-1/transactions?page=2&bookingStatus=booked",
      "/xs2a/v1/accounts/acc-1/transactions?page=3&bookingStatus=booked",
      "/xs2a/v1/accounts/acc-1/transactions?page=4&bookingStatus=booked",
    ]);
    for (const request of requests) {
      expect(request.headers["consent-id"]).toBe("c-1");
      expect(request.headers["psu-ip-address"]).toBe("192.0.2.10");
    }
  });

  it("retries a failing page and carries on from it", async () => {
    const account = { href: "/xs2a/v1/accounts/acc-1" };
    script.push(
      json(200, {
        transactions: { booked: [tx("t-1", "1.00")], _links: { account, next: { href: "/xs2a/v1/p2" } } },
      }),
      json(502, {}),
      json(200, { transactions: { booked: [tx("t-2", "2.00")], _links: { account } } }),
    );
    const pages = [];
    for await (const page of client().iterateTransactions("c-1", "acc-1", {
      dateFrom: "2026-01-01",
      bookingStatus: "booked",
    })) {
      pages.push(page);
    }
    expect(pages).toHaveLength(2);
    expect(requests.map((r) => r.url)).toEqual([
      "/xs2a/v1/accounts/acc-1/transactions?dateFrom=2026-01-01&bookingStatus=booked",
      "/xs2a/v1/p2",
      "/xs2a/v1/p2",
    ]);
  });

  it("stops on a next link that loops back", async () => {
    const account = { href: "/xs2a/v1/accounts/acc-1" };
    const page = { transactions: { booked: [], _links: { account, next: { href: "/xs2a/v1/same" } } } };
    script.push(json(200, page), json(200, page));
    const iterate = async () => {
      for await (const _ of client().iterateTransactions("c-1", "acc-1", {
        dateFrom: "2026-01-01",
        bookingStatus: "booked",
      })) {
        // drain
      }
    };
    await expect(iterate()).rejects.toMatchObject({ code: "INVALID_RESPONSE" });
    expect(requests).toHaveLength(2);
  });

  it("hands pages over unchecked when asked, each with the validation that must pass before it is used", async () => {
    const account = { href: "/xs2a/v1/accounts/acc-1" };
    const broken = { ...tx("t-2", "2.00"), transactionAmount: { currency: "EUR", amount: "2,00" } };
    script.push(
      json(200, {
        transactions: { booked: [tx("t-1", "1.00")], _links: { account, next: { href: "/xs2a/v1/p2" } } },
      }),
      json(200, { transactions: { booked: [broken], _links: { account, next: { href: "/xs2a/v1/p3" } } } }),
      json(200, { transactions: { booked: [tx("t-3", "3.00")], _links: { account, next: { href: 42 } } } }),
    );
    const pages = client().iterateTransactionsDeferred("c-1", "acc-1", {
      dateFrom: "2026-01-01",
      bookingStatus: "booked",
    });
    const first = await pages.next();
    expect(first.done).toBe(false);
    if (first.done) return;
    expect(() => first.value.validate()).not.toThrow();
    const second = await pages.next();
    if (second.done) throw new Error("a second page was expected");
    // Unchecked: the page is there as sent, and its validation says what is wrong with it.
    expect(second.value.page.transactions?.booked?.[0]?.transactionAmount.amount).toBe("2,00");
    const failure = (() => {
      try {
        second.value.validate();
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(Xs2aError);
    expect(failure).toMatchObject({ code: "INVALID_RESPONSE", retryable: false });
    expect((failure as Error).message).toMatch(/\/xs2a\/v1\/p2: 200 body does not match the XS2A schema/);
    // A next link that is no text is not followed: the page's validation ends the read.
    const third = await pages.next();
    if (third.done) throw new Error("a third page was expected");
    await expect(pages.next()).rejects.toMatchObject({ code: "INVALID_RESPONSE" });
    expect(requests.map((r) => r.url)).toEqual([
      "/xs2a/v1/accounts/acc-1/transactions?dateFrom=2026-01-01&bookingStatus=booked",
      "/xs2a/v1/p2",
      "/xs2a/v1/p3",
    ]);
  });

  it("refuses a link to another origin, so the TPP key never leaves the bank", () => {
    expect(() => client().resolveHref("https://evil.example/xs2a/v1/accounts")).toThrow(
      /away from the bank's origin/,
    );
  });
});

describe("parseRetryAfter", () => {
  const now = new Date("2026-03-02T10:00:00Z");
  it("reads delay-seconds and HTTP dates, and ignores garbage", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Mon, 02 Mar 2026 10:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("Mon, 02 Mar 2026 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
