import { formatIban } from "@kontor/money";
import { Hono } from "hono";
import { html } from "hono/html";
import { z } from "zod";
import { describeScope } from "../connected-apps/connected-apps.service.ts";
import { type AccountNames, scopeList } from "../connected-apps/connected-apps.web.ts";
import { loadPendingSca, viewableAccounts } from "../consents/consents.service.ts";
import type { BankDeps } from "../deps.ts";
import { AppError } from "../errors.ts";
import { formatDateTime } from "../web/format.ts";
import { formatDate, type MessageKey, translator } from "../web/i18n.ts";
import { requirePsu, type WebContext, type WebEnv } from "../web/session.ts";
import { csrfField, psuPage } from "../web/shell.ts";
import {
  type ApprovalRef,
  type ApprovalRequest,
  approveRequest,
  findApprovalRequest,
  listApprovalRequests,
  parseKind,
  rejectRequest,
} from "./approvals.service.ts";

type Accounts = Awaited<ReturnType<typeof viewableAccounts>>;

interface Feedback {
  ref?: ApprovalRef;
  notice?: { key: MessageKey; tpp?: string; bad?: boolean };
}

const formSchema = z.object({
  tan: z.string().trim().max(32).catch(""),
  account: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
});

/**
 * The "Banking-App" page: the PSU's inbox of requests to approve (decoupled SCA). Approve needs the TAN;
 * reject needs nothing. After either, the browser is redirected back (post/redirect/get), so a reload never
 * sends a TAN twice.
 */
export function bankingAppWeb(deps: BankDeps) {
  const app = new Hono<WebEnv>();
  const guard = requirePsu(deps);

  const render = async (c: WebContext, feedback: Feedback, status: 200 | 400 | 404 | 409 = 200) => {
    const psuId = c.var.session.psuId;
    const [requests, accounts] = await Promise.all([
      listApprovalRequests(deps, psuId),
      viewableAccounts(deps, psuId),
    ]);
    return c.html(
      psuPage(c, translator(c).t("bankingApp.title"), inbox(c, requests, accounts, feedback), "app"),
      status,
    );
  };

  app.get("/app", guard, async (c) => {
    const done = c.req.query("done");
    if (done !== "approved" && done !== "rejected") return render(c, {});
    // The TPP's name for the confirmation, read only from an authorisation of this very PSU.
    let tpp: string | undefined;
    try {
      const pending = await loadPendingSca(deps, c.req.query("c") ?? "", c.req.query("a") ?? "");
      if (pending.authorisation.psu_id === c.var.session.psuId) tpp = pending.tppName;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
    if (!tpp) return render(c, {});
    return render(c, {
      notice: { key: done === "approved" ? "bankingApp.approved" : "bankingApp.rejected", tpp },
    });
  });

  app.post("/app/requests/:kind/:resourceId/:authorisationId/:action", guard, async (c) => {
    const psuId = c.var.session.psuId;
    const kind = parseKind(c.req.param("kind"));
    const action = c.req.param("action");
    if (!kind || (action !== "approve" && action !== "reject")) {
      return render(c, { notice: { key: "bankingApp.gone", bad: true } }, 404);
    }
    const ref: ApprovalRef = {
      kind,
      resourceId: c.req.param("resourceId"),
      authorisationId: c.req.param("authorisationId"),
    };
    const request = await findApprovalRequest(deps, psuId, ref);
    if (!request) return render(c, { notice: { key: "bankingApp.gone", bad: true } }, 409);
    const done = (outcome: "approved" | "rejected") =>
      c.redirect(
        `/app?done=${outcome}&c=${encodeURIComponent(ref.resourceId)}&a=${encodeURIComponent(ref.authorisationId)}`,
        303,
      );
    if (action === "reject") {
      await rejectRequest(deps, psuId, request);
      return done("rejected");
    }
    const form = formSchema.parse(await c.req.parseBody({ all: true }));
    try {
      await approveRequest(deps, psuId, request, { tan: form.tan, accountIds: form.account });
      return done("approved");
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const feedback = (key: MessageKey): Feedback => ({ ref, notice: { key, bad: true } });
      switch (error.code) {
        case "SCA_INVALID": {
          const still = await findApprovalRequest(deps, psuId, ref);
          // Three wrong TANs fail the authorisation: the request leaves the list, so the notice goes on top.
          return still
            ? render(c, feedback("bankingApp.tanWrong"), 400)
            : render(c, { notice: { key: "bankingApp.failed", bad: true } }, 400);
        }
        case "FORMAT_ERROR":
          return render(c, feedback("bankingApp.chooseAccount"), 400);
        case "CONSENT_INVALID":
          return render(c, feedback("bankingApp.noAccess"), 400);
        case "STATUS_INVALID":
        case "RESOURCE_UNKNOWN":
          return render(c, { notice: { key: "bankingApp.gone", bad: true } }, 409);
        default:
          throw error;
      }
    }
  });

  return app;
}

function inbox(c: WebContext, requests: ApprovalRequest[], accounts: Accounts, feedback: Feedback) {
  const { t } = translator(c);
  const names: AccountNames = new Map(accounts.map((a) => [a.iban, a.name]));
  const general = feedback.notice && !feedback.ref ? feedback.notice : undefined;
  return html`<div class="app">
    <h1>${t("bankingApp.title")}</h1>
    <p class="muted">${t("bankingApp.intro")}</p>
    ${
      general
        ? html`<p class="notice${general.bad ? " bad" : ""}" role="${general.bad ? "alert" : "status"}">${t(general.key, { tpp: general.tpp ?? "" })}</p>`
        : ""
    }
    ${
      requests.length === 0
        ? html`<div class="card"><p>${t("bankingApp.empty")}</p><p><a href="/app">${t("bankingApp.refresh")}</a></p></div>`
        : requests.map((r) => requestCard(c, r, accounts, names, feedback))
    }
  </div>`;
}

function requestCard(
  c: WebContext,
  request: ApprovalRequest,
  accounts: Accounts,
  names: AccountNames,
  feedback: Feedback,
) {
  const { t, lang } = translator(c);
  const { ref } = request;
  const base = `/app/requests/${ref.kind}/${encodeURIComponent(ref.resourceId)}/${encodeURIComponent(ref.authorisationId)}`;
  const id = ref.authorisationId;
  const error =
    feedback.ref && feedback.ref.authorisationId === ref.authorisationId && feedback.notice
      ? feedback.notice.key
      : undefined;
  return html`<article class="card" aria-labelledby="req-${id}" data-kind="${request.kind}">
    <span class="pill">${t(`bankingApp.kind.${request.kind}`)}</span>
    <h2 id="req-${id}">${request.tppName}</h2>
    <p class="muted">${t("bankingApp.requestedAt", { when: formatDateTime(lang, request.requestedAt) })}</p>
    ${request.renewal ? html`<p>${t("sca.renewal")}</p>` : html`<p>${t("sca.consent.intro", { tpp: request.tppName })}</p>`}
    ${request.needsAccountChoice ? "" : scopeList(c, describeScope(request.access), names)}
    <p>
      ${t("sca.consent.validUntil")}: <strong>${formatDate(lang, request.validUntil)}</strong><br />
      ${t("sca.consent.frequency")}:
      ${request.recurring ? t("sca.consent.perDay", { n: request.frequencyPerDay }) : t("sca.consent.oneOff")}
    </p>
    ${error ? html`<p class="notice bad" role="alert">${t(error)}</p>` : ""}
    <form method="post" action="${base}/approve">
      ${csrfField(c)}
      ${
        request.needsAccountChoice
          ? html`<fieldset><legend>${t("sca.choose")}</legend>
              ${accounts.map(
                (a) =>
                  html`<label><input type="checkbox" name="account" value="${a.id}" checked /> ${a.name} · <span class="iban">${formatIban(a.iban)}</span> (${a.currency})</label>`,
              )}
            </fieldset>`
          : ""
      }
      <label for="tan-${id}">${t("sca.tan")}</label>
      <input id="tan-${id}" name="tan" type="text" inputmode="numeric" autocomplete="one-time-code" required />
      <p class="muted">${t("bankingApp.tanHint")}</p>
      <div class="actions">
        <button type="submit">${t("bankingApp.approve")}</button>
        <button type="submit" class="secondary" formaction="${base}/reject" formnovalidate>${t("bankingApp.reject")}</button>
      </div>
    </form>
  </article>`;
}
