import type { Context } from "hono";
import { getCookie } from "hono/cookie";

export type Lang = "de" | "en";

/** Every string of the bank's pages, in German and English (same keys; a test checks). */
export const messages = {
  de: {
    "bank.name": "Kontor Sandbox Bank",
    "lang.switch": "English",
    "error.title": "Fehler",
    "error.back": "Zurück zur Startseite",
    "sca.title": "Zugriff freigeben",
    "sca.login.intro": "{tpp} möchte auf Ihre Konten zugreifen. Bitte melden Sie sich bei Ihrer Bank an.",
    "sca.login.user": "Anmeldename",
    "sca.login.password": "Passwort",
    "sca.login.submit": "Bei der Bank anmelden",
    "sca.cancel": "Abbrechen",
    "sca.consent.intro": "{tpp} bittet um folgenden Zugriff:",
    "sca.consent.validUntil": "Gültig bis",
    "sca.consent.frequency": "Abrufe ohne Ihre Anwesenheit",
    "sca.consent.perDay": "{n}× pro Tag",
    "sca.consent.oneOff": "Einmaliger Zugriff",
    "sca.scope.accounts": "Kontodaten",
    "sca.scope.balances": "Salden",
    "sca.scope.transactions": "Umsätze",
    "sca.scope.allAccounts": "Alle Ihre Konten (Liste)",
    "sca.scope.allPsd2": "Alle Ihre Konten: Kontodaten, Salden, Umsätze",
    "sca.choose": "Wählen Sie die Konten, die Sie freigeben:",
    "sca.tan": "TAN",
    "sca.tan.hint": "Geben Sie die TAN aus Ihrer Banking-App ein (Sandbox: 123456).",
    "sca.submit": "Zugriff erlauben",
    "sca.done": "Erledigt. Sie können dieses Fenster schließen.",
    "sca.renewal": "Bestätigen Sie den bestehenden Zugriff erneut (starke Kundenauthentifizierung).",
    "sca.payment.intro": "{tpp} möchte eine Zahlung auslösen:",
  },
  en: {
    "bank.name": "Kontor Sandbox Bank",
    "lang.switch": "Deutsch",
    "error.title": "Error",
    "error.back": "Back to the start page",
    "sca.title": "Grant access",
    "sca.login.intro": "{tpp} asks to access your accounts. Please log in to your bank.",
    "sca.login.user": "Login",
    "sca.login.password": "Password",
    "sca.login.submit": "Log in to the bank",
    "sca.cancel": "Cancel",
    "sca.consent.intro": "{tpp} asks for this access:",
    "sca.consent.validUntil": "Valid until",
    "sca.consent.frequency": "Reads without you present",
    "sca.consent.perDay": "{n}× a day",
    "sca.consent.oneOff": "One-off access",
    "sca.scope.accounts": "Account details",
    "sca.scope.balances": "Balances",
    "sca.scope.transactions": "Transactions",
    "sca.scope.allAccounts": "All your accounts (list)",
    "sca.scope.allPsd2": "All your accounts: details, balances, transactions",
    "sca.choose": "Choose the accounts you share:",
    "sca.tan": "TAN",
    "sca.tan.hint": "Enter the TAN from your banking app (sandbox: 123456).",
    "sca.submit": "Allow access",
    "sca.done": "Done. You may close this window.",
    "sca.renewal": "Confirm the existing access again (strong customer authentication).",
    "sca.payment.intro": "{tpp} asks to make a payment:",
  },
} satisfies Record<Lang, Record<string, string>>;

export type MessageKey = keyof (typeof messages)["de"];

/** Registers more strings (each web feature brings its own) while keeping both languages complete. */
export function translate(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text: string = messages[lang][key];
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
}

export function languageOf(c: Context): Lang {
  const chosen = c.req.query("lang") ?? getCookie(c, "lang");
  if (chosen === "de" || chosen === "en") return chosen;
  const accept = c.req.header("Accept-Language") ?? "";
  return /^\s*en/i.test(accept) ? "en" : "de";
}

export function translator(c: Context) {
  const lang = languageOf(c);
  return {
    lang,
    t: (key: MessageKey, params?: Record<string, string | number>) => translate(lang, key, params),
  };
}

const dateFormats = {
  de: new Intl.DateTimeFormat("de-DE", { timeZone: "UTC" }),
  en: new Intl.DateTimeFormat("en-GB", { timeZone: "UTC" }),
};

/** "2026-11-23" → "23.11.2026" (de) / "23/11/2026" (en). */
export function formatDate(lang: Lang, isoDate: string): string {
  return dateFormats[lang].format(new Date(`${isoDate}T00:00:00Z`));
}
