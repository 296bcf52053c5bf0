import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listMembers } from "../organisations/organisations.service.ts";
import { createTestBooks, type TestBooks, testBrowser } from "../testing.ts";
import { DEMO, seedDemo } from "./seed.ts";

let books: TestBooks;
beforeAll(async () => {
  books = await createTestBooks({ config: { demo: true } });
});
afterAll(() => books.close());

describe("demo seed", () => {
  it("creates Muster Handwerk GmbH with an accountant and a viewer, and is idempotent", async () => {
    await seedDemo(books.database.db, books.clock);
    await seedDemo(books.database.db, books.clock);
    const organisations = await books.database.db.selectFrom("organisations").selectAll().execute();
    expect(organisations.map((o) => o.name)).toEqual(["Muster Handwerk GmbH"]);
    const members = await listMembers(books.database.db, DEMO.organisation.id);
    expect(members.map((m) => [m.email, m.permissions.has("financial_accounting")])).toEqual([
      ["demo@kontor.test", true],
      ["viewer@kontor.test", false],
    ]);
  });

  it("lets the demo users log in with their documented passwords, and says so on the login page", async () => {
    await seedDemo(books.database.db, books.clock);
    const login = await testBrowser(books.app).get("/login");
    expect(login.body).toContain("Demo access: demo@kontor.test with password “demo”.");
    for (const user of [DEMO.accountant, DEMO.viewer]) {
      const response = await testBrowser(books.app).login(user.email, user.password);
      expect(response.status, user.email).toBe(303);
    }
  });
});
