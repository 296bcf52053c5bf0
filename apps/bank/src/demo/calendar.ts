/**
 * The booking calendar of a German bank, on day numbers (days since 1970-01-01, UTC) because the generator
 * compares and shifts dates a few million times and strings are slow at that.
 */

const MS_PER_DAY = 86_400_000;

export function dayNumber(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) {
    throw new RangeError(`expected a calendar date YYYY-MM-DD, got "${date}"`);
  }
  return Math.round(Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY);
}

const isoCache = new Map<number, string>();

export function isoDate(day: number): string {
  let text = isoCache.get(day);
  if (text === undefined) {
    text = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    isoCache.set(day, text);
  }
  return text;
}

/** 0 = Sunday … 6 = Saturday. 1970-01-01 was a Thursday. */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export function ymd(day: number): { year: number; month: number; date: number } {
  const iso = isoDate(day);
  return { year: Number(iso.slice(0, 4)), month: Number(iso.slice(5, 7)), date: Number(iso.slice(8, 10)) };
}

export function dayOf(year: number, month: number, date: number): number {
  return Math.round(Date.UTC(year, month - 1, date) / MS_PER_DAY);
}

/** Easter Sunday (Anonymous Gregorian algorithm). */
function easter(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const date = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, date);
}

const holidayCache = new Map<number, Set<number>>();

/**
 * Days a German bank books nothing: the TARGET2 closing days (1 Jan, Good Friday, Easter Monday, 1 May,
 * 25/26 Dec), the nationwide public holidays (Ascension, Whit Monday, 3 Oct) and 24/31 Dec.
 */
function holidays(year: number): Set<number> {
  let set = holidayCache.get(year);
  if (!set) {
    const e = easter(year);
    set = new Set([
      dayOf(year, 1, 1),
      e - 2,
      e + 1,
      dayOf(year, 5, 1),
      e + 39,
      e + 50,
      dayOf(year, 10, 3),
      dayOf(year, 12, 24),
      dayOf(year, 12, 25),
      dayOf(year, 12, 26),
      dayOf(year, 12, 31),
    ]);
    holidayCache.set(year, set);
  }
  return set;
}

export function isBusinessDay(day: number): boolean {
  const w = weekday(day);
  if (w === 0 || w === 6) return false;
  return !holidays(ymd(day).year).has(day);
}

/** The day itself if it is a business day, else the next one. */
export function nextBusinessDay(day: number): number {
  let d = day;
  while (!isBusinessDay(d)) d += 1;
  return d;
}

/** The day itself if it is a business day, else the previous one. */
export function previousBusinessDay(day: number): number {
  let d = day;
  while (!isBusinessDay(d)) d -= 1;
  return d;
}

const germanCache = new Map<number, string>();

/** "2026-03-02" → "02.03.2026", the way dates appear in German remittance lines. */
export function germanDate(day: number): string {
  let text = germanCache.get(day);
  if (text === undefined) {
    const iso = isoDate(day);
    text = `${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)}`;
    germanCache.set(day, text);
  }
  return text;
}

const compactCache = new Map<number, string>();

/** "2026-03-02" → "20260302". */
export function compactDate(day: number): string {
  let text = compactCache.get(day);
  if (text === undefined) {
    const iso = isoDate(day);
    text = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
    compactCache.set(day, text);
  }
  return text;
}
