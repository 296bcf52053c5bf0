/** Injected everywhere time matters, so tests and the sandbox's clock offset can move it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function offsetClock(base: Clock, offsetMs: () => number): Clock {
  return { now: () => new Date(base.now().getTime() + offsetMs()) };
}

export { addDays, berlinDate, daysBetween, isCalendarDate } from "@kontor/calendar";
