import type { Context } from "hono";
import { setCookie } from "hono/cookie";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { translator } from "./i18n.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
:root{--ink:#1d2433;--muted:#5b6478;--line:#dfe3ea;--brand:#0b5d4b;--bg:#f6f7f9;--bad:#a4262c}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:var(--brand);color:#fff;padding:.75rem 1.5rem;display:flex;gap:1rem;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;margin-right:auto}
main{max-width:960px;margin:2rem auto;padding:0 1rem}.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.5rem;margin-bottom:1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=text],input[type=password]{width:100%;max-width:360px;padding:.55rem;border:1px solid var(--line);border-radius:6px;font-size:1rem}
button,.button{display:inline-block;background:var(--brand);color:#fff;border:0;border-radius:6px;padding:.6rem 1.1rem;font-size:1rem;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line)}button.danger{background:var(--bad)}
.actions{display:flex;gap:.75rem;margin-top:1.25rem;flex-wrap:wrap}.error{color:var(--bad);font-weight:600}.muted{color:var(--muted)}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line)}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.neg{color:var(--bad)}.pill{display:inline-block;padding:.1rem .5rem;border-radius:999px;background:#e7f3ef;color:var(--brand);font-size:.85rem}
header{flex-wrap:wrap}header nav{display:flex;gap:1rem;flex-wrap:wrap}header nav a{padding:.2rem 0;border-bottom:2px solid transparent}
header nav a[aria-current=page]{border-bottom-color:#fff;font-weight:600}header .user{opacity:.85;font-size:.9rem}
header form{margin:0}header form button{background:transparent;border:1px solid rgba(255,255,255,.6);padding:.25rem .7rem;font-size:.9rem}
a{color:var(--brand)}h1{margin-top:0;font-size:1.6rem}h2{font-size:1.2rem}.notice{background:#e7f3ef;border:1px solid #b9dccf;border-radius:8px;padding:.75rem 1rem;margin-bottom:1rem}
.notice.bad{background:#fbeaea;border-color:#efc4c6;color:var(--bad)}.pill.warn{background:#fff4d6;color:#7a5200}.pill.bad{background:#fbeaea;color:var(--bad)}.pill.off{background:#eceef2;color:var(--muted)}
.account{display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap;align-items:baseline}.account h2,.account h3{margin:0}.balance{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap}
.iban{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;letter-spacing:.02em}.rights{margin:.5rem 0 0;padding:0;list-style:none;display:flex;gap:.4rem;flex-wrap:wrap;font-size:.9rem}
.subs{margin:.75rem 0 0 1.25rem;padding-left:1rem;border-left:3px solid var(--line)}.subs .card{margin-bottom:.75rem}
.filters{display:flex;gap:.75rem;flex-wrap:wrap;align-items:flex-end}.filters label{margin:0 0 .25rem}.filters input{padding:.45rem;border:1px solid var(--line);border-radius:6px;font-size:1rem}
tr.pending td{color:var(--muted);font-style:italic}tr.pending td.num.neg{color:var(--bad)}td small,li small{color:var(--muted)}.pager{display:flex;justify-content:space-between;align-items:center;margin-top:1rem;gap:1rem}
.ended{opacity:.6}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.app{max-width:440px;margin:0 auto}.app .card{border-radius:16px}fieldset{border:1px solid var(--line);border-radius:8px;margin:.75rem 0}
.button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line)}.button.danger{background:var(--bad)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.filters input{height:2.5rem}.narrow{max-width:460px;margin:0 auto}
header form.lang button{border:0;padding:0;font:inherit;color:#fff}
dl.balance{margin:0;text-align:right}dl.balance dt{font-size:.8rem;font-weight:400;color:var(--muted)}dl.balance dd{margin:0}
dl.tx-detail dd{overflow-wrap:anywhere}dl.tx-detail dd.amount{font-weight:700;font-variant-numeric:tabular-nums}dl.tx-detail dd.text{white-space:pre-line}
@media (max-width:640px){dl.balance{text-align:left}dl.tx-detail{grid-template-columns:1fr;gap:0}dl.tx-detail dd{margin-bottom:.5rem}}
@media (max-width:640px){header{padding:.6rem 1rem;gap:.4rem 1rem}header .brand{flex-basis:100%}header .user{display:none}main{margin-top:1rem}
.subs{margin-left:.25rem;padding-left:.6rem}.card{padding:1rem}
table.tx,table.tx tbody{display:block}table.tx thead{display:none}
table.tx tr{display:grid;grid-template-columns:1fr auto;grid-template-areas:"cp amt" "rem st" "date date";gap:0 .5rem;border-bottom:1px solid var(--line);padding:.5rem 0}
table.tx td{border:0;padding:0}table.tx td:nth-child(1){grid-area:date;font-size:.85rem;color:var(--muted)}table.tx td:nth-child(2){grid-area:cp;font-weight:600}table.tx td small{font-weight:400}
table.tx td:nth-child(3){grid-area:rem}table.tx td:nth-child(4){grid-area:st;text-align:right}table.tx td:nth-child(5){grid-area:amt}}
`;

export interface PageOptions {
  /**
   * For a page that answers a POST and holds state the PSU would lose on a GET of the same path (the SCA's TAN
   * step): the language switch becomes a form that posts these fields again, so the page is shown anew in the
   * other language. They travel in the body, never in the URL, as they may hold a secret (a step token).
   */
  switchLanguageByPost?: Record<string, string>;
}

export function page(c: Context, title: string, body: Html, nav?: Html, options: PageOptions = {}) {
  const { lang, t } = translator(c);
  const chosen = c.req.query("lang");
  if (chosen === "de" || chosen === "en") {
    // The switch (a link, or a form re-posting a step) carries ?lang=; the cookie makes the choice stick for
    // the pages that follow.
    setCookie(c, "lang", chosen, { path: "/", maxAge: 365 * 86_400, sameSite: "Lax", httpOnly: true });
  }
  const other = lang === "de" ? "en" : "de";
  const url = new URL(c.req.url);
  url.searchParams.set("lang", other);
  return html`<!doctype html>
<html lang="${lang}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · ${t("bank.name")}</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <header>
      <a class="brand" href="/">${t("bank.name")}</a>
      ${nav ?? ""}
      ${
        options.switchLanguageByPost
          ? html`<form method="post" action="${url.pathname}${url.search}" class="lang">
              ${Object.entries(options.switchLanguageByPost).map(
                ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
              )}
              <button type="submit" lang="${other}">${t("lang.switch")}</button>
            </form>`
          : html`<a href="${url.pathname}${url.search}" hreflang="${other}">${t("lang.switch")}</a>`
      }
    </header>
    <main>${body}</main>
  </body>
</html>`;
}

export function errorPage(c: Context, status: number, message: string) {
  const { t } = translator(c);
  return page(
    c,
    t("error.title"),
    html`<div class="card"><h1>${t("error.title")} ${status}</h1><p class="error">${message}</p><p><a href="/">${t("error.back")}</a></p></div>`,
  );
}
