import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAuditEntries, recordAudit } from "../audit/audit.service.ts";
import { createMember, createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import { addMember, createOrganisation, listMembers } from "./organisations.service.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks();
});
afterAll(() => books.close());

describe("organisation scoping", () => {
  it("never shows one organisation another's members or audit entries", async () => {
    const a = await createMember(books, { role: "owner" });
    const aViewer = await createMember(books, { role: "viewer", organisation: a.organisation });
    const b = await createMember(books, { role: "owner" });
    for (const member of [a, aViewer, b]) {
      await testBrowser(books.app).login(member.user.email, member.user.password);
    }
    await recordAudit(books.database.db, books.clock, b.organisation.id, {
      actor: { userId: null, label: "system" },
      action: "auth.logout",
      subject: "only-in-b",
    });

    const membersOfA = await listMembers(books.database.db, a.organisation.id);
    expect(membersOfA.map((m) => m.email).sort()).toEqual([a.user.email, aViewer.user.email].sort());
    expect(
      membersOfA.find((m) => m.userId === aViewer.user.id)?.permissions.has("financial_accounting"),
    ).toBe(false);
    expect((await listMembers(books.database.db, b.organisation.id)).map((m) => m.email)).toEqual([
      b.user.email,
    ]);

    const auditOfA = await listAuditEntries(books.database.db, a.organisation.id);
    expect(auditOfA.entries.map((e) => e.actorLabel).sort()).toEqual(
      [a.user.email, aViewer.user.email].sort(),
    );
    const auditOfB = await listAuditEntries(books.database.db, b.organisation.id);
    expect(auditOfB.entries.map((e) => e.subject ?? e.actorLabel)).toEqual(["only-in-b", b.user.email]);

    const browser = testBrowser(books.app);
    await browser.login(a.user.email, a.user.password);
    const page = await browser.get("/audit");
    expect(page.body).toContain(a.user.email);
    expect(page.body).not.toContain(b.user.email);
    expect(page.body).not.toContain("only-in-b");
  });

  it("lets a member of two organisations switch between them, each showing only its own log", async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    // Login starts in the first organisation by name.
    const alpha = await createOrganisation(books.database.db, books.clock, { name: `Alpha ${suffix}` });
    const beta = await createOrganisation(books.database.db, books.clock, { name: `Beta ${suffix}` });
    const both = await createMember(books, { role: "accountant", organisation: alpha });
    await addMember(books.database.db, books.clock, beta.id, { userId: both.user.id, role: "viewer" });
    const betaOnly = await createMember(books, { organisation: beta });
    await testBrowser(books.app).login(betaOnly.user.email, betaOnly.user.password);

    const browser = testBrowser(books.app);
    await browser.login(both.user.email, both.user.password);
    const inAlpha = await browser.get("/audit");
    expect(inAlpha.body).toContain(`in Alpha ${suffix}.`);
    expect(inAlpha.body).toContain(`<option value="${beta.id}">Beta ${suffix}</option>`);
    expect(inAlpha.body).not.toContain(betaOnly.user.email);

    const switched = await browser.post("/session/organisation", { organisationId: beta.id });
    expect(switched.status).toBe(303);
    const inBeta = await browser.get("/audit");
    expect(inBeta.body).toContain(`in Beta ${suffix}.`);
    expect(inBeta.body).toContain("Switched to this organisation");
    expect(inBeta.body).toContain(betaOnly.user.email);
    expect(inBeta.body).toContain("Read only");
    // The viewer role applies in Beta: no adding accounts there.
    expect((await browser.get("/accounts/new")).status).toBe(403);
  });

  it("does not switch into an organisation the user is not a member of", async () => {
    const mine = await createMember(books);
    const theirs = await createMember(books);
    const browser = testBrowser(books.app);
    await browser.login(mine.user.email, mine.user.password);
    await browser.get("/accounts");
    const response = await browser.post("/session/organisation", { organisationId: theirs.organisation.id });
    expect(response.status).toBe(404);
    const session = await books.database.db
      .selectFrom("sessions")
      .select("organisation_id")
      .where("user_id", "=", mine.user.id)
      .executeTakeFirstOrThrow();
    expect(session.organisation_id).toBe(mine.organisation.id);
    expect((await listAuditEntries(books.database.db, theirs.organisation.id)).entries).toHaveLength(0);
  });

  it("pages through a long audit log without gaps or repeats", async () => {
    const member = await createMember(books);
    for (let i = 0; i < 7; i++) {
      await recordAudit(books.database.db, books.clock, member.organisation.id, {
        actor: { userId: null, label: "system" },
        action: "auth.logout",
        subject: `entry-${i}`,
      });
    }
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await listAuditEntries(books.database.db, member.organisation.id, { before, limit: 3 });
      seen.push(...page.entries.map((e) => e.subject ?? ""));
      if (page.olderBefore === null) break;
      before = page.olderBefore;
    }
    expect(seen).toEqual(["entry-6", "entry-5", "entry-4", "entry-3", "entry-2", "entry-1", "entry-0"]);
  });
});
