import { formatMoney } from "@kontor/money";
import type { Lang } from "./i18n.ts";

/** Locale-aware formatting for the bank's pages; instants are shown in the bank's time zone. */

const LOCALES = { de: "de-DE", en: "en-GB" } as const satisfies Record<Lang, string>;

export function money(lang: Lang, minor: number, currency: string): string {
  return formatMoney(Number(minor), currency, LOCALES[lang]);
}

const dateTimeFormats = {
  de: new Intl.DateTimeFormat("de-DE", {
    timeZone: "Europe/Berlin",
    dateStyle: "medium",
    timeStyle: "short",
  }),
  en: new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    dateStyle: "medium",
    timeStyle: "short",
  }),
};

/** An instant as the PSU in Germany sees it: "23.11.2026, 11:00" (de) / "23 Nov 2026, 11:00" (en). */
export function formatDateTime(lang: Lang, instant: Date | string): string {
  return dateTimeFormats[lang].format(new Date(instant));
}

/** A count for people: 1234 → "1.234" (de) / "1,234" (en). */
export function count(lang: Lang, n: number): string {
  return n.toLocaleString(LOCALES[lang]);
}
