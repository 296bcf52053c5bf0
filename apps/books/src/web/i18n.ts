import { formatMoney as formatMoneyIn } from "@kontor/money";

/**
 * Every string the UI shows, in German and English. The German dictionary must have exactly the English
 * keys (the type checker enforces it and i18n.test.ts checks it at run time, placeholders included).
 * Placeholders are written {name}; values are inserted as text and escaped by the html template later.
 */

export const LOCALES = ["de", "en"] as const;
export type Locale = (typeof LOCALES)[number];

/** Intl locales for dates and money: German style in German, British (day-first) style in English. */
export const INTL_LOCALE = { de: "de-DE", en: "en-GB" } as const satisfies Record<Locale, string>;

/** Books serves German businesses: instants are shown in German time whatever the server's zone. */
export const DISPLAY_TIME_ZONE = "Europe/Berlin";

const en = {
  "app.name": "Kontor",
  "app.tagline": "Bookkeeping connected to your bank",

  "nav.main": "Main navigation",
  "nav.skip": "Skip to content",
  "nav.accounts": "Finances > Accounts",
  "nav.audit": "Audit log",
  "nav.userMenu": "User menu",
  "nav.signedInAs": "Signed in as {email}",
  "nav.organisation": "Organisation",
  "nav.role": "Role: {role}",
  "nav.switchOrganisation": "Switch organisation",
  "nav.switch": "Switch",
  "nav.logout": "Log out",
  "nav.language": "Language",
  "nav.otherLanguage": "Deutsch",
  "nav.otherLanguageHint": "Auf Deutsch umschalten",

  "role.owner": "Owner",
  "role.accountant": "Accountant",
  "role.viewer": "Read only",
  "permission.financial_accounting": "Financial Accounting",

  "login.title": "Log in",
  "login.heading": "Log in to Kontor",
  "login.email": "Email address",
  "login.password": "Password",
  "login.submit": "Log in",
  "login.invalid": "The email address or password is incorrect.",
  "login.throttled": "Too many failed attempts. Please try again in {minutes} minutes.",
  "login.noOrganisation": "Your user is not a member of any organisation yet. Ask an owner to invite you.",
  "login.loggedOut": "You have been logged out.",
  "login.demoHint": "Demo access: {email} with password “{password}”.",

  "accounts.section": "Finances",
  "accounts.title": "Accounts",
  "accounts.intro": "Your bank accounts and the transactions imported from them.",
  "accounts.add": "Add account",
  "accounts.empty.title": "No bank accounts yet",
  "accounts.empty.text": "Connect your business bank account to import its transactions automatically.",
  "accounts.addNeedsPermission": "To connect accounts you need the “{permission}” permission.",
  "accounts.column.name": "Account",
  "accounts.column.iban": "IBAN",
  "accounts.column.balance": "Balance",
  "accounts.column.lastSync": "Last sync",
  "accounts.neverSynced": "Not yet synced",
  "accounts.new.title": "Add account",
  "accounts.new.steps": "Steps",
  "accounts.new.step.type": "Choose account type",
  "accounts.new.step.bank": "Select your bank",
  "accounts.new.step.consent": "Log in at your bank and consent",
  "accounts.new.step.accounts": "Choose accounts and start date",
  "accounts.new.bankAccount": "Bank account",
  "accounts.new.bankAccountText":
    "Connect a business account over PSD2. Booked transactions can be imported from up to 90 days back.",
  "accounts.new.connectNew": "Connect new account",
  "accounts.new.unavailable": "Connecting bank accounts is not available yet.",
  "accounts.new.back": "Back to accounts",

  "audit.title": "Audit log",
  "audit.intro": "Who did what, and when, in {organisation}.",
  "audit.column.when": "When",
  "audit.column.who": "Who",
  "audit.column.what": "What",
  "audit.column.details": "Details",
  "audit.empty": "No entries yet.",
  "audit.older": "Older entries",
  "audit.newest": "Newest entries",
  "audit.pagination": "Audit log pages",
  "audit.action.auth.login": "Logged in",
  "audit.action.auth.login_failed": "Failed login",
  "audit.action.auth.logout": "Logged out",
  "audit.action.organisation.switched": "Switched to this organisation",
  "audit.detail.reason.bad_password": "wrong password",
  "audit.detail.reason.throttled": "blocked after too many attempts",

  "error.title": "Error",
  "error.home": "Go to the start page",
  "error.login": "Log in",
  "error.requestId": "Error reference: {requestId}",
  "error.bad_request.title": "Bad request",
  "error.bad_request.message": "The request could not be understood.",
  "error.validation_failed.title": "Please check your input",
  "error.validation_failed.message": "Some of the entered values are not valid.",
  "error.unauthenticated.title": "Please log in",
  "error.unauthenticated.message": "You need to be logged in to see this page.",
  "error.forbidden.title": "Access denied",
  "error.forbidden.message": "You are not allowed to do this.",
  "error.permission_required.title": "Permission required",
  "error.permission_required.message":
    "This needs the “{permission}” permission. Ask an owner of your organisation to grant it.",
  "error.csrf_failed.title": "Form expired",
  "error.csrf_failed.message":
    "The form could not be verified, so nothing was changed. Reload the page and try again.",
  "error.not_found.title": "Page not found",
  "error.not_found.message": "There is nothing at this address.",
  "error.conflict.title": "Conflict",
  "error.conflict.message": "This was changed in the meantime. Reload the page and try again.",
  "error.payload_too_large.title": "Too large",
  "error.payload_too_large.message": "The submitted data is too large.",
  "error.too_many_requests.title": "Too many requests",
  "error.too_many_requests.message": "Please wait a moment and try again.",
  "error.internal.title": "Something went wrong",
  "error.internal.message":
    "An unexpected error occurred. Nothing you did caused it; please try again later.",
  "error.bank_unavailable.title": "Bank not reachable",
  "error.bank_unavailable.message": "Your bank did not answer. Please try again later.",
} as const;

export type MessageKey = keyof typeof en;

const de: Record<MessageKey, string> = {
  "app.name": "Kontor",
  "app.tagline": "Buchhaltung, verbunden mit Ihrer Bank",

  "nav.main": "Hauptnavigation",
  "nav.skip": "Zum Inhalt springen",
  "nav.accounts": "Finanzen > Konten",
  "nav.audit": "Protokoll",
  "nav.userMenu": "Benutzermenü",
  "nav.signedInAs": "Angemeldet als {email}",
  "nav.organisation": "Organisation",
  "nav.role": "Rolle: {role}",
  "nav.switchOrganisation": "Organisation wechseln",
  "nav.switch": "Wechseln",
  "nav.logout": "Abmelden",
  "nav.language": "Sprache",
  "nav.otherLanguage": "English",
  "nav.otherLanguageHint": "Switch to English",

  "role.owner": "Inhaber",
  "role.accountant": "Buchhaltung",
  "role.viewer": "Nur lesen",
  "permission.financial_accounting": "Finanzbuchhaltung",

  "login.title": "Anmelden",
  "login.heading": "Bei Kontor anmelden",
  "login.email": "E-Mail-Adresse",
  "login.password": "Passwort",
  "login.submit": "Anmelden",
  "login.invalid": "E-Mail-Adresse oder Passwort ist falsch.",
  "login.throttled": "Zu viele fehlgeschlagene Versuche. Bitte versuchen Sie es in {minutes} Minuten erneut.",
  "login.noOrganisation":
    "Ihr Benutzer gehört noch zu keiner Organisation. Bitten Sie einen Inhaber, Sie einzuladen.",
  "login.loggedOut": "Sie wurden abgemeldet.",
  "login.demoHint": "Demo-Zugang: {email} mit dem Passwort „{password}“.",

  "accounts.section": "Finanzen",
  "accounts.title": "Konten",
  "accounts.intro": "Ihre Bankkonten und die daraus importierten Umsätze.",
  "accounts.add": "Konto hinzufügen",
  "accounts.empty.title": "Noch keine Bankkonten",
  "accounts.empty.text": "Verbinden Sie Ihr Geschäftskonto, um seine Umsätze automatisch zu importieren.",
  "accounts.addNeedsPermission": "Zum Verbinden von Konten benötigen Sie die Berechtigung „{permission}“.",
  "accounts.column.name": "Konto",
  "accounts.column.iban": "IBAN",
  "accounts.column.balance": "Saldo",
  "accounts.column.lastSync": "Letzte Synchronisierung",
  "accounts.neverSynced": "Noch nicht synchronisiert",
  "accounts.new.title": "Konto hinzufügen",
  "accounts.new.steps": "Schritte",
  "accounts.new.step.type": "Kontoart wählen",
  "accounts.new.step.bank": "Bank auswählen",
  "accounts.new.step.consent": "Bei der Bank anmelden und zustimmen",
  "accounts.new.step.accounts": "Konten und Startdatum wählen",
  "accounts.new.bankAccount": "Bankkonto",
  "accounts.new.bankAccountText":
    "Verbinden Sie ein Geschäftskonto über PSD2. Gebuchte Umsätze lassen sich bis zu 90 Tage rückwirkend importieren.",
  "accounts.new.connectNew": "Neues Konto verbinden",
  "accounts.new.unavailable": "Das Verbinden von Bankkonten ist noch nicht verfügbar.",
  "accounts.new.back": "Zurück zu den Konten",

  "audit.title": "Protokoll",
  "audit.intro": "Wer hat wann was getan – in {organisation}.",
  "audit.column.when": "Zeitpunkt",
  "audit.column.who": "Wer",
  "audit.column.what": "Was",
  "audit.column.details": "Details",
  "audit.empty": "Noch keine Einträge.",
  "audit.older": "Ältere Einträge",
  "audit.newest": "Neueste Einträge",
  "audit.pagination": "Seiten des Protokolls",
  "audit.action.auth.login": "Angemeldet",
  "audit.action.auth.login_failed": "Anmeldung fehlgeschlagen",
  "audit.action.auth.logout": "Abgemeldet",
  "audit.action.organisation.switched": "Zu dieser Organisation gewechselt",
  "audit.detail.reason.bad_password": "falsches Passwort",
  "audit.detail.reason.throttled": "nach zu vielen Versuchen gesperrt",

  "error.title": "Fehler",
  "error.home": "Zur Startseite",
  "error.login": "Anmelden",
  "error.requestId": "Fehlerreferenz: {requestId}",
  "error.bad_request.title": "Ungültige Anfrage",
  "error.bad_request.message": "Die Anfrage konnte nicht verstanden werden.",
  "error.validation_failed.title": "Bitte prüfen Sie Ihre Eingaben",
  "error.validation_failed.message": "Einige der eingegebenen Werte sind ungültig.",
  "error.unauthenticated.title": "Bitte melden Sie sich an",
  "error.unauthenticated.message": "Um diese Seite zu sehen, müssen Sie angemeldet sein.",
  "error.forbidden.title": "Zugriff verweigert",
  "error.forbidden.message": "Dazu sind Sie nicht berechtigt.",
  "error.permission_required.title": "Berechtigung erforderlich",
  "error.permission_required.message":
    "Dafür benötigen Sie die Berechtigung „{permission}“. Bitten Sie einen Inhaber Ihrer Organisation darum.",
  "error.csrf_failed.title": "Formular abgelaufen",
  "error.csrf_failed.message":
    "Das Formular konnte nicht überprüft werden, daher wurde nichts geändert. Laden Sie die Seite neu und versuchen Sie es noch einmal.",
  "error.not_found.title": "Seite nicht gefunden",
  "error.not_found.message": "Unter dieser Adresse gibt es nichts.",
  "error.conflict.title": "Konflikt",
  "error.conflict.message":
    "Dies wurde zwischenzeitlich geändert. Laden Sie die Seite neu und versuchen Sie es noch einmal.",
  "error.payload_too_large.title": "Zu groß",
  "error.payload_too_large.message": "Die übermittelten Daten sind zu groß.",
  "error.too_many_requests.title": "Zu viele Anfragen",
  "error.too_many_requests.message": "Bitte warten Sie einen Moment und versuchen Sie es dann erneut.",
  "error.internal.title": "Etwas ist schiefgelaufen",
  "error.internal.message":
    "Ein unerwarteter Fehler ist aufgetreten. Sie haben nichts falsch gemacht; bitte versuchen Sie es später erneut.",
  "error.bank_unavailable.title": "Bank nicht erreichbar",
  "error.bank_unavailable.message": "Ihre Bank hat nicht geantwortet. Bitte versuchen Sie es später erneut.",
};

export const dictionaries: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { en, de };

export type MessageParams = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, params?: MessageParams) => string;

export function isLocale(value: string | undefined): value is Locale {
  return value !== undefined && (LOCALES as readonly string[]).includes(value);
}

export function isMessageKey(value: string): value is MessageKey {
  return Object.hasOwn(en, value);
}

/** `t(locale, "login.throttled", { minutes: 15 })`. A missing placeholder value is left visible as {name}. */
export function t(locale: Locale, key: MessageKey, params?: MessageParams): string {
  const template = dictionaries[locale][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

export function translator(locale: Locale): Translate {
  return (key, params) => t(locale, key, params);
}

/**
 * The user's choice (cookie `lang`) wins; otherwise German when the browser's first language preference that
 * we can serve is German, English for everything else, e.g. "de-AT,de;q=0.9" → de, "fr,de;q=0.5" → en.
 */
export function negotiateLocale(cookie: string | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(cookie)) return cookie;
  const ranges = (acceptLanguage ?? "")
    .split(",")
    .map((part, index) => {
      const [tag = "", ...rest] = part.trim().split(";");
      const q = rest.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const quality = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim().toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((range) => range.tag !== "" && range.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  return ranges[0]?.tag.startsWith("de") ? "de" : "en";
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: Locale, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale}|${withTime}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(INTL_LOCALE[locale], {
      day: "2-digit",
      month: "2-digit",
      year: "numeric",
      ...(withTime ? { hour: "2-digit", minute: "2-digit" } : {}),
      timeZone: DISPLAY_TIME_ZONE,
    });
    dateFormats.set(key, format);
  }
  return format;
}

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A calendar date ("2026-11-23") or the day of an instant: "23.11.2026" in German, "23/11/2026" in English.
 * Calendar dates are not instants, so they are formatted without any time-zone shift.
 */
export function formatDate(locale: Locale, value: string | Date): string {
  if (typeof value === "string") {
    const match = CALENDAR_DATE.exec(value);
    if (!match) throw new RangeError(`"${value}" is not a YYYY-MM-DD date`);
    const [, year = "", month = "", day = ""] = match;
    return locale === "de" ? `${day}.${month}.${year}` : `${day}/${month}/${year}`;
  }
  return dateFormat(locale, false).format(value);
}

/** "23.11.2026, 14:05" / "23/11/2026, 14:05" in German time. */
export function formatDateTime(locale: Locale, value: Date): string {
  return dateFormat(locale, true).format(value);
}

/** 119000 EUR → "1.190,00 €" (de) / "€1,190.00" (en). */
export function formatMoney(locale: Locale, minor: number, currency: string): string {
  return formatMoneyIn(minor, currency, INTL_LOCALE[locale]);
}
