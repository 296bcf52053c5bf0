/**
 * A browser stand-in for tests of the bank's pages over app.request(): keeps cookies like a browser would
 * and reads the CSRF token from the pages it was served, so tests post forms the way a user's browser does.
 */
export interface WebClient {
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Posts a form; the page's CSRF token is added unless `_csrf` is given (use "" to leave it out). */
  post(
    path: string,
    fields?: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<Response>;
  cookies: Map<string, string>;
  /** The Set-Cookie headers of the last response. */
  lastSetCookie: string[];
  csrf: string;
}

/**
 * Where the client sends its requests: a test bank's app in process (`app.request`), or any bank over real
 * HTTP (`overHttp`). Links are taken relative to `deps.publicUrl`.
 */
export interface WebTarget {
  app: { request(url: string, init: RequestInit): Response | Promise<Response> };
  deps: { publicUrl: string };
}

/** A bank served over HTTP at `url`, as a browser reaches it (redirects are not followed). */
export function overHttp(url: string): WebTarget {
  return {
    app: { request: (target, init) => fetch(target, { ...init, redirect: "manual" }) },
    deps: { publicUrl: url },
  };
}

export function webClient(bank: WebTarget): WebClient {
  const cookies = new Map<string, string>();
  const client: WebClient = {
    cookies,
    lastSetCookie: [],
    csrf: "",
    get: (path, headers = {}) => send(path, { headers }),
    post(path, fields = {}, headers = {}) {
      const body = new URLSearchParams();
      if (!("_csrf" in fields)) body.set("_csrf", client.csrf);
      for (const [name, value] of Object.entries(fields)) {
        for (const v of Array.isArray(value) ? value : [value])
          if (v !== "" || name !== "_csrf") body.append(name, v);
      }
      return send(path, {
        method: "POST",
        body,
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      });
    },
  };
  async function send(
    path: string,
    init: { method?: string; body?: URLSearchParams; headers: Record<string, string> },
  ) {
    const headers = new Headers(init.headers);
    if (cookies.size > 0) headers.set("Cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const response = await bank.app.request(`${bank.deps.publicUrl}${path}`, { ...init, headers });
    client.lastSetCookie = response.headers.getSetCookie();
    for (const line of client.lastSetCookie) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const type = response.headers.get("Content-Type") ?? "";
    if (type.includes("text/html")) {
      const text = await response.clone().text();
      const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
      if (token) client.csrf = token;
    }
    return response;
  }
  return client;
}

/** A client logged in as `login` (GET /login for the form's token, then POST /login). */
export async function loggedIn(bank: WebTarget, credentials: { login: string; password: string }) {
  const client = webClient(bank);
  await client.get("/login");
  const response = await client.post("/login", { login: credentials.login, password: credentials.password });
  if (response.status !== 303) throw new Error(`login failed with ${response.status}`);
  await client.get("/");
  return client;
}
