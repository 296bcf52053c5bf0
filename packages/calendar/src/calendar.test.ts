import { describe, expect, it } from "vitest";
import { addDays, berlinDate, daysBetween, isCalendarDate } from "./index.ts";

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

  it("tells dates that exist, written YYYY-MM-DD, from everything else", () => {
    for (const date of ["2026-11-23", "2028-02-29", "2000-02-29", "2026-12-31", "2026-04-30", "0001-01-01"]) {
      expect(isCalendarDate(date), date).toBe(true);
    }
    for (const text of [
      "2026-02-29",
      "1900-02-29",
      "0000-01-01",
      "2026-04-31",
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-1-01",
      "26-01-01",
      "2026-01-01T00:00",
      " 2026-01-01",
      "",
      "heute",
    ]) {
      expect(isCalendarDate(text), text).toBe(false);
    }
  });
});
