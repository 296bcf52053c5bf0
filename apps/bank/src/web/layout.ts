import type { Context } from "hono";
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
`;

export function page(c: Context, title: string, body: Html, nav?: Html) {
  const { lang, t } = translator(c);
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
      <a href="${url.pathname}${url.search}" hreflang="${other}">${t("lang.switch")}</a>
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
