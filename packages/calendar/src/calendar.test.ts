import { describe, expect, it } from "vitest";
import { addDays, berlinDate, daysBetween } from "./index.ts";

describe("calendar", () => {
  it("dates an instant in Berlin, across midnight and daylight saving", () => {
    expect(berlinDate(new Date("2026-11-23T22:59:59Z"))).toBe("2026-11-23");
    expect(berlinDate(new Date("2026-11-23T23:00:00Z"))).toBe("2026-11-24");
    expect(berlinDate(new Date("2026-07-01T21:59:59Z"))).toBe("2026-07-01");
    expect(berlinDate(new Date("2026-07-01T22:00:00Z"))).toBe("2026-07-02");
  });

  it("adds days across months, years and leap days", () => {
    expect(addDays("2026-11-23", 180)).toBe("2027-05-22");
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
    expect(daysBetween("2026-08-25", "2026-11-23")).toBe(90);
  });
});
