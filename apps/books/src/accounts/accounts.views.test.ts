import { html } from "hono/html";
import { describe, expect, it } from "vitest";
import { sandboxBank } from "../connectors/bank-directory.ts";
import { translator } from "../web/i18n.ts";
import { accountPage, waitPage } from "./accounts.views.ts";

const t = translator("en");
const now = new Date("2026-03-02T10:00:00Z");

function waiting(psuMessage: string | null) {
  return waitPage(
    { t, locale: "en", canConnect: true },
    {
      flowId: "6f1c2b7e-2f4a-4c1e-9a51-0c8d1d2e3f40",
      state: {
        kind: "waiting",
        purpose: "connect",
        bankName: "Beispielbank",
        startedAt: now,
        expiresAt: new Date(now.getTime() + 30 * 60_000),
        now,
        psuMessage,
      },
    },
  ).toString();
}

describe("the waiting page shows the bank's psuMessage", () => {
  it("as text, escaped, never as markup", () => {
    const page = waiting(`Bitte <b>bestätigen</b> & "freigeben" <script>alert(1)</script>`);
    expect(page).toContain("Message from Beispielbank:");
    expect(page).toContain(
      "<p data-psu-message-text>Bitte &lt;b&gt;bestätigen&lt;/b&gt; &amp; &quot;freigeben&quot; &lt;script&gt;alert(1)&lt;/script&gt;</p>",
    );
    expect(page).not.toContain("<script>");
    expect(page).toMatch(/<figure class="psu-message" data-psu-message\s*>/);
  });

  it("keeps the (hidden) place for it when the bank said nothing, for the polling script to fill", () => {
    const page = waiting(null);
    expect(page).toMatch(/<figure class="psu-message" data-psu-message hidden>/);
    expect(page).toContain("<p data-psu-message-text></p>");
  });
});

describe("re-authentication on the account page", () => {
  function page(scaApproaches: Array<"REDIRECT" | "DECOUPLED">) {
    return accountPage({
      t,
      locale: "en",
      canConnect: true,
      csrf: html`<input type="hidden" name="_csrf" value="token" />`,
      account: {
        id: "0c7f8e1a-3b2d-4e5f-8a9b-1c2d3e4f5a6b",
        name: "Main",
        iban: "DE89370400440532013000",
        currency: "EUR",
        balanceMinor: 100,
        lastSyncedAt: null,
        bankName: "Beispielbank",
        status: "active",
        connectionStatus: "sca_required",
        validUntil: null,
        importFrom: "2026-01-01",
        connectionId: "1d8e9f2b-4c3e-4f60-9bac-2d3e4f5a6b7c",
        nextSyncAt: null,
        lastError: null,
        balanceDate: null,
        gapFrom: null,
        gapTo: null,
      },
      transactions: { rows: [], total: 0 },
      filter: { sort: "date_desc", limit: 50, offset: 0 },
      pending: [],
      series: [],
      lastJob: undefined,
      bank: { ...sandboxBank("http://bank.test"), scaApproaches },
    }).toString();
  }

  it("offers approval in the banking app only where the bank's directory entry lists DECOUPLED", () => {
    const both = page(["REDIRECT", "DECOUPLED"]);
    expect(both).toContain("Authenticate at the bank again");
    expect(both).toContain('<input type="hidden" name="approach" value="DECOUPLED" />');
    expect(both).toContain("Your user ID at Kontor Sandbox Bank");

    const redirectOnly = page(["REDIRECT"]);
    expect(redirectOnly).toContain("Authenticate at the bank again");
    expect(redirectOnly).not.toContain('name="approach"');
    expect(redirectOnly).not.toContain('name="psuId"');

    const decoupledOnly = page(["DECOUPLED"]);
    expect(decoupledOnly).toContain('name="psuId"');
    expect(decoupledOnly).not.toContain(">Authenticate at the bank again</button>");
  });
});
