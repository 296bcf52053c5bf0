/**
 * Shared setup for real-browser journeys: Debian's Chromium driven by playwright-core, against apps started
 * in-process on free ports with in-memory databases. Add a journey as tests/browser/<name>.test.ts.
 */
import { existsSync } from "node:fs";
import { type RunningBooks, startBooks } from "@kontor/books";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless Chromium. Never downloads a browser: the system's Chromium is required. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}; install Debian's "chromium" package (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A fresh browser profile speaking `locale` (it sets Accept-Language and navigator.language). */
export function newContext(
  browser: Browser,
  options: { locale?: string; baseURL?: string } = {},
): Promise<BrowserContext> {
  return browser.newContext({
    locale: options.locale ?? "en-GB",
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
  });
}

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: unknown) => console.error(message, fields),
};

/** books with the demo seeded (demo@kontor.test / demo, viewer@kontor.test / viewer), in memory. */
export function startDemoBooks(options: { bankBaseUrl?: string } = {}): Promise<RunningBooks> {
  return startBooks({
    port: 0,
    seedDemo: true,
    bankBaseUrl: options.bankBaseUrl ?? "http://localhost:4000",
    logger: quiet,
  });
}
