import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import type { Assets } from "./layout.ts";

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f4c5c"/><path d="M10 8v16M10 16l10-8M13.5 13.5 21 24" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" fill="none"/></svg>`;

interface Asset {
  body: string;
  type: string;
  version: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, version: createHash("sha256").update(body).digest("hex").slice(0, 12) };
}

/**
 * The app's own static files (no CDN: books must work offline). URLs carry a content hash, so browsers may
 * keep them forever and still see a new version at once.
 */
export function staticAssets(): { routes: Hono<AppEnv>; assets: Assets } {
  const files: Record<string, Asset> = {
    "app.css": asset(
      readFileSync(new URL("./static/app.css", import.meta.url), "utf8"),
      "text/css; charset=utf-8",
    ),
    "icon.svg": asset(ICON, "image/svg+xml"),
    "sync-status.js": asset(
      readFileSync(new URL("./static/sync-status.js", import.meta.url), "utf8"),
      "text/javascript; charset=utf-8",
    ),
    "sca-wait.js": asset(
      readFileSync(new URL("./static/sca-wait.js", import.meta.url), "utf8"),
      "text/javascript; charset=utf-8",
    ),
  };
  const routes = new Hono<AppEnv>();
  routes.get("/static/:name", (c) => {
    const file = files[c.req.param("name")];
    if (!file) return c.notFound();
    const versioned = c.req.query("v") === file.version;
    c.header("Content-Type", file.type);
    c.header("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "no-cache");
    c.header("ETag", `"${file.version}"`);
    if (c.req.header("if-none-match") === `"${file.version}"`) return c.body(null, 304);
    return c.body(file.body);
  });
  const url = (name: string) => `/static/${name}?v=${files[name]?.version ?? ""}`;
  return {
    routes,
    assets: {
      stylesheet: url("app.css"),
      icon: url("icon.svg"),
      syncStatusScript: url("sync-status.js"),
      scaWaitScript: url("sca-wait.js"),
    },
  };
}
