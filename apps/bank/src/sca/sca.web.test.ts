import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app.ts";
import { offsetClock } from "../clock.ts";
import { SCA_LINK_LIFETIME_MINUTES, SCA_STEP_LIFETIME_MINUTES } from "../consents/consents.service.ts";
import { completeRedirectSca, createCustomer, createTestBank, type TestBank } from "../testing/harness.ts";
import { loggedIn } from "../web/test-client.ts";

let bank: TestBank;
beforeAll(async () => {
  bank = await createTestBank();
});
afterAll(async () => {
  await bank.close();
});

const REDIRECT = "https://books.test/callback";
const NOK = "https://books.test/callback?error=nok";
const EN = { "Accept-Language": "en-GB,en;q=0.9" };

const textOf = (html: string) =>
  html
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");
const alertOf = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1] ?? "";
const tokenOf = (html: string) => /name="step_token" value="([^"]+)"/.exec(html)?.[1] ?? "";
const minutes = (n: number) => n * 60_000;

/** A consent the test TPP asks for with redirect SCA: the link the PSU's browser is sent to. */
async function scaLink(access: unknown) {
  const created = await bank.xs2a("/consents", {
    method: "POST",
    body: JSON.stringify({
      access,
      recurringIndicator: true,
      validUntil: "2027-02-01",
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    }),
    headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": REDIRECT, "TPP-Nok-Redirect-URI": NOK },
  });
  expect(created.status).toBe(201);
  return {
    url: created.body._links.scaRedirect.href as string,
    consentId: created.body.consentId as string,
    scaStatusUrl: created.body._links.scaStatus.href as string,
  };
}

const accessTo = (iban: string) => ({ accounts: [{ iban }], balances: [{ iban }], transactions: [{ iban }] });

const post = (
  url: string,
  fields: Record<string, string | string[]>,
  headers: Record<string, string> = {},
) => {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  return bank.app.request(url, { method: "POST", body, headers });
};

async function logIn(
  url: string,
  who: { login: string; password: string },
  headers: Record<string, string> = {},
) {
  const response = await post(url, { step: "login", login: who.login, password: who.password }, headers);
  const html = await response.text();
  return { status: response.status, html, token: tokenOf(html) };
}

const status = async (link: { consentId: string; scaStatusUrl: string }) => ({
  consent: (await bank.xs2a(`/consents/${link.consentId}/status`)).body.consentStatus as string,
  sca: (await bank.xs2a(link.scaStatusUrl)).body.scaStatus as string,
});

/** Runs `body` with the bank's clock moved by `ms`, and puts it back. */
async function later(ms: number, body: () => Promise<void>) {
  const before = bank.clock.now().toISOString();
  bank.clock.set(new Date(bank.clock.now().getTime() + ms).toISOString());
  try {
    await body();
  } finally {
    bank.clock.set(before);
  }
}

describe("redirect SCA: mistakes the PSU can correct, on the form itself", () => {
  it("shows the TAN form again after a wrong TAN with the tries left, and after the last one says why it goes back to the app", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const { token } = await logIn(link.url, customer);

    const first = await post(link.url, { step: "confirm", step_token: token, tan: "000000" });
    expect(first.status).toBe(400);
    const firstHtml = await first.text();
    expect(alertOf(firstHtml)).toBe("Die TAN ist falsch. Sie haben noch 2 Versuche.");
    expect(firstHtml).toContain('name="tan"');
    expect(tokenOf(firstHtml)).toBe(token);

    const second = await post(link.url, { step: "confirm", step_token: token, tan: "111111" }, EN);
    expect(alertOf(await second.text())).toBe(
      "The TAN is wrong. You have 1 try left; after that the approval is cancelled for your security.",
    );

    const third = await post(link.url, { step: "confirm", step_token: token, tan: "222222" });
    expect(third.status).toBe(400);
    const thirdHtml = await third.text();
    expect(thirdHtml).not.toContain('name="tan"');
    expect(textOf(thirdHtml)).toContain("Freigabe abgebrochen");
    // The page shows a button back (or, without an http(s) URI, "close this window"): it does not send the PSU.
    expect(alertOf(thirdHtml)).toBe(
      "Die TAN wurde 3-mal falsch eingegeben. Aus Sicherheitsgründen wurde die Freigabe abgebrochen; Kontor Books (test) erhält keinen Zugriff. Sie können die Verbindung in Kontor Books (test) neu starten.",
    );
    expect(thirdHtml).toContain(`<a class="button" href="${NOK}">Zurück zu Kontor Books (test)</a>`);
    expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
  });

  it("asks to log in again when the step token is missing or wrong, or the step unknown, in the PSU's language", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    await logIn(link.url, customer);

    const forged = await post(link.url, { step: "confirm", step_token: "made-up", tan: "123456" });
    expect(forged.status).toBe(401);
    const forgedHtml = await forged.text();
    expect(alertOf(forgedHtml)).toBe(
      "Ihre Anmeldung für diese Freigabe fehlt oder gilt nicht mehr. Bitte melden Sie sich erneut an.",
    );
    expect(forgedHtml).toContain('name="password"');

    const unknown = await post(link.url, { step: "teleport" }, EN);
    expect(unknown.status).toBe(400);
    const unknownHtml = await unknown.text();
    expect(alertOf(unknownHtml)).toBe(
      "This form could not be matched to a step of the approval. Please log in again.",
    );
    expect(unknownHtml).toContain('name="password"');

    // Nothing was used up: the PSU logs in again and finishes.
    const { token } = await logIn(link.url, customer);
    const done = await post(link.url, { step: "confirm", step_token: token, tan: "123456" });
    expect(done.headers.get("Location")).toBe(REDIRECT);
  });

  it("asks for an account when none is ticked on a bank-offered consent, without using up a TAN try", async () => {
    const customer = await createCustomer(bank.db, { accounts: 2 });
    const link = await scaLink({ accounts: [], balances: [], transactions: [] });
    const { token } = await logIn(link.url, customer);

    const none = await post(link.url, { step: "confirm", step_token: token, tan: "123456" });
    expect(none.status).toBe(400);
    const html = await none.text();
    expect(alertOf(html)).toBe("Bitte wählen Sie mindestens ein Konto.");
    expect(html).toContain(`name="account" value="${customer.accounts[0]!.id}"`);
    const failed = await bank.db
      .selectFrom("authorisations")
      .select("failed_attempts")
      .where("consent_id", "=", link.consentId)
      .executeTakeFirstOrThrow();
    expect(failed.failed_attempts).toBe(0);

    const done = await post(link.url, {
      step: "confirm",
      step_token: token,
      tan: "123456",
      account: customer.accounts[1]!.id,
    });
    expect(done.headers.get("Location")).toBe(REDIRECT);
  });
});

describe("redirect SCA: switching the language", () => {
  /** The header's language switch on a TAN step: a form (action, hidden fields), as a browser would submit it. */
  const languageForm = (html: string, base: string) => {
    const form = /<form method="post" action="([^"]+)" class="lang">([\s\S]*?)<\/form>/.exec(html);
    expect(form, "language switch form").not.toBeNull();
    const fields = Object.fromEntries(
      [...form![2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)" \/>/g)].map((m) => [
        m[1]!,
        m[2]!,
      ]),
    );
    return { url: new URL(form![1]!.replaceAll("&amp;", "&"), base).href, fields };
  };

  it("keeps the TAN step of the same authorisation, in English, and the TAN then completes the SCA", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const german = await logIn(link.url, customer);
    expect(german.status).toBe(200);
    expect(german.html).toContain('name="tan"');
    expect(german.html).toContain('<html lang="de">');

    const toEnglish = languageForm(german.html, link.url);
    expect(new URL(toEnglish.url).pathname).toBe(new URL(link.url).pathname);
    expect(new URL(toEnglish.url).search).toBe("?lang=en");
    expect(toEnglish.fields).toEqual({ step: "resume", step_token: german.token });
    // The step token is a secret: in form bodies only, never in a link or a form's URL (browser history, logs).
    expect(german.html).not.toMatch(new RegExp(`(href|action)="[^"]*${german.token}`));

    const switched = await post(toEnglish.url, toEnglish.fields);
    expect(switched.status).toBe(200);
    expect(switched.headers.get("Set-Cookie")).toContain("lang=en");
    const english = await switched.text();
    expect(english).toContain('<html lang="en">');
    expect(textOf(english)).toContain("Kontor Books (test) asks for this access:");
    expect(textOf(english)).toContain("Enter the TAN from your banking app");
    expect(english).toContain('name="tan"');
    expect(english).not.toContain('name="password"');
    expect(tokenOf(english)).toBe(german.token);
    // And back again: the switch on the English page is the same kind of form.
    expect(languageForm(english, link.url).fields).toEqual({ step: "resume", step_token: german.token });
    expect(await status(link)).toEqual({ consent: "received", sca: "psuAuthenticated" });

    const done = await post(link.url, { step: "confirm", step_token: tokenOf(english), tan: "123456" });
    expect(done.status).toBe(303);
    expect(done.headers.get("Location")).toBe(REDIRECT);
    expect(await status(link)).toEqual({ consent: "valid", sca: "finalised" });
  });

  it("keeps the login step a plain link, and answers a switch with a wrong step token with the login, using up nothing", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const login = await (await bank.app.request(link.url)).text();
    expect(login).toContain(`<a href="${new URL(link.url).pathname}?lang=en" hreflang="en">English</a>`);
    expect(login).not.toContain('class="lang"');

    const { token } = await logIn(link.url, customer);
    const forged = await post(`${link.url}?lang=en`, { step: "resume", step_token: "made-up" });
    expect(forged.status).toBe(401);
    const forgedHtml = await forged.text();
    expect(alertOf(forgedHtml)).toBe(
      "Your login for this approval is missing or no longer valid. Please log in again.",
    );
    expect(forgedHtml).toContain('name="password"');

    // The real token still works: the forged switch cost no TAN try.
    const done = await post(link.url, { step: "confirm", step_token: token, tan: "123456" });
    expect(done.headers.get("Location")).toBe(REDIRECT);
  });

  it("ends the approval when the switch comes after the TAN step's lifetime, as the TAN would", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const { token } = await logIn(link.url, customer);
    await later(minutes(SCA_STEP_LIFETIME_MINUTES) + 1000, async () => {
      const late = await post(`${link.url}?lang=en`, { step: "resume", step_token: token });
      expect(late.status).toBe(410);
      expect(alertOf(await late.text())).toContain(
        `the TAN must be entered within ${SCA_STEP_LIFETIME_MINUTES} minutes`,
      );
    });
  });
});

describe("redirect SCA: where the flow cannot go on, a clear page with the way back to the app", () => {
  it("refuses an account the PSU cannot see at the login, before the TAN, and ends the authorisation", async () => {
    const customer = await createCustomer(bank.db);
    const stranger = await createCustomer(bank.db);
    const iban = stranger.accounts[0]!.iban;
    const link = await scaLink(accessTo(iban));

    const login = await logIn(link.url, customer);
    expect(login.status).toBe(403);
    expect(login.html).not.toContain('name="tan"');
    expect(alertOf(login.html)).toBe(
      `Kontor Books (test) fragt nach Zugriff auf das Konto ${iban.replace(/(.{4})/g, "$1 ").trim()}, das Sie mit Ihrem Zugang nicht sehen können. Die Freigabe wurde deshalb abgebrochen; Kontor Books (test) erhält keinen Zugriff.`,
    );
    expect(login.html).toContain(`href="${NOK}"`);
    expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
  });

  it("says plainly that the approval belongs to another user when that user's password is right, and keeps it open for its owner", async () => {
    // A renewal of SCA: the consent already belongs to its PSU.
    const owner = await createCustomer(bank.db);
    const first = await scaLink(accessTo(owner.accounts[0]!.iban));
    expect((await completeRedirectSca(bank, first.url, owner)).location).toBe(REDIRECT);
    const renewal = await bank.xs2a(`/consents/${first.consentId}/authorisations`, {
      method: "POST",
      body: "{}",
      headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": REDIRECT, "TPP-Nok-Redirect-URI": NOK },
    });
    const url: string = renewal.body._links.scaRedirect.href;
    const colleague = await createCustomer(bank.db);

    const other = await logIn(url, colleague);
    expect(other.status).toBe(403);
    expect(textOf(other.html)).toContain("Diese Freigabe gehört zu einem anderen Nutzer");
    expect(other.html).not.toContain("Anmeldename oder Passwort ist falsch.");
    expect(other.html).not.toContain(owner.login);
    expect(other.html).not.toContain('name="tan"');
    // Back to the app (cancels) or log in as someone else (the link again).
    expect(other.html).toContain('name="step" value="cancel"');
    expect(other.html).toContain(`href="${new URL(url).pathname}"`);
    const english = await logIn(url, colleague, EN);
    expect(textOf(english.html)).toContain("This approval belongs to another user");

    const sca = await completeRedirectSca(bank, url, owner);
    expect(sca.location).toBe(REDIRECT);
  });

  it("shows a used, failed or unknown link as such, not as a fresh login form", async () => {
    const customer = await createCustomer(bank.db);
    const used = await scaLink(accessTo(customer.accounts[0]!.iban));
    await completeRedirectSca(bank, used.url, customer);
    const usedPage = await bank.app.request(used.url);
    expect(usedPage.status).toBe(409);
    const usedHtml = await usedPage.text();
    expect(usedHtml).not.toContain('name="password"');
    expect(textOf(usedHtml)).toContain("Bereits freigegeben");
    expect(usedHtml).toContain(`href="${REDIRECT}"`);

    const cancelled = await scaLink(accessTo(customer.accounts[0]!.iban));
    await post(cancelled.url, { step: "cancel" });
    const failedPage = await bank.app.request(cancelled.url, { headers: EN });
    expect(failedPage.status).toBe(409);
    const failedHtml = await failedPage.text();
    expect(failedHtml).not.toContain('name="password"');
    expect(alertOf(failedHtml)).toBe(
      "This approval was cancelled or has failed and can no longer be used. Please start the connection again in Kontor Books (test).",
    );
    expect(failedHtml).toContain(`href="${NOK}"`);
    // A login on it is answered the same way, and never as a wrong password.
    const login = await logIn(cancelled.url, customer);
    expect(login.status).toBe(409);
    expect(login.html).not.toContain("Anmeldename oder Passwort ist falsch.");

    const unknown = await bank.app.request(`${bank.deps.publicUrl}/sca/consents/nope/nope`);
    expect(unknown.status).toBe(404);
    expect(textOf(await unknown.text())).toContain("Diesen Freigabe-Link kennt die Bank nicht.");
  });

  it("shows an expired consent's link as expired", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    await later(100 * 86_400_000, async () => {
      const page = await bank.app.request(link.url);
      expect(page.status).toBe(410);
      expect(alertOf(await page.text())).toContain(
        "Diese Zugriffsanfrage von Kontor Books (test) ist abgelaufen",
      );
    });
  });
});

describe("redirect SCA: after success", () => {
  it("sends a second submit of the TAN form to the ok URI again, and a cancel too, leaving the consent valid", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const { token } = await logIn(link.url, customer);
    const form = { step: "confirm", step_token: token, tan: "123456" };
    const first = await post(link.url, form);
    expect(first.status).toBe(303);
    expect(first.headers.get("Location")).toBe(REDIRECT);

    const again = await post(link.url, form);
    expect(again.status).toBe(303);
    expect(again.headers.get("Location")).toBe(REDIRECT);

    const cancel = await post(link.url, { step: "cancel" });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get("Location")).toBe(REDIRECT);
    expect(await status(link)).toEqual({ consent: "valid", sca: "finalised" });
  });
});

describe("redirect SCA: lifetimes", () => {
  it(`ends a link ${SCA_LINK_LIFETIME_MINUTES} minutes after the TPP started it: a clear page, scaStatus failed, consent rejected`, async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const { token } = await logIn(link.url, customer);
    await later(minutes(SCA_LINK_LIFETIME_MINUTES) + 1000, async () => {
      const confirm = await post(link.url, { step: "confirm", step_token: token, tan: "123456" });
      expect(confirm.status).toBe(410);
      const html = await confirm.text();
      expect(alertOf(html)).toContain(`gilt ein Freigabe-Link nur ${SCA_LINK_LIFETIME_MINUTES} Minuten`);
      expect(html).toContain(`href="${NOK}"`);
      expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
      const page = await bank.app.request(link.url);
      expect(page.status).toBe(410);
      expect(await page.text()).not.toContain('name="password"');
    });
  });

  it("tells the TPP that a link nobody opened has failed once its lifetime is over", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    expect((await status(link)).sca).toBe("received");
    await later(minutes(SCA_LINK_LIFETIME_MINUTES) + 1000, async () => {
      expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
    });
  });

  it("says the consent is rejected on GET /consents/{id} as soon as /status would, once the link has run out", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    await later(minutes(SCA_LINK_LIFETIME_MINUTES) + 1000, async () => {
      // Asked first, before anything else has looked at the consent: books reads this one.
      const consent = await bank.xs2a(`/consents/${link.consentId}`);
      expect(consent.status).toBe(200);
      expect(consent.body.consentStatus).toBe("rejected");
      expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
    });
  });

  it(`ends the approval when the TAN comes more than ${SCA_STEP_LIFETIME_MINUTES} minutes after the login`, async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    await later(minutes(SCA_LINK_LIFETIME_MINUTES - SCA_STEP_LIFETIME_MINUTES - 5), async () => {
      const { token } = await logIn(link.url, customer);
      await later(minutes(SCA_STEP_LIFETIME_MINUTES) + 1000, async () => {
        const confirm = await post(link.url, { step: "confirm", step_token: token, tan: "123456" }, EN);
        expect(confirm.status).toBe(410);
        expect(alertOf(await confirm.text())).toContain(
          `the TAN must be entered within ${SCA_STEP_LIFETIME_MINUTES} minutes`,
        );
        expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
      });
    });
  });

  it("moves with the sandbox's clock offset", async () => {
    // The bank as server.ts builds it: its clock includes the sandbox's clock offset.
    const controls = bank.deps.controls;
    const sandbox = createApp({
      ...bank.deps,
      clock: offsetClock(bank.clock, () => controls.get().clockOffsetMs),
    });
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    try {
      const set = await sandbox.request(`${bank.deps.publicUrl}/sandbox/controls`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ clockOffsetMs: minutes(SCA_LINK_LIFETIME_MINUTES + 1) }),
      });
      expect(set.status).toBe(200);
      const page = await sandbox.request(link.url);
      expect(page.status).toBe(410);
    } finally {
      controls.set({});
    }
  });
});

describe("redirect SCA: several authorisations of one consent", () => {
  /** A second authorisation of the link's consent, started by the TPP now. */
  async function startAnother(link: { consentId: string }) {
    const started = await bank.xs2a(`/consents/${link.consentId}/authorisations`, {
      method: "POST",
      body: "{}",
      headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Redirect-URI": REDIRECT, "TPP-Nok-Redirect-URI": NOK },
    });
    expect(started.status).toBe(201);
    return {
      url: started.body._links.scaRedirect.href as string,
      consentId: link.consentId,
      scaStatusUrl: started.body._links.scaStatus.href as string,
    };
  }

  it("lets an older link run out without rejecting the consent while a newer one is open, and rejects it once that one has run out too", async () => {
    const customer = await createCustomer(bank.db);
    const first = await scaLink(accessTo(customer.accounts[0]!.iban));
    await later(minutes(25), async () => {
      const second = await startAnother(first);
      await later(minutes(6), async () => {
        // 31 minutes after the first link: it has failed, the consent waits for the second.
        expect((await bank.xs2a(`/consents/${first.consentId}`)).body.consentStatus).toBe("received");
        expect(await status(first)).toEqual({ consent: "received", sca: "failed" });
        expect(await status(second)).toEqual({ consent: "received", sca: "received" });
        expect((await bank.app.request(second.url)).status).toBe(200);
        await later(minutes(SCA_LINK_LIFETIME_MINUTES), async () => {
          expect(await status(second)).toEqual({ consent: "rejected", sca: "failed" });
        });
      });
    });
  });

  it("completes the newer link after the older one ran out", async () => {
    const customer = await createCustomer(bank.db);
    const first = await scaLink(accessTo(customer.accounts[0]!.iban));
    await later(minutes(25), async () => {
      const second = await startAnother(first);
      await later(minutes(6), async () => {
        expect((await bank.app.request(first.url)).status).toBe(410);
        const sca = await completeRedirectSca(bank, second.url, customer);
        expect(sca).toMatchObject({ status: 303, location: REDIRECT });
        expect(await status(second)).toEqual({ consent: "valid", sca: "finalised" });
      });
    });
  });

  it("keeps the consent waiting when the PSU cancels one link while another is open, and rejects it when the last one is cancelled", async () => {
    const customer = await createCustomer(bank.db);
    const first = await scaLink(accessTo(customer.accounts[0]!.iban));
    const second = await startAnother(first);
    const cancelled = await post(first.url, { step: "cancel" });
    expect(cancelled.headers.get("Location")).toBe(NOK);
    expect(await status(first)).toEqual({ consent: "received", sca: "failed" });
    expect((await bank.app.request(second.url)).status).toBe(200);

    await post(second.url, { step: "cancel" });
    expect(await status(second)).toEqual({ consent: "rejected", sca: "failed" });
  });
});

describe("redirect SCA: posts sent at once", () => {
  const failedAttempts = async (consentId: string) =>
    (
      await bank.db
        .selectFrom("authorisations")
        .select("failed_attempts")
        .where("consent_id", "=", consentId)
        .executeTakeFirstOrThrow()
    ).failed_attempts;

  it("counts each of 8 wrong TANs sent at once: the third fails the authorisation, and the right TAN after them is refused", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const { token } = await logIn(link.url, customer);
    const wrong = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        post(link.url, { step: "confirm", step_token: token, tan: `00000${i}` }, EN),
      ),
    );
    const pages = await Promise.all(
      wrong.map(async (r) => ({ status: r.status, alert: alertOf(await r.text()) })),
    );
    // Two tries left, one left, failed; the other five find the authorisation already failed.
    expect(pages.filter((p) => p.alert.startsWith("The TAN is wrong."))).toHaveLength(2);
    expect(
      pages.filter((p) => p.status === 400 && p.alert.startsWith("The TAN was entered wrongly")),
    ).toEqual([
      {
        status: 400,
        alert:
          "The TAN was entered wrongly 3 times. For your security the approval has been cancelled; Kontor Books (test) gets no access. You can start the connection again in Kontor Books (test).",
      },
    ]);
    expect(pages.filter((p) => p.status === 409)).toHaveLength(5);
    expect(await failedAttempts(link.consentId)).toBe(3);

    const right = await post(link.url, { step: "confirm", step_token: token, tan: "123456" });
    expect(right.status).toBe(409);
    expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
  });

  for (const first of ["confirm", "cancel"] as const) {
    it(`ends one way only when cancel and the right TAN are sent together (${first} first)`, async () => {
      const customer = await createCustomer(bank.db);
      const link = await scaLink(accessTo(customer.accounts[0]!.iban));
      const { token } = await logIn(link.url, customer);
      const confirm = () => post(link.url, { step: "confirm", step_token: token, tan: "123456" });
      const cancel = () => post(link.url, { step: "cancel" });
      const [confirmed, cancelled] =
        first === "confirm"
          ? await Promise.all([confirm(), cancel()])
          : await Promise.all([cancel(), confirm()]).then(([b, a]) => [a, b] as const);
      const outcome = await status(link);
      if (outcome.sca === "finalised") {
        // The TAN won: both go to the ok URI, as a cancel after success does.
        expect(outcome.consent).toBe("valid");
        expect([confirmed.status, confirmed.headers.get("Location")]).toEqual([303, REDIRECT]);
        expect([cancelled.status, cancelled.headers.get("Location")]).toEqual([303, REDIRECT]);
      } else {
        // The cancel won: the TAN is answered as for a cancelled link, and changes nothing.
        expect(outcome).toEqual({ consent: "rejected", sca: "failed" });
        expect([cancelled.status, cancelled.headers.get("Location")]).toEqual([303, NOK]);
        expect(confirmed.status).toBe(409);
        expect(alertOf(await confirmed.text())).toContain("abgebrochen oder ist fehlgeschlagen");
      }
    });
  }

  it("does not bring a cancelled authorisation back with a login sent at the same time", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const [login, cancel] = await Promise.all([
      post(link.url, { step: "login", login: customer.login, password: customer.password }),
      post(link.url, { step: "cancel" }),
    ]);
    expect(cancel.headers.get("Location")).toBe(NOK);
    // Read from the table: the TPP's status request would fail an open authorisation of a rejected consent.
    const row = await bank.db
      .selectFrom("authorisations")
      .select(["sca_status", "step_token_hash"])
      .where("consent_id", "=", link.consentId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ sca_status: "failed", step_token_hash: null });
    // Either the login came first (its TAN form is now dead) or it found the link cancelled.
    const html = await login.text();
    if (login.status === 200) {
      const done = await post(link.url, { step: "confirm", step_token: tokenOf(html), tan: "123456" });
      expect(done.status).toBe(409);
    } else {
      expect(login.status).toBe(409);
    }
    expect(await status(link)).toEqual({ consent: "rejected", sca: "failed" });
  });
});

describe("security headers", () => {
  const expectGuarded = (response: Response) => {
    expect(response.headers.get("X-Frame-Options")).toBe("DENY");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("same-origin");
    expect(response.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
  };

  it("guards the SCA pages like online banking, and lets their forms redirect only to the TPP", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    const page = await bank.app.request(link.url);
    expectGuarded(page);
    // Browsers apply form-action to the redirect that answers a post: the TPP's origin must be allowed.
    expect(page.headers.get("Content-Security-Policy")).toContain("form-action 'self' https://books.test;");
    const tan = await post(link.url, { step: "login", login: customer.login, password: customer.password });
    expectGuarded(tan);
    const wrong = await post(link.url, { step: "login", login: customer.login, password: "wrong" });
    expectGuarded(wrong);
    expectGuarded(await bank.app.request(`${bank.deps.publicUrl}/sca/consents/nope/nope`));
  });

  it("refuses a TPP URI the bank could not send the PSU to, when the consent or an authorisation is created", async () => {
    const customer = await createCustomer(bank.db);
    const body = JSON.stringify({
      access: accessTo(customer.accounts[0]!.iban),
      recurringIndicator: true,
      validUntil: "2027-02-01",
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    });
    const consentsBefore = await bank.db
      .selectFrom("consents")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    const bad = [
      "books.test/callback",
      "javascript:alert(1)",
      "ftp://books.test/callback",
      "https:books.test/callback",
      "https://books.test,evil.test;sandbox/callback",
      "http://[::1]:3000/callback",
    ];
    for (const uri of bad) {
      for (const [header, headers] of [
        ["TPP-Redirect-URI", { "TPP-Redirect-URI": uri }],
        ["TPP-Nok-Redirect-URI", { "TPP-Redirect-URI": REDIRECT, "TPP-Nok-Redirect-URI": uri }],
      ] as const) {
        const created = await bank.xs2a("/consents", {
          method: "POST",
          body,
          headers: { "PSU-IP-Address": "192.0.2.10", ...headers },
        });
        expect(created.status, `${header}: ${uri}`).toBe(400);
        expect(created.body.tppMessages[0]).toMatchObject({ code: "FORMAT_ERROR", path: header });
      }
    }
    const consentsAfter = await bank.db
      .selectFrom("consents")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(consentsAfter.n)).toBe(Number(consentsBefore.n));

    // The same at the start of an authorisation of a consent created without one.
    const explicit = await bank.xs2a("/consents", {
      method: "POST",
      body,
      headers: { "PSU-IP-Address": "192.0.2.10", "TPP-Explicit-Authorisation-Preferred": "true" },
    });
    expect(explicit.status).toBe(201);
    const started = await bank.xs2a(`/consents/${explicit.body.consentId}/authorisations`, {
      method: "POST",
      body: "{}",
      headers: {
        "PSU-IP-Address": "192.0.2.10",
        "TPP-Redirect-URI": REDIRECT,
        "TPP-Nok-Redirect-URI": "https://books.test;script-src/nok",
      },
    });
    expect(started.status).toBe(400);
    expect(started.body.tppMessages[0]).toMatchObject({ code: "FORMAT_ERROR", path: "TPP-Nok-Redirect-URI" });
    const list = await bank.xs2a(`/consents/${explicit.body.consentId}/authorisations`);
    expect(list.body.authorisationIds).toEqual([]);
  });

  it("never lets a stored TPP URI add anything but a plain origin to the SCA pages' policy", async () => {
    const customer = await createCustomer(bank.db);
    const link = await scaLink(accessTo(customer.accounts[0]!.iban));
    // Stored before the bank refused such URIs at creation.
    await bank.db
      .updateTable("authorisations")
      .set({ redirect_uri: "https://books.test,evil.test;sandbox/cb", nok_redirect_uri: "https://a'b/nok" })
      .where("consent_id", "=", link.consentId)
      .execute();
    const page = await bank.app.request(link.url);
    expect(page.status).toBe(200);
    const policy = page.headers.get("Content-Security-Policy") ?? "";
    expect(policy).toContain("form-action 'self'; frame-ancestors 'none'");
    expect(policy).not.toContain("evil");
    expect(policy).not.toContain("sandbox");
    expect(policy).not.toContain("a'b");
  });

  it("guards the banking app's pages and the error pages too", async () => {
    const customer = await createCustomer(bank.db);
    const client = await loggedIn(bank, customer);
    expectGuarded(await client.get("/app"));
    expectGuarded(await client.get("/no-such-page"));
  });
});
