import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { translator } from "./i18n.ts";
import { page } from "./layout.ts";
import { CSRF_FIELD, type WebContext } from "./session.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export type Section = "accounts" | "connected-apps" | "app";

const SECTIONS = [
  { id: "accounts", href: "/", key: "web.nav.accounts" },
  { id: "connected-apps", href: "/connected-apps", key: "web.nav.connectedApps" },
  { id: "app", href: "/app", key: "web.nav.bankingApp" },
] as const satisfies readonly { id: Section; href: string; key: string }[];

/** The hidden synchronizer-token field every state-changing form of a logged-in page carries. */
export function csrfField(c: WebContext) {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${c.var.session.csrfToken}" />`;
}

/** A page of online banking: the layout with the logged-in navigation (sections, user, logout). */
export function psuPage(c: WebContext, title: string, body: Html, current?: Section) {
  const { t } = translator(c);
  const session = c.var.session;
  const nav = html`<nav aria-label="${t("web.nav.label")}">
      ${SECTIONS.map(
        (s) => html`<a href="${s.href}"${s.id === current ? html` aria-current="page"` : ""}>${t(s.key)}</a>`,
      )}
    </nav>
    <span class="user" title="${session.login}">${t("web.nav.user", { name: session.displayName })}</span>
    <form method="post" action="/logout">${csrfField(c)}<button type="submit">${t("web.nav.logout")}</button></form>`;
  return page(c, title, body, nav);
}

/** An error inside online banking: the message with the navigation kept, so the PSU can carry on. */
export function psuErrorPage(c: WebContext, status: number, message: string, current?: Section) {
  const { t } = translator(c);
  return psuPage(
    c,
    t("error.title"),
    html`<div class="card"><h1>${t("error.title")} ${status}</h1><p class="error" role="alert">${message}</p><p><a href="/">${t("error.back")}</a></p></div>`,
    current,
  );
}
