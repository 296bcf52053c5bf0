/** Injected everywhere time matters, so tests and the sandbox's clock offset can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function offsetClock(base: Clock, offsetMs: () => number): Clock {
  return { now: () => new Date(base.now().getTime() + offsetMs()) };
}

import { berlinDate as berlinDateOf } from "@kontor/calendar";

export { addDays, daysBetween } from "@kontor/calendar";

let memo = { minute: Number.NaN, date: "" };

/**
 * The calendar date of an instant in Berlin, remembered for the current minute: every XS2A read asks for it
 * several times, and formatting it through Intl costs a few microseconds each. Berlin's day always begins
 * on a whole UTC minute, so the minute decides the date.
 */
export function berlinDate(instant: Date): string {
  const minute = Math.floor(instant.getTime() / 60_000);
  if (minute !== memo.minute) memo = { minute, date: berlinDateOf(instant) };
  return memo.date;
}
