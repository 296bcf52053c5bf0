/**
 * Imports one bank account's booked transactions, exactly once, whatever fails on the way.
 *
 * - The read window starts OVERLAP_DAYS before the last booked date seen (the bank may book late with an
 *   earlier booking date), or at the import start date on the first sync, or there again while a balance gap
 *   is open, so the data that closes it is read.
 * - Each page is written in its own short transaction with ON CONFLICT DO NOTHING on (account, external id):
 *   a page read twice — after a retry, a crash, or in the next sync's overlap — adds nothing.
 * - After the last page the bank's booked balance is reconciled against opening + imported
 *   (docs/design/dedup.md); a difference is a gap with its period, closed by a later sync that finds the data.
 */
import type { Kysely } from "kysely";
import { addDays, berlinDate, daysBetween, maxDate, minDate } from "../calendar.ts";
import { type BankConnector, type BookedBalance, ConnectorError } from "../connectors/connector.ts";
import type { BooksDatabase } from "../db/schema.ts";
import { type ClaimedSyncJob, recordProgress } from "../jobs/jobs.repository.ts";
import type { SyncQueue } from "../jobs/queue.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { Clock, Logger } from "../web/context.ts";
import {
  closeOpenGap,
  countUnattendedRead,
  externalIdsFrom,
  findOpenGap,
  findSyncTarget,
  importedTotals,
  insertBookedTransactions,
  openOrUpdateGap,
  replacePendingTransactions,
  type SyncTarget,
  unattendedReads,
  updateAccountAfterSync,
} from "./sync.repository.ts";

export interface SyncDeps {
  db: Kysely<BooksDatabase>;
  clock: Clock;
  logger: Logger;
  secretBox: SecretBox;
  /** pg-boss: where sync jobs wait, and whose heartbeat a running sync renews with its pages. */
  jobs: SyncQueue;
  connectorFor(bankId: string): BankConnector;
}

/**
 * Days re-read before the last booked date seen: late bookings with an earlier date land inside it. Three
 * covers a weekend (Friday's card payments that a bank books on Monday under Friday's date, seen by a sync
 * that already saw Monday's bookings). A booking dated further back is not lost: the balance no longer
 * agrees, a gap opens, and the next sync reads from the import start date again (docs/design/dedup.md).
 * It was 10 days; every re-sync reads the whole window again, and at ~1,300 bookings per account-day
 * (bench/import.bench.ts, 1M over 10 accounts and 12 weeks) that was ~12,000 rows and 3 pages of 5,000 per
 * account for nothing, against ~3,500 rows in one page now.
 */
export const OVERLAP_DAYS = 3;
/** Without SCA in the last hour a bank shows only the last 90 days (PSD2 RTS Art. 10a); one day of margin. */
export const READABLE_DAYS_WITHOUT_SCA = 89;
/** The bank counts 60 minutes from SCA; books stops relying on it 5 minutes earlier. */
export const FRESH_SCA_MS = 55 * 60_000;

export function consentContext(organisationId: string, connectionId: string): string {
  return `consent:${organisationId}:${connectionId}`;
}

export function transactionsResource(resourceId: string): string {
  return `${resourceId}:transactions`;
}

/**
 * Scheduled syncs per day: one fewer than the consent's frequencyPerDay, so one unattended read stays spare
 * for a retry; spread evenly over the day.
 */
export function scheduledSyncInterval(frequencyPerDay: number): number {
  return Math.floor((24 * 60 * 60_000) / Math.max(1, frequencyPerDay - 1));
}

export interface SyncResult {
  pages: number;
  seen: number;
  imported: number;
  dateFrom: string;
  balance: BookedBalance | undefined;
  gapMinor: number;
}

/** Thrown when the job should stop without retrying: the account or its consent is not there to sync. */
export class SyncSkipped extends Error {
  override name = "SyncSkipped";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SyncOptions {
  signal?: AbortSignal | undefined;
  /** Test hook after each page is stored (e.g. to kill the worker there). */
  afterPage?: ((page: number) => void | Promise<void>) | undefined;
}

/**
 * Where a sync's read starts. A bank filters pending entries by their entry date as it filters bookings by
 * their booking date (NextGenPSD2 dateFrom), and books replaces its pending entries with what the read
 * returns, so the window also reaches back to the oldest pending entry books holds (by its value date, with
 * the overlap as margin): a card hold entered before the overlap must not vanish while the bank still has it.
 */
export function readWindowStart(
  target: Pick<SyncTarget, "importFrom" | "lastBookedDate" | "lastScaAt" | "oldestPendingDate">,
  options: { today: string; now: Date; gapOpen: boolean },
): string {
  let wanted =
    target.lastBookedDate && !options.gapOpen
      ? maxDate(target.importFrom, addDays(target.lastBookedDate, -OVERLAP_DAYS))
      : target.importFrom;
  if (target.oldestPendingDate !== null) {
    wanted = maxDate(target.importFrom, minDate(wanted, addDays(target.oldestPendingDate, -OVERLAP_DAYS)));
  }
  const freshSca =
    target.lastScaAt !== null && options.now.getTime() - target.lastScaAt.getTime() < FRESH_SCA_MS;
  return freshSca ? wanted : maxDate(wanted, addDays(options.today, -READABLE_DAYS_WITHOUT_SCA));
}

export async function syncAccount(
  deps: SyncDeps,
  job: ClaimedSyncJob,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const { db, clock } = deps;
  const target = await findSyncTarget(db, job.bankAccountId);
  if (target?.accountStatus !== "active")
    throw new SyncSkipped("account_gone", "the account is not connected");
  if (target.connectionStatus !== "valid" || !target.consentIdSealed) {
    throw new SyncSkipped(`consent_${target.connectionStatus}`, `the consent is ${target.connectionStatus}`);
  }
  const consentId = deps.secretBox.open(
    target.consentIdSealed,
    consentContext(target.organisationId, target.connectionId),
  );
  const connector = deps.connectorFor(target.bankId);
  const now = clock.now();
  const today = berlinDate(now);
  const gapOpen = (await findOpenGap(db, target.accountId)) !== undefined;
  const dateFrom = readWindowStart(target, { today, now, gapOpen });

  const attended = job.psuIpAddress !== null;
  if (!attended) {
    const key = {
      connectionId: target.connectionId,
      resource: transactionsResource(target.resourceId),
      date: today,
    };
    if ((await unattendedReads(db, key)) >= target.frequencyPerDay) {
      throw new ConnectorError("access_exceeded", "the consent's unattended reads for today are used up");
    }
    await countUnattendedRead(db, key);
  }

  const span = Math.max(1, daysBetween(dateFrom, today));
  let pages = 0;
  let seen = 0;
  let imported = 0;
  let balance: BookedBalance | undefined;
  let latest = dateFrom;
  const reads = connector
    .readTransactions({
      consentId,
      resourceId: target.resourceId,
      dateFrom,
      signal: options.signal,
      ...(job.psuIpAddress ? { psuIpAddress: job.psuIpAddress } : {}),
    })
    [Symbol.asyncIterator]();
  // The next page is read while this one is stored, so the bank's and the database's work overlap (one
  // page ahead, no more). A failure of that read surfaces when the loop gets to it, after this page is
  // stored, as it did when the pages were read one after the other.
  let ahead = reads.next();
  ahead.catch(() => {});
  try {
    // Read while the first page is on its way.
    const stored = await externalIdsFrom(db, target.accountId, dateFrom);
    for (;;) {
      const next = await ahead;
      if (next.done) break;
      const page = next.value;
      ahead = reads.next();
      ahead.catch(() => {});
      // fetch hands the request to the socket only on a later turn of the event loop. Without this turn
      // the read ahead waited for the page's database work to end before it even left (measured on
      // PGlite, whose statements hold the thread: the next page came ~30 ms after the insert, not with it).
      await new Promise((resolve) => setImmediate(resolve));
      pages += 1;
      seen += page.booked.length;
      balance ??= page.balance;
      for (const row of page.booked) {
        if (row.currency !== target.currency) {
          throw new ConnectorError(
            "bad_response",
            `a ${row.currency} transaction on a ${target.currency} account`,
          );
        }
        if (row.bookingDate > latest) latest = row.bookingDate;
      }
      const pageNow = clock.now();
      // Under a test clock pg-boss's time follows books' before a heartbeat is written (a no-op otherwise).
      await deps.jobs.syncClock();
      const progress = Math.min(990, Math.round((daysBetween(dateFrom, latest) / span) * 1000));
      const fresh = page.booked.filter((row) => !stored.has(row.externalId));
      const stillOurs = await db.transaction().execute(async (trx) => {
        // The page is validated while its rows are written, and before anything of it commits.
        imported += await insertBookedTransactions(
          trx,
          { organisationId: target.organisationId, accountId: target.accountId, jobId: job.id, now: pageNow },
          fresh,
          { whileWriting: () => page.validate() },
        );
        if (page.pending) await replacePendingTransactions(trx, target.accountId, page.pending, pageNow);
        return recordProgress(deps.jobs, trx, job, { progress, pages, seen, imported, dateFrom }, pageNow);
      });
      // pg-boss handed the job to another worker (this one was presumed dead): stop; what was written stands.
      if (!stillOurs) throw new SyncSkipped("lease_lost", "the job was taken over by another worker");
      await options.afterPage?.(pages);
    }
  } finally {
    // Ends the read (its own cleanup runs once the page being read ahead, if any, has arrived); not awaited,
    // so a stopping sync does not wait for a page it will not store.
    reads.return?.(undefined).catch(() => {});
  }

  const gapMinor = await reconcile(deps, target, { balance, today, dateFrom });
  return { pages, seen, imported, dateFrom, balance, gapMinor };
}

/**
 * Opening balance (balance at the start of import_from) is defined at the first complete sync as
 * closingBooked − sum(imported); from then on closingBooked must equal opening + sum(imported).
 */
async function reconcile(
  deps: SyncDeps,
  target: SyncTarget,
  read: { balance: BookedBalance | undefined; today: string; dateFrom: string },
): Promise<number> {
  const now = deps.clock.now();
  const interval = scheduledSyncInterval(target.frequencyPerDay);
  return deps.db.transaction().execute(async (trx) => {
    const totals = await importedTotals(trx, target.accountId);
    const balance = read.balance?.currency === target.currency ? read.balance : undefined;
    let opening = target.openingBalanceMinor;
    let difference = 0;
    if (balance) {
      opening ??= balance.amountMinor - totals.sum;
      difference = balance.amountMinor - (opening + totals.sum);
      if (difference === 0) await closeOpenGap(trx, target.accountId, now);
      else {
        await openOrUpdateGap(trx, target.accountId, {
          // Without an open gap the previous sync's balance agreed: the difference arose after its date.
          // An open gap keeps its start and moves its end.
          periodFrom: target.balanceDate ?? target.importFrom,
          periodTo: balance.referenceDate ?? read.today,
          differenceMinor: difference,
          now,
        });
      }
    }
    await updateAccountAfterSync(trx, target.accountId, {
      openingBalanceMinor: opening,
      bookedBalanceMinor: balance?.amountMinor ?? null,
      balanceDate: balance ? (balance.referenceDate ?? read.today) : target.balanceDate,
      lastBookedDate: totals.lastBookedDate,
      now,
      reconciled: balance !== undefined && difference === 0,
      nextSyncAt: new Date(now.getTime() + interval),
    });
    return difference;
  });
}
