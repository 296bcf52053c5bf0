import { html } from "hono/html";
import type { AppContext } from "../web/context.ts";
import { csrfField } from "../web/csrf.ts";
import type { Html } from "../web/layout.ts";

export type LoginProblem =
  | { kind: "invalid" }
  | { kind: "throttled"; minutes: number }
  | { kind: "no_organisation" };

export interface LoginView {
  email?: string;
  next?: string | undefined;
  problem?: LoginProblem;
  loggedOut?: boolean;
}

export const DEMO_LOGIN = { email: "demo@kontor.test", password: "demo" } as const;

export function loginPage(c: AppContext, view: LoginView): Html {
  const t = c.var.t;
  const problem = view.problem;
  const message =
    problem?.kind === "invalid"
      ? t("login.invalid")
      : problem?.kind === "throttled"
        ? t("login.throttled", { minutes: problem.minutes })
        : problem?.kind === "no_organisation"
          ? t("login.noOrganisation")
          : undefined;
  const invalid = problem?.kind === "invalid";
  return html`<section class="auth-card card" aria-labelledby="login-title">
    <h1 id="login-title">${t("login.heading")}</h1>
    <p class="tagline">${t("app.tagline")}</p>
    ${view.loggedOut && !message ? html`<p class="notice info" role="status">${t("login.loggedOut")}</p>` : ""}
    ${message ? html`<p class="notice error" role="alert" id="login-error">${message}</p>` : ""}
    <form method="post" action="/login" novalidate>
      ${csrfField(c)}
      ${view.next ? html`<input type="hidden" name="next" value="${view.next}" />` : ""}
      <div class="field">
        <label for="email">${t("login.email")}</label>
        <input
          id="email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value="${view.email ?? ""}"
          ${invalid ? html`aria-invalid="true" aria-describedby="login-error"` : ""}
          ${view.email ? "" : html`autofocus`}
        />
      </div>
      <div class="field">
        <label for="password">${t("login.password")}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          ${invalid ? html`aria-invalid="true" aria-describedby="login-error"` : ""}
          ${view.email ? html`autofocus` : ""}
        />
      </div>
      <button type="submit" class="button primary">${t("login.submit")}</button>
    </form>
    ${
      c.var.deps.config.demo
        ? html`<p class="hint">${t("login.demoHint", { email: DEMO_LOGIN.email, password: DEMO_LOGIN.password })}</p>`
        : ""
    }
  </section>`;
}
