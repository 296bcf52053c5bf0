/**
 * How both engines read the types whose default parsing we change. Shared by the pg pool and the embedded
 * database's thread (pglite-thread.worker.ts), which builds its PGlite with them.
 */

// OIDs of the types whose default parsing we change, the same on both engines.
export const INT8 = 20;
export const DATE = 1082;
export const NUMERIC = 1700;

/**
 * Money lives in bigint columns as integer minor units. We read them as JS numbers, which are exact up to
 * 2^53 minor units (90 trillion euros); anything beyond is refused rather than silently rounded.
 */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} exceeds the safe integer range`);
  return value;
}

/** Calendar dates stay "YYYY-MM-DD" text: a Date would shift them by the process's time zone. */
export const identity = (text: string) => text;
