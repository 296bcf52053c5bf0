/** Calendar dates (YYYY-MM-DD) in Europe/Berlin, the calendar German banks book in. */

import { addDays, berlinDate } from "@kontor/calendar";

export { addDays, berlinDate, daysBetween, isCalendarDate } from "@kontor/calendar";

export function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}

export function minDate(a: string, b: string): string {
  return a < b ? a : b;
}

/** The first instant of the next Berlin day after `instant`. */
export function startOfNextBerlinDay(instant: Date): Date {
  const tomorrow = addDays(berlinDate(instant), 1);
  // Midnight in Berlin is 22:00 or 23:00 UTC the day before; try both offsets and keep the one that is that day.
  for (const offset of [1, 2]) {
    const candidate = new Date(`${tomorrow}T00:00:00Z`);
    candidate.setUTCHours(-offset);
    if (berlinDate(candidate) === tomorrow) return candidate;
  }
  return new Date(`${tomorrow}T00:00:00Z`);
}
