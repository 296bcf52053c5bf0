import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type AppContext, safeLocalPath } from "./context.ts";
import { csrfField } from "./csrf.ts";
import type { Locale } from "./i18n.ts";

/** What `html\`…\`` returns: markup whose interpolated values are already escaped. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The top navigation's sections; a page names the one it belongs to. */
export type NavSection = "accounts" | "audit";

export interface Page {
  /** The document title (before "· Kontor") — usually the page's h1. */
  title: string;
  body: Html;
  /** Highlighted in the top navigation. */
  section?: NavSection;
  /** Reload the page after this many seconds (progress pages that work without JavaScript). */
  refreshSeconds?: number;
  /** Extra scripts of our own (static assets); pages work without them. */
  scripts?: readonly string[];
}

const NAV: ReadonlyArray<{ section: NavSection; href: string; label: "nav.accounts" | "nav.audit" }> = [
  { section: "accounts", href: "/accounts", label: "nav.accounts" },
  { section: "audit", href: "/audit", label: "nav.audit" },
];

/** Where the stylesheet lives, versioned by its content (set by web/static.routes.ts). */
export interface Assets {
  stylesheet: string;
  icon: string;
  /** Polls the sync status JSON and updates the progress bars in place (the page refreshes without it). */
  syncStatusScript: string;
  /** Polls a decoupled SCA's state and moves on when the bank has an answer (the page refreshes without it). */
  scaWaitScript: string;
}

/**
 * The page shell every HTML page is rendered in: skip link, top bar (logo, navigation, language switch,
 * user menu with logout) and the page's own content in <main>. Logged-out pages get the bare top bar.
 */
export function layout(c: AppContext, page: Page): Html {
  const { t, locale, auth } = c.var;
  const assets = c.var.assets;
  const url = new URL(c.req.url);
  const here = safeLocalPath(url.pathname + url.search, "/");
  const other: Locale = locale === "de" ? "en" : "de";
  return html`<!doctype html>
<html lang="${locale}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${page.title} · ${t("app.name")}</title>
    <link rel="stylesheet" href="${assets.stylesheet}" />
    <link rel="icon" href="${assets.icon}" type="image/svg+xml" />
    ${page.refreshSeconds ? html`<meta http-equiv="refresh" content="${page.refreshSeconds}" />` : ""}
    ${(page.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
  </head>
  <body>
    <a class="skip-link" href="#main">${t("nav.skip")}</a>
    <header class="topbar">
      <a class="brand" href="/">${t("app.name")}</a>
      ${
        auth
          ? html`<nav class="mainnav" aria-label="${t("nav.main")}">
              <ul>
                ${NAV.map(
                  (item) =>
                    html`<li>
                      <a href="${item.href}" ${page.section === item.section ? html`aria-current="page"` : ""}
                        >${t(item.label)}</a
                      >
                    </li>`,
                )}
              </ul>
            </nav>`
          : ""
      }
      <div class="topbar-end">
        <a
          class="lang-switch"
          href="/lang/${other}?next=${encodeURIComponent(here)}"
          hreflang="${other}"
          lang="${other}"
          title="${t("nav.otherLanguageHint")}"
          >${t("nav.otherLanguage")}</a
        >
        ${auth ? userMenu(c) : ""}
      </div>
    </header>
    <main id="main" tabindex="-1">${page.body}</main>
  </body>
</html>`;
}

function userMenu(c: AppContext): Html {
  const { t } = c.var;
  const auth = c.var.auth;
  if (!auth) return html``;
  const initials = auth.user.name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? "")
    .join("");
  const others = auth.organisations.filter((o) => o.id !== auth.organisation.id);
  // <details> opens and closes without JavaScript and is announced as a disclosure by screen readers.
  return html`<details class="user-menu">
    <summary aria-label="${t("nav.userMenu")}">
      <span class="avatar" aria-hidden="true">${initials}</span>
      <span class="user-menu-text">
        <span class="user-name">${auth.user.name}</span>
        <span class="org-name">${auth.organisation.name}</span>
      </span>
    </summary>
    <div class="menu-panel">
      <p class="menu-meta">${t("nav.signedInAs", { email: auth.user.email })}</p>
      <p class="menu-meta">${t("nav.role", { role: t(`role.${auth.role}`) })}</p>
      ${
        others.length > 0
          ? html`<form method="post" action="/session/organisation" class="org-switch">
              ${csrfField(c)}
              <label for="organisationId">${t("nav.switchOrganisation")}</label>
              <select id="organisationId" name="organisationId">
                ${others.map((o) => html`<option value="${o.id}">${o.name}</option>`)}
              </select>
              <button type="submit" class="button secondary">${t("nav.switch")}</button>
            </form>`
          : ""
      }
      <form method="post" action="/logout">
        ${csrfField(c)}
        <button type="submit" class="button secondary logout">${t("nav.logout")}</button>
      </form>
    </div>
  </details>`;
}

/**
 * Renders a page in the layout. Pages may show financial data, so they are never stored by caches.
 */
export function renderPage(
  c: AppContext,
  page: Page,
  status: ContentfulStatusCode = 200,
): Response | Promise<Response> {
  c.header("Cache-Control", "no-store");
  return c.html(layout(c, page), status);
}
