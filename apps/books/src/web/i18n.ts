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
  "accounts.new.step.consent": "Approve at your bank",
  "accounts.new.step.accounts": "Choose accounts and start date",
  "accounts.new.bankAccount": "Bank account",
  "accounts.new.bankAccountText":
    "Connect a business account over PSD2. Booked transactions can be imported from up to 90 days back.",
  "accounts.new.connectNew": "Connect new account",
  "accounts.new.back": "Back to accounts",
  "accounts.column.state": "State",
  "accounts.select": "Select",
  "accounts.selectOne": "Select {name}",
  "accounts.sync": "Sync transactions",
  "accounts.syncHint": "Imports the booked transactions of the selected accounts.",
  "accounts.validUntil": "Consent until {date}",
  "accounts.state.connected": "Connected",
  "accounts.state.pending": "Waiting for the bank",
  "accounts.state.sca_required": "Authentication needed",
  "accounts.state.expired": "Consent expired",
  "accounts.state.revoked": "Consent revoked",
  "accounts.state.disconnected": "Disconnected",
  "accounts.state.connected.explain": "The connection works.",
  "accounts.state.pending.explain":
    "The bank has not confirmed the connection yet. Authorise it at your bank.",
  "accounts.state.sca_required.explain":
    "Your bank asks you to confirm the connection again with strong customer authentication. Your transaction history stays.",
  "accounts.state.expired.explain":
    "The consent at your bank has expired. Give a new consent to keep importing; your transaction history stays.",
  "accounts.state.revoked.explain":
    "The consent was revoked at your bank. Give a new consent to keep importing; your transaction history stays.",
  "accounts.state.disconnected.explain": "This account is disconnected. Its transactions are kept.",
  "accounts.reauth": "Authenticate at the bank again",
  "accounts.gap.short": "Balance differs",
  "accounts.gap.text":
    "The bank's balance differs from the imported transactions by {amount} between {from} and {to}. Transactions may be missing; the next sync reads this period again and the notice disappears once the data has arrived.",
  "accounts.fact.validUntil": "Consent valid until",
  "accounts.fact.nextSync": "Next automatic sync",
  "accounts.fact.importFrom": "Imported from",
  "accounts.fact.lastRun": "Last sync run",
  "accounts.disconnect": "Disconnect",
  "accounts.delete": "Delete account",
  "accounts.cancel": "Cancel",
  "accounts.disconnect.title": "Disconnect {name}?",
  "accounts.disconnect.text":
    "Kontor ends the consent at your bank and imports nothing more. All imported transactions are kept.",
  "accounts.disconnect.others": "The consent also covers: {names}. They are disconnected as well.",
  "accounts.disconnect.confirm": "Disconnect",
  "accounts.delete.title": "Delete {name}?",
  "accounts.delete.warning":
    "This removes the account and all {count} imported transactions for good. This cannot be undone.",
  "accounts.delete.instead":
    "If you only want to stop importing, disconnect the account instead: its history is kept.",
  "accounts.delete.type": "Type the account name “{name}” to confirm",
  "accounts.delete.mismatch": "The name does not match, so nothing was deleted.",
  "accounts.delete.confirm": "Delete account and transactions",
  "accounts.chart.title": "Balance over time",
  "accounts.chart.empty": "The chart appears after the first sync.",
  "accounts.chart.label":
    "Booked balance from {from} to {to}: {start} at the start, {end} at the end, lowest {min}, highest {max}.",
  "accounts.pending.title": "Pending",
  "accounts.pending.hint":
    "Not yet booked. Pending entries are shown as the bank reports them and are imported only once booked.",
  "accounts.transactions.title": "Transactions",
  "accounts.transactions.date": "Booking date",
  "accounts.transactions.counterparty": "Counterparty",
  "accounts.transactions.remittance": "Reference",
  "accounts.transactions.amount": "Amount",
  "accounts.transactions.none": "No transactions match.",
  "accounts.transactions.pages": "Transaction pages",
  "accounts.transactions.range": "{first}–{last} of {total}",
  "accounts.transactions.newer": "Previous",
  "accounts.transactions.older": "Next",
  "accounts.filter.q": "Search",
  "accounts.filter.direction": "Direction",
  "accounts.filter.all": "All",
  "accounts.filter.in": "Money in",
  "accounts.filter.out": "Money out",
  "accounts.filter.from": "From",
  "accounts.filter.to": "To",
  "accounts.filter.sort": "Sort by",
  "accounts.filter.apply": "Apply",
  "accounts.sort.date_desc": "Newest first",
  "accounts.sort.date_asc": "Oldest first",
  "accounts.sort.amount_desc": "Largest amount first",
  "accounts.sort.amount_asc": "Smallest amount first",
  "accounts.connect.title": "Select your bank",
  "accounts.connect.search": "Bank name or BIC",
  "accounts.connect.searchPlaceholder": "e.g. Sandbox",
  "accounts.connect.searchButton": "Search",
  "accounts.connect.noResults": "No bank matches your search.",
  "accounts.connect.sca": "Authentication: {approaches}",
  "accounts.connect.connect": "Connect",
  "accounts.connect.connectBank": "Connect {bank}",
  "accounts.connect.noRedirect": "Cannot be connected from Kontor",
  "accounts.connect.hint":
    "You will log in at your bank and confirm with a TAN. Kontor never sees your bank password.",
  "accounts.choose.title": "Choose accounts",
  "accounts.choose.intro":
    "{bank} gave access to these accounts. Choose the ones to add, give each a name and a date to import from.",
  "accounts.choose.why90":
    "Transactions can be imported from {date} at the earliest: without a fresh authentication, banks show only the last 90 days (PSD2), so Kontor could not read older ones again later.",
  "accounts.choose.already": "was in Kontor before – connected again with its history",
  "accounts.choose.name": "Name in Kontor",
  "accounts.choose.importFrom": "Import transactions from",
  "accounts.choose.submit": "Add accounts",
  "accounts.notice.connectFailed": "The bank did not confirm the connection. Nothing was added.",
  "accounts.notice.deleted": "The account and its transactions were deleted.",
  "accounts.notice.disconnected": "The connection was ended at the bank. The transactions are kept.",
  "accounts.notice.nothingToSync": "Select at least one connected account to sync.",
  "accounts.notice.flowExpired":
    "The connection attempt took longer than 30 minutes and was ended. Nothing was added. Please start again.",
  "accounts.notice.reauthExpired":
    "The authentication at the bank took longer than 30 minutes and was ended. Nothing changed: click “Authenticate at the bank again” on the account to try once more.",
  "accounts.connect.or": "or",
  "accounts.connect.decoupled": "Approve in your banking app",
  "accounts.connect.decoupledBank": "Approve the connection to {bank} in your banking app",
  "accounts.connect.psuId": "Your user ID at {bank}",
  "accounts.connect.psuIdHint":
    "The login name of your online banking: the bank sends the request to this user's app.",
  "accounts.connect.psuIdMissing": "Enter your user ID at the bank to approve in the banking app.",
  "accounts.connect.psuIdUnknown": "The bank does not know this user ID. Check it and try again.",
  "accounts.wait.title": "Approve in your banking app",
  "accounts.wait.text":
    "{bank} has sent a request to your banking app. Open the app, check the request from Kontor and approve it with your TAN. This page goes on by itself once you have approved.",
  "accounts.wait.progress": "Time left to approve",
  "accounts.wait.until": "Waiting since {since}. The request expires at {until}.",
  "accounts.wait.check": "Check again",
  "accounts.wait.noScript": "The page checks every few seconds; “Check again” asks the bank right away.",
  "accounts.wait.failed":
    "The request was rejected in the banking app, or the authentication failed. Nothing was added.",
  "accounts.wait.expired":
    "The request was not approved within 30 minutes and has expired. Nothing was added.",
  "accounts.wait.restart": "Start again",
  "accounts.wait.reauthText":
    "{bank} has sent a request to your banking app. Open the app, check the request from Kontor and approve it with your TAN. This page goes back to your accounts by itself once you have approved; their history stays.",
  "accounts.wait.reauthFailed":
    "The request was rejected in the banking app, or the authentication failed. Nothing changed: the account keeps its history and still needs the authentication.",
  "accounts.wait.reauthExpired":
    "The request was not approved within 30 minutes and has expired. Nothing changed: the account keeps its history and still needs the authentication.",
  "accounts.wait.psuMessage": "Message from {bank}:",
  "accounts.reauth.decoupled": "Approve the authentication at {bank} in your banking app",
  "accounts.choose.moves": "already in Kontor as “{name}” – moves to this connection, its history stays",
  "sync.title": "Syncing transactions",
  "sync.running": "Kontor is importing the booked transactions. You can leave this page; the sync goes on.",
  "sync.done": "Done.",
  "sync.state.queued": "Waiting to start",
  "sync.state.retrying": "The bank did not answer; trying again shortly",
  "sync.state.running": "Reading page {pages}, {imported} new so far",
  "sync.state.succeeded": "{imported} new of {seen} transactions read",
  "sync.state.failed": "Failed: {reason}",
  "sync.state.cancelled": "Cancelled",
  "sync.reason.consent_expired": "the consent has expired",
  "sync.reason.sca_required": "the bank asks for authentication again",
  "sync.reason.consent_revoked": "the consent was revoked",
  "sync.reason.access_exceeded":
    "the bank's daily limit of automatic reads is reached; the next sync runs tomorrow",
  "sync.reason.unavailable": "the bank is not reachable",
  "sync.reason.other": "the bank's answer could not be read",

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
  "audit.action.bank.connected": "Connected a bank account",
  "audit.action.bank.reauthorised": "Authorised the bank connection again",
  "audit.action.bank.sync_requested": "Started a sync of transactions",
  "audit.action.bank.disconnected": "Disconnected a bank connection",
  "audit.action.bank.account_deleted": "Deleted a bank account and its transactions",
  "audit.action.bank.consent_changed": "The bank changed the state of a connection",
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
  "accounts.new.step.consent": "Bei der Bank freigeben",
  "accounts.new.step.accounts": "Konten und Startdatum wählen",
  "accounts.new.bankAccount": "Bankkonto",
  "accounts.new.bankAccountText":
    "Verbinden Sie ein Geschäftskonto über PSD2. Gebuchte Umsätze lassen sich bis zu 90 Tage rückwirkend importieren.",
  "accounts.new.connectNew": "Neues Konto verbinden",
  "accounts.new.back": "Zurück zu den Konten",
  "accounts.column.state": "Status",
  "accounts.select": "Auswählen",
  "accounts.selectOne": "{name} auswählen",
  "accounts.sync": "Umsätze synchronisieren",
  "accounts.syncHint": "Importiert die gebuchten Umsätze der ausgewählten Konten.",
  "accounts.validUntil": "Zustimmung bis {date}",
  "accounts.state.connected": "Verbunden",
  "accounts.state.pending": "Wartet auf die Bank",
  "accounts.state.sca_required": "Anmeldung erforderlich",
  "accounts.state.expired": "Zustimmung abgelaufen",
  "accounts.state.revoked": "Zustimmung widerrufen",
  "accounts.state.disconnected": "Getrennt",
  "accounts.state.connected.explain": "Die Verbindung funktioniert.",
  "accounts.state.pending.explain":
    "Die Bank hat die Verbindung noch nicht bestätigt. Bitte autorisieren Sie sie bei Ihrer Bank.",
  "accounts.state.sca_required.explain":
    "Ihre Bank bittet Sie, die Verbindung erneut mit starker Kundenauthentifizierung zu bestätigen. Ihre Umsatzhistorie bleibt erhalten.",
  "accounts.state.expired.explain":
    "Die Zustimmung bei Ihrer Bank ist abgelaufen. Erteilen Sie eine neue, um weiter zu importieren; Ihre Umsatzhistorie bleibt erhalten.",
  "accounts.state.revoked.explain":
    "Die Zustimmung wurde bei Ihrer Bank widerrufen. Erteilen Sie eine neue, um weiter zu importieren; Ihre Umsatzhistorie bleibt erhalten.",
  "accounts.state.disconnected.explain": "Dieses Konto ist getrennt. Seine Umsätze bleiben erhalten.",
  "accounts.reauth": "Erneut bei der Bank anmelden",
  "accounts.gap.short": "Saldo weicht ab",
  "accounts.gap.text":
    "Der Saldo der Bank weicht zwischen {from} und {to} um {amount} von den importierten Umsätzen ab. Möglicherweise fehlen Umsätze; die nächste Synchronisierung liest diesen Zeitraum erneut, und der Hinweis verschwindet, sobald die Daten da sind.",
  "accounts.fact.validUntil": "Zustimmung gültig bis",
  "accounts.fact.nextSync": "Nächste automatische Synchronisierung",
  "accounts.fact.importFrom": "Importiert ab",
  "accounts.fact.lastRun": "Letzter Lauf",
  "accounts.disconnect": "Trennen",
  "accounts.delete": "Konto löschen",
  "accounts.cancel": "Abbrechen",
  "accounts.disconnect.title": "{name} trennen?",
  "accounts.disconnect.text":
    "Kontor beendet die Zustimmung bei Ihrer Bank und importiert nichts mehr. Alle importierten Umsätze bleiben erhalten.",
  "accounts.disconnect.others":
    "Die Zustimmung gilt auch für: {names}. Diese Konten werden ebenfalls getrennt.",
  "accounts.disconnect.confirm": "Trennen",
  "accounts.delete.title": "{name} löschen?",
  "accounts.delete.warning":
    "Damit werden das Konto und alle {count} importierten Umsätze endgültig entfernt. Das lässt sich nicht rückgängig machen.",
  "accounts.delete.instead":
    "Wenn Sie nur nicht mehr importieren möchten, trennen Sie das Konto stattdessen: Seine Historie bleibt erhalten.",
  "accounts.delete.type": "Geben Sie zur Bestätigung den Kontonamen „{name}“ ein",
  "accounts.delete.mismatch": "Der Name stimmt nicht überein, daher wurde nichts gelöscht.",
  "accounts.delete.confirm": "Konto und Umsätze löschen",
  "accounts.chart.title": "Saldoverlauf",
  "accounts.chart.empty": "Das Diagramm erscheint nach der ersten Synchronisierung.",
  "accounts.chart.label":
    "Gebuchter Saldo vom {from} bis {to}: {start} am Anfang, {end} am Ende, niedrigster {min}, höchster {max}.",
  "accounts.pending.title": "Vorgemerkt",
  "accounts.pending.hint":
    "Noch nicht gebucht. Vorgemerkte Umsätze werden so gezeigt, wie die Bank sie meldet, und erst nach der Buchung importiert.",
  "accounts.transactions.title": "Umsätze",
  "accounts.transactions.date": "Buchungstag",
  "accounts.transactions.counterparty": "Gegenpartei",
  "accounts.transactions.remittance": "Verwendungszweck",
  "accounts.transactions.amount": "Betrag",
  "accounts.transactions.none": "Keine passenden Umsätze.",
  "accounts.transactions.pages": "Seiten der Umsätze",
  "accounts.transactions.range": "{first}–{last} von {total}",
  "accounts.transactions.newer": "Zurück",
  "accounts.transactions.older": "Weiter",
  "accounts.filter.q": "Suche",
  "accounts.filter.direction": "Richtung",
  "accounts.filter.all": "Alle",
  "accounts.filter.in": "Eingänge",
  "accounts.filter.out": "Ausgänge",
  "accounts.filter.from": "Von",
  "accounts.filter.to": "Bis",
  "accounts.filter.sort": "Sortieren nach",
  "accounts.filter.apply": "Anwenden",
  "accounts.sort.date_desc": "Neueste zuerst",
  "accounts.sort.date_asc": "Älteste zuerst",
  "accounts.sort.amount_desc": "Größter Betrag zuerst",
  "accounts.sort.amount_asc": "Kleinster Betrag zuerst",
  "accounts.connect.title": "Bank auswählen",
  "accounts.connect.search": "Name der Bank oder BIC",
  "accounts.connect.searchPlaceholder": "z. B. Sandbox",
  "accounts.connect.searchButton": "Suchen",
  "accounts.connect.noResults": "Keine Bank passt zu Ihrer Suche.",
  "accounts.connect.sca": "Authentifizierung: {approaches}",
  "accounts.connect.connect": "Verbinden",
  "accounts.connect.connectBank": "{bank} verbinden",
  "accounts.connect.noRedirect": "Nicht aus Kontor verbindbar",
  "accounts.connect.hint":
    "Sie melden sich bei Ihrer Bank an und bestätigen mit einer TAN. Kontor sieht Ihr Bankpasswort nie.",
  "accounts.choose.title": "Konten auswählen",
  "accounts.choose.intro":
    "{bank} hat Zugriff auf diese Konten gewährt. Wählen Sie die Konten, die Sie hinzufügen möchten, und geben Sie jedem einen Namen und ein Startdatum für den Import.",
  "accounts.choose.why90":
    "Umsätze lassen sich frühestens ab {date} importieren: Ohne frische Authentifizierung zeigen Banken nur die letzten 90 Tage (PSD2), daher könnte Kontor ältere Umsätze später nicht erneut lesen.",
  "accounts.choose.already": "war schon in Kontor – wird mit seiner Historie wieder verbunden",
  "accounts.choose.name": "Name in Kontor",
  "accounts.choose.importFrom": "Umsätze importieren ab",
  "accounts.choose.submit": "Konten hinzufügen",
  "accounts.notice.connectFailed":
    "Die Bank hat die Verbindung nicht bestätigt. Es wurde nichts hinzugefügt.",
  "accounts.notice.deleted": "Das Konto und seine Umsätze wurden gelöscht.",
  "accounts.notice.disconnected": "Die Verbindung wurde bei der Bank beendet. Die Umsätze bleiben erhalten.",
  "accounts.notice.nothingToSync": "Wählen Sie mindestens ein verbundenes Konto zum Synchronisieren aus.",
  "accounts.notice.flowExpired":
    "Die Verbindung hat länger als 30 Minuten gedauert und wurde abgebrochen. Es wurde nichts hinzugefügt. Bitte beginnen Sie erneut.",
  "accounts.notice.reauthExpired":
    "Die Authentifizierung bei der Bank hat länger als 30 Minuten gedauert und wurde abgebrochen. Es hat sich nichts geändert: Klicken Sie beim Konto erneut auf „Erneut bei der Bank anmelden“.",
  "accounts.connect.or": "oder",
  "accounts.connect.decoupled": "In der Banking-App freigeben",
  "accounts.connect.decoupledBank": "Verbindung zu {bank} in der Banking-App freigeben",
  "accounts.connect.psuId": "Ihre Benutzerkennung bei {bank}",
  "accounts.connect.psuIdHint":
    "Der Anmeldename Ihres Onlinebankings: Die Bank schickt die Anfrage an die App dieses Benutzers.",
  "accounts.connect.psuIdMissing":
    "Geben Sie Ihre Benutzerkennung bei der Bank ein, um in der Banking-App freizugeben.",
  "accounts.connect.psuIdUnknown":
    "Die Bank kennt diese Benutzerkennung nicht. Bitte prüfen Sie sie und versuchen Sie es erneut.",
  "accounts.wait.title": "In der Banking-App freigeben",
  "accounts.wait.text":
    "{bank} hat eine Anfrage an Ihre Banking-App geschickt. Öffnen Sie die App, prüfen Sie die Anfrage von Kontor und geben Sie sie mit Ihrer TAN frei. Diese Seite geht nach der Freigabe von selbst weiter.",
  "accounts.wait.progress": "Verbleibende Zeit für die Freigabe",
  "accounts.wait.until": "Wartet seit {since}. Die Anfrage läuft um {until} ab.",
  "accounts.wait.check": "Erneut prüfen",
  "accounts.wait.noScript":
    "Die Seite prüft alle paar Sekunden; „Erneut prüfen“ fragt sofort bei der Bank nach.",
  "accounts.wait.failed":
    "Die Anfrage wurde in der Banking-App abgelehnt, oder die Authentifizierung ist fehlgeschlagen. Es wurde nichts hinzugefügt.",
  "accounts.wait.expired":
    "Die Anfrage wurde nicht innerhalb von 30 Minuten freigegeben und ist abgelaufen. Es wurde nichts hinzugefügt.",
  "accounts.wait.restart": "Erneut beginnen",
  "accounts.wait.reauthText":
    "{bank} hat eine Anfrage an Ihre Banking-App geschickt. Öffnen Sie die App, prüfen Sie die Anfrage von Kontor und geben Sie sie mit Ihrer TAN frei. Nach der Freigabe geht diese Seite von selbst zurück zu Ihren Konten; deren Historie bleibt erhalten.",
  "accounts.wait.reauthFailed":
    "Die Anfrage wurde in der Banking-App abgelehnt, oder die Authentifizierung ist fehlgeschlagen. Es hat sich nichts geändert: Das Konto behält seine Historie und braucht weiterhin die Authentifizierung.",
  "accounts.wait.reauthExpired":
    "Die Anfrage wurde nicht innerhalb von 30 Minuten freigegeben und ist abgelaufen. Es hat sich nichts geändert: Das Konto behält seine Historie und braucht weiterhin die Authentifizierung.",
  "accounts.wait.psuMessage": "Nachricht von {bank}:",
  "accounts.reauth.decoupled": "Authentifizierung bei {bank} in der Banking-App freigeben",
  "accounts.choose.moves":
    "bereits in Kontor als „{name}“ – wechselt zu dieser Verbindung, die Historie bleibt erhalten",
  "sync.title": "Umsätze werden synchronisiert",
  "sync.running":
    "Kontor importiert die gebuchten Umsätze. Sie können diese Seite verlassen; die Synchronisierung läuft weiter.",
  "sync.done": "Fertig.",
  "sync.state.queued": "Wartet auf den Start",
  "sync.state.retrying": "Die Bank hat nicht geantwortet; neuer Versuch in Kürze",
  "sync.state.running": "Lese Seite {pages}, bisher {imported} neu",
  "sync.state.succeeded": "{imported} neu von {seen} gelesenen Umsätzen",
  "sync.state.failed": "Fehlgeschlagen: {reason}",
  "sync.state.cancelled": "Abgebrochen",
  "sync.reason.consent_expired": "die Zustimmung ist abgelaufen",
  "sync.reason.sca_required": "die Bank verlangt eine erneute Authentifizierung",
  "sync.reason.consent_revoked": "die Zustimmung wurde widerrufen",
  "sync.reason.access_exceeded":
    "das Tageslimit der Bank für automatische Abrufe ist erreicht; die nächste Synchronisierung läuft morgen",
  "sync.reason.unavailable": "die Bank ist nicht erreichbar",
  "sync.reason.other": "die Antwort der Bank war nicht lesbar",

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
  "audit.action.bank.connected": "Bankkonto verbunden",
  "audit.action.bank.reauthorised": "Bankverbindung erneut autorisiert",
  "audit.action.bank.sync_requested": "Synchronisierung der Umsätze gestartet",
  "audit.action.bank.disconnected": "Bankverbindung getrennt",
  "audit.action.bank.account_deleted": "Bankkonto samt Umsätzen gelöscht",
  "audit.action.bank.consent_changed": "Die Bank hat den Zustand einer Verbindung geändert",
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
