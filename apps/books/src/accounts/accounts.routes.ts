import { Hono } from "hono";
import { z } from "zod";
import { getAuth, requireAuth, requirePermission } from "../auth/auth.middleware.ts";
import { addDays, berlinDate, isCalendarDate } from "../calendar.ts";
import { searchBanks } from "../connectors/bank-directory.ts";
import type { ScaApproach } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { findSyncJobsOfOrganisation, latestSyncJobs } from "../jobs/jobs.repository.ts";
import { type AppContext, type AppEnv, wantsJson } from "../web/context.ts";
import { csrfField } from "../web/csrf.ts";
import type { MessageKey } from "../web/i18n.ts";
import { renderPage } from "../web/layout.ts";
import * as repo from "./accounts.repository.ts";
import {
  type ConnectStart,
  checkDecoupled,
  completeConnect,
  deleteAccount,
  disconnect,
  getChooser,
  handleCallback,
  isFlowExpired,
  rememberedPsuId,
  requestSync,
  startConnect,
  startReauth,
} from "./accounts.service.ts";
import {
  type AccountSummary,
  accountPage,
  accountsPage,
  addAccountPage,
  bankSearchPage,
  chooserPage,
  deletePage,
  disconnectPage,
  jobLabel,
  type PsuIdError,
  syncStatusPage,
  waitPage,
} from "./accounts.views.ts";
import { psuPresence } from "./psu-presence.ts";

const financial = requirePermission("financial_accounting");
const uuid = z.uuid();

function origin(c: AppContext): string {
  return c.var.deps.config.publicUrl ?? new URL(c.req.url).origin;
}

function view(c: AppContext) {
  return {
    t: c.var.t,
    locale: c.var.locale,
    canConnect: getAuth(c).permissions.has("financial_accounting"),
    csrf: csrfField(c),
  };
}

function summary(row: repo.AccountRow): AccountSummary {
  return {
    id: row.id,
    name: row.name,
    iban: row.iban,
    currency: row.currency,
    balanceMinor: row.bookedBalanceMinor,
    lastSyncedAt: row.lastSyncedAt,
    bankName: row.bankName,
    status: row.status,
    connectionStatus: row.connectionStatus,
    validUntil: row.validUntil,
    gapMinor: row.gapMinor,
  };
}

async function formFields(c: AppContext): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") out[key] = value;
    else if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === "string");
  }
  return out;
}

function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function one(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

const transactionQuery = z.object({
  q: z.string().max(100).optional(),
  direction: z.enum(["in", "out", ""]).optional(),
  from: z.string().refine(isCalendarDate).optional().or(z.literal("")),
  to: z.string().refine(isCalendarDate).optional().or(z.literal("")),
  sort: z.enum(["date_desc", "date_asc", "amount_desc", "amount_asc"]).default("date_desc"),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

const TRANSACTIONS_PER_PAGE = 50;
const jobIdsQuery = z.string().regex(/^\d+(,\d+){0,49}$/);

/** Finances > Accounts. Every member may look; connecting, syncing, disconnecting and deleting need Financial Accounting. */
export function accountsRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/accounts", requireAuth, async (c) => {
    const rows = await repo.selectAccounts(c.var.deps.db, getAuth(c).organisation.id);
    const notice = c.req.query("notice");
    return renderPage(c, {
      title: c.var.t("accounts.title"),
      section: "accounts",
      body: accountsPage(
        {
          ...view(c),
          notice:
            notice === "connect_failed"
              ? { kind: "error", text: c.var.t("accounts.notice.connectFailed") }
              : notice === "deleted"
                ? { kind: "info", text: c.var.t("accounts.notice.deleted") }
                : notice === "disconnected"
                  ? { kind: "info", text: c.var.t("accounts.notice.disconnected") }
                  : notice === "nothing"
                    ? { kind: "error", text: c.var.t("accounts.notice.nothingToSync") }
                    : notice === "reauth_expired"
                      ? { kind: "error", text: c.var.t("accounts.notice.reauthExpired") }
                      : undefined,
        },
        rows.map(summary),
      ),
    });
  });

  routes.get("/accounts/new", financial, (c) =>
    renderPage(c, { title: c.var.t("accounts.new.title"), section: "accounts", body: addAccountPage(c.var) }),
  );

  routes.get("/accounts/connect", financial, (c) => {
    const q = (c.req.query("q") ?? "").slice(0, 100);
    return renderPage(c, {
      title: c.var.t("accounts.connect.title"),
      section: "accounts",
      body: bankSearchPage(
        {
          ...view(c),
          notice:
            c.req.query("notice") === "expired"
              ? { kind: "error", text: c.var.t("accounts.notice.flowExpired") }
              : undefined,
        },
        { q, banks: searchBanks(c.var.deps.banks, q) },
      ),
    });
  });

  routes.post("/accounts/connect", financial, async (c) => {
    const form = await formFields(c);
    const bankId = one(form.bankId);
    const { approach, psuId } = scaForm(form);
    const decoupled = approach === "DECOUPLED";
    let started: Awaited<ReturnType<typeof startConnect>>;
    try {
      started = await startConnect(c.var.deps, getAuth(c), {
        bankId,
        origin: origin(c),
        psu: psuPresence(c),
        approach,
        psuId,
      });
    } catch (error) {
      // A missing or unknown user id: the same page again, with the message at the field.
      if (error instanceof AppError && error.code === "validation_failed" && decoupled && !wantsJson(c)) {
        const bank = c.var.deps.banks.find((b) => b.id === bankId);
        return renderPage(
          c,
          {
            title: c.var.t("accounts.connect.title"),
            section: "accounts",
            body: bankSearchPage(view(c), {
              q: "",
              banks: bank ? [bank] : [],
              psuIdError: {
                bankId,
                psuId,
                key: psuIdErrorKey(psuId),
              },
            }),
          },
          400,
        );
      }
      throw error;
    }
    return c.redirect(startedLocation(started), 303);
  });

  routes.get("/accounts/connect/callback", financial, async (c) => {
    const state = c.req.query("state");
    if (!state) throw new AppError("bad_request", { message: "state missing" });
    const result = await handleCallback(c.var.deps, getAuth(c), {
      state,
      outcome: c.req.query("outcome"),
      psu: psuPresence(c),
    });
    switch (result.kind) {
      case "choose":
        return c.redirect(`/accounts/connect/${result.flowId}`, 303);
      case "done":
        return c.redirect("/accounts", 303);
      case "failed":
        return c.redirect("/accounts?notice=connect_failed", 303);
      case "expired":
        return c.redirect(
          result.purpose === "connect"
            ? "/accounts/connect?notice=expired"
            : "/accounts?notice=reauth_expired",
          303,
        );
    }
  });

  /**
   * The waiting page of a decoupled connect. Each request asks the bank once. Without JavaScript the page
   * reloads itself every few seconds and has a "Check again" button; with it, sca-wait.js asks for JSON.
   */
  routes.get("/accounts/connect/:flowId/wait", financial, async (c) => {
    const flowId = c.req.param("flowId");
    if (!uuid.safeParse(flowId).success) throw new AppError("not_found");
    const state = await checkDecoupled(c.var.deps, getAuth(c), { flowId, psu: psuPresence(c) });
    const self = `/accounts/connect/${flowId}/wait`;
    const next =
      state.kind === "choose" ? `/accounts/connect/${flowId}` : state.kind === "done" ? "/accounts" : self;
    if (wantsJson(c)) {
      c.header("Cache-Control", "no-store");
      return c.json({
        state: state.kind,
        next,
        ...(state.kind === "waiting"
          ? {
              secondsLeft: Math.max(0, Math.round((state.expiresAt.getTime() - state.now.getTime()) / 1000)),
              psuMessage: state.psuMessage,
            }
          : {}),
      });
    }
    if (state.kind === "choose" || state.kind === "done") return c.redirect(next, 303);
    return renderPage(c, {
      title: c.var.t("accounts.wait.title"),
      section: "accounts",
      body: waitPage(view(c), { flowId, state }),
      ...(state.kind === "waiting" ? { refreshSeconds: 5, scripts: [c.var.assets.scaWaitScript] } : {}),
    });
  });

  routes.get("/accounts/sync/status.json", requireAuth, async (c) => {
    const jobs = await jobsFor(c);
    c.header("Cache-Control", "no-store");
    return c.json({
      done: jobs.every((j) => j.job.status !== "queued" && j.job.status !== "running"),
      jobs: jobs.map(({ job, accountName }) => ({
        id: job.id,
        accountId: job.bankAccountId,
        accountName,
        status: job.status,
        progress: job.progress,
        pages: job.pages,
        seen: job.seen,
        imported: job.imported,
        errorCode: job.errorCode,
        label: jobLabel(c.var.t, job),
      })),
    });
  });

  routes.get("/accounts/sync/status", requireAuth, async (c) => {
    const jobs = await jobsFor(c);
    const done = jobs.every((j) => j.job.status !== "queued" && j.job.status !== "running");
    const statusUrl = `/accounts/sync/status.json?jobs=${c.req.query("jobs") ?? ""}`;
    return renderPage(c, {
      title: c.var.t("sync.title"),
      section: "accounts",
      body: syncStatusPage({ ...view(c), statusUrl }, jobs),
      ...(done ? {} : { refreshSeconds: 2, scripts: [c.var.assets.syncStatusScript] }),
    });
  });

  routes.post("/accounts/sync", financial, async (c) => {
    const ids = list((await formFields(c)).account);
    for (const id of ids) if (!uuid.safeParse(id).success) throw new AppError("not_found");
    if (ids.length === 0) return c.redirect("/accounts?notice=nothing", 303);
    const result = await requestSync(c.var.deps, getAuth(c), { accountIds: ids, psu: psuPresence(c) });
    if (result.jobIds.length === 0) return c.redirect("/accounts?notice=nothing", 303);
    return c.redirect(`/accounts/sync/status?jobs=${result.jobIds.join(",")}`, 303);
  });

  /** Re-authentication, by redirect or (form field approach=DECOUPLED with psuId) in the banking app. */
  routes.post("/accounts/connections/:id/reauth", financial, async (c) => {
    const id = c.req.param("id");
    if (!uuid.safeParse(id).success) throw new AppError("not_found");
    const form = await formFields(c);
    const { approach, psuId } = scaForm(form);
    const decoupled = approach === "DECOUPLED";
    let started: Awaited<ReturnType<typeof startReauth>>;
    try {
      started = await startReauth(c.var.deps, getAuth(c), {
        connectionId: id,
        origin: origin(c),
        psu: psuPresence(c),
        approach,
        psuId,
      });
    } catch (error) {
      // A missing or unknown user id: the account page again, with the message at the field.
      if (error instanceof AppError && error.code === "validation_failed" && decoupled && !wantsJson(c)) {
        const account = await reauthAccount(c, id, one(form.accountId));
        if (account) {
          return renderAccount(c, account, {
            status: 400,
            psuIdError: {
              bankId: account.bankId,
              psuId,
              key: psuIdErrorKey(psuId),
            },
          });
        }
      }
      throw error;
    }
    return c.redirect(startedLocation(started), 303);
  });

  routes.get("/accounts/connect/:flowId", financial, async (c) => {
    const flowId = c.req.param("flowId");
    if (!uuid.safeParse(flowId).success) throw new AppError("not_found");
    let chooser: Awaited<ReturnType<typeof getChooser>>;
    try {
      chooser = await getChooser(c.var.deps, getAuth(c), flowId);
    } catch (error) {
      if (isFlowExpired(error) && !wantsJson(c)) return c.redirect("/accounts/connect?notice=expired", 303);
      throw error;
    }
    return renderPage(c, {
      title: c.var.t("accounts.choose.title"),
      section: "accounts",
      body: chooserPage(view(c), chooser),
    });
  });

  routes.post("/accounts/connect/:flowId", financial, async (c) => {
    const flowId = c.req.param("flowId");
    if (!uuid.safeParse(flowId).success) throw new AppError("not_found");
    const form = await formFields(c);
    const choices = list(form.iban).map((iban) => ({
      iban,
      name: one(form[`name_${iban}`]),
      importFrom: one(form[`importFrom_${iban}`]),
    }));
    let ids: string[];
    try {
      ids = await completeConnect(c.var.deps, getAuth(c), { flowId, choices, psu: psuPresence(c) });
    } catch (error) {
      if (isFlowExpired(error) && !wantsJson(c)) return c.redirect("/accounts/connect?notice=expired", 303);
      throw error;
    }
    const jobs = await c.var.deps.db
      .selectFrom("sync_jobs")
      .select("id")
      .where("bank_account_id", "in", ids.length > 0 ? ids : ["00000000-0000-0000-0000-000000000000"])
      .where("status", "in", ["queued", "running"])
      .execute();
    return c.redirect(
      jobs.length > 0 ? `/accounts/sync/status?jobs=${jobs.map((j) => j.id).join(",")}` : "/accounts",
      303,
    );
  });

  routes.get("/accounts/:id", requireAuth, async (c) => renderAccount(c, await loadAccount(c)));

  routes.post("/accounts/:id/sync", financial, async (c) => {
    const account = await loadAccount(c);
    const result = await requestSync(c.var.deps, getAuth(c), {
      accountIds: [account.id],
      psu: psuPresence(c),
    });
    if (result.jobIds.length === 0) return c.redirect(`/accounts/${account.id}`, 303);
    return c.redirect(`/accounts/sync/status?jobs=${result.jobIds.join(",")}`, 303);
  });

  routes.get("/accounts/:id/disconnect", financial, async (c) => {
    const account = await loadAccount(c);
    const others = (await repo.selectAccounts(c.var.deps.db, account.organisationId))
      .filter((a) => a.connectionId === account.connectionId && a.id !== account.id && a.status === "active")
      .map((a) => a.name);
    return renderPage(c, {
      title: c.var.t("accounts.disconnect.title", { name: account.name }),
      section: "accounts",
      body: disconnectPage(view(c), summary(account), others),
    });
  });

  routes.post("/accounts/:id/disconnect", financial, async (c) => {
    const account = await loadAccount(c);
    await disconnect(c.var.deps, getAuth(c), account.id, c.var.requestId);
    return c.redirect("/accounts?notice=disconnected", 303);
  });

  routes.get("/accounts/:id/delete", financial, async (c) => {
    const account = await loadAccount(c);
    return renderDelete(c, account, false);
  });

  routes.post("/accounts/:id/delete", financial, async (c) => {
    const account = await loadAccount(c);
    const confirmation = one((await formFields(c)).confirmation);
    try {
      await deleteAccount(c.var.deps, getAuth(c), {
        accountId: account.id,
        confirmation,
        requestId: c.var.requestId,
      });
    } catch (error) {
      if (error instanceof AppError && error.code === "validation_failed" && !wantsJson(c)) {
        return renderDelete(c, account, true, 400);
      }
      throw error;
    }
    return c.redirect("/accounts?notice=deleted", 303);
  });

  return routes;
}

async function renderDelete(
  c: AppContext,
  account: repo.AccountRow,
  invalid: boolean,
  status: 200 | 400 = 200,
) {
  const count = await c.var.deps.db
    .selectFrom("bank_transactions")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("bank_account_id", "=", account.id)
    .executeTakeFirstOrThrow();
  return renderPage(
    c,
    {
      title: c.var.t("accounts.delete.title", { name: account.name }),
      section: "accounts",
      body: deletePage(view(c), summary(account), Number(count.n), invalid),
    },
    status,
  );
}

/** The account page; `psuIdError` when a decoupled re-authentication came back with a problem in the user id. */
async function renderAccount(
  c: AppContext,
  account: repo.AccountRow,
  options: { status?: 200 | 400; psuIdError?: PsuIdError } = {},
) {
  const parsed = transactionQuery.safeParse(c.req.query());
  if (!parsed.success) throw parsed.error;
  const q = parsed.data;
  const filter: repo.TransactionFilter = {
    q: q.q?.trim() || undefined,
    direction: q.direction || undefined,
    from: q.from || undefined,
    to: q.to || undefined,
    sort: q.sort,
    limit: TRANSACTIONS_PER_PAGE,
    offset: q.offset,
  };
  const db = c.var.deps.db;
  const [transactions, pending, sums, jobs] = await Promise.all([
    repo.selectTransactions(db, account.organisationId, account.id, filter),
    repo.selectPending(db, account.id),
    repo.selectDailySums(db, account.id),
    latestSyncJobs(db, account.id, 1),
  ]);
  return renderPage(
    c,
    {
      title: account.name,
      section: "accounts",
      body: accountPage({
        ...view(c),
        account: { ...summary(account), ...account },
        transactions,
        filter,
        pending,
        series: balanceSeries(account, sums, berlinDate(c.var.deps.clock.now())),
        lastJob: jobs[0],
        bank: c.var.deps.banks.find((b) => b.id === account.bankId),
        psuIdError: options.psuIdError,
        rememberedPsuId: () => rememberedPsuId(c.var.deps, account),
      }),
    },
    options.status ?? 200,
  );
}

/**
 * The account a re-authentication form was sent from (its hidden accountId), if it is on that connection;
 * else any active account of the connection.
 */
async function reauthAccount(c: AppContext, connectionId: string, accountId: string) {
  const accounts = (await repo.selectAccounts(c.var.deps.db, getAuth(c).organisation.id)).filter(
    (a) => a.connectionId === connectionId,
  );
  return accounts.find((a) => a.id === accountId) ?? accounts.find((a) => a.status === "active");
}

/** The account of the caller's organisation; another organisation's id is simply not found. */
async function loadAccount(c: AppContext): Promise<repo.AccountRow> {
  const id = c.req.param("id") ?? "";
  if (!uuid.safeParse(id).success) throw new AppError("not_found");
  const account = await repo.selectAccount(c.var.deps.db, getAuth(c).organisation.id, id);
  if (!account) throw new AppError("not_found", { message: `account ${id}` });
  return account;
}

async function jobsFor(c: AppContext) {
  const parsed = jobIdsQuery.safeParse(c.req.query("jobs") ?? "");
  if (!parsed.success) throw new AppError("bad_request", { message: "jobs" });
  const ids = parsed.data.split(",").map(Number);
  const organisationId = getAuth(c).organisation.id;
  const jobs = await findSyncJobsOfOrganisation(c.var.deps.db, organisationId, ids);
  const accounts = new Map(
    (await repo.selectAccounts(c.var.deps.db, organisationId)).map((a) => [a.id, a.name]),
  );
  return jobs.map((job) => ({ job, accountName: accounts.get(job.bankAccountId) ?? "" }));
}

/** Opening balance at the start of import_from, then the end-of-day balance of every day with bookings. */
export function balanceSeries(
  account: Pick<repo.AccountRow, "openingBalanceMinor" | "importFrom">,
  sums: ReadonlyArray<{ date: string; sum: number }>,
  today: string,
): Array<{ date: string; balanceMinor: number }> {
  if (account.openingBalanceMinor === null) return [];
  let balance = account.openingBalanceMinor;
  const series = [{ date: addDays(account.importFrom, -1), balanceMinor: balance }];
  for (const day of sums) {
    balance += day.sum;
    series.push({ date: day.date, balanceMinor: balance });
  }
  if ((series.at(-1)?.date ?? "") < today) series.push({ date: today, balanceMinor: balance });
  return series;
}

/** The SCA choice of a connect or re-authentication form: redirect, or decoupled with the user's id at the bank. */
function scaForm(form: Record<string, string | string[]>) {
  const approach: ScaApproach = one(form.approach) === "DECOUPLED" ? "DECOUPLED" : "REDIRECT";
  return { approach, psuId: one(form.psuId).slice(0, 200) };
}

function psuIdErrorKey(psuId: string): MessageKey {
  return psuId.trim() === "" ? "accounts.connect.psuIdMissing" : "accounts.connect.psuIdUnknown";
}

/** Where a started SCA takes the user: the bank's page, or books' waiting page. */
function startedLocation(started: ConnectStart): string {
  return started.kind === "redirect" ? started.url : `/accounts/connect/${started.flowId}/wait`;
}
