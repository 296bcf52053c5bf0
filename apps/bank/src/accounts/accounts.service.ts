import { formatAmount } from "@kontor/money";
import { berlinDate } from "../clock.ts";
import type { Account } from "../db/schema.ts";
import type { BankDeps } from "../deps.ts";

/** XS2A views of accounts and balances, limited to what a consent grants. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isAccountId(id: string): boolean {
  return UUID.test(id);
}

export async function balancesOf(deps: BankDeps, account: Account) {
  const pending = await deps.db
    .selectFrom("transactions")
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>("amount_minor"), eb.lit(0)).as("all"),
      eb.fn
        .coalesce(
          eb.fn.sum<number>(
            eb.case().when("amount_minor", "<", 0).then(eb.ref("amount_minor")).else(0).end(),
          ),
          eb.lit(0),
        )
        .as("debits"),
    ])
    .where("account_id", "=", account.id)
    .where("status", "=", "pending")
    .executeTakeFirstOrThrow();
  const now = deps.clock.now();
  const today = berlinDate(now);
  const amount = (minor: number) => ({
    currency: account.currency,
    amount: formatAmount(minor, account.currency),
  });
  const booked = account.booked_balance_minor;
  return [
    { balanceAmount: amount(booked), balanceType: "closingBooked", referenceDate: today },
    {
      balanceAmount: amount(booked + Number(pending.all)),
      balanceType: "expected",
      lastChangeDateTime: now.toISOString(),
    },
    // Pending debits already reduce what is available; pending credits do not add to it yet.
    {
      balanceAmount: amount(booked + Number(pending.debits)),
      balanceType: "interimAvailable",
      referenceDate: today,
    },
  ];
}

export function accountDetails(
  deps: BankDeps,
  account: Account,
  scopes: Set<string>,
  balances?: Awaited<ReturnType<typeof balancesOf>>,
) {
  const base = `${deps.publicUrl}/xs2a/v1/accounts/${account.id}`;
  const links: Record<string, { href: string }> = {};
  if (scopes.has("balances")) links.balances = { href: `${base}/balances` };
  if (scopes.has("transactions")) links.transactions = { href: `${base}/transactions` };
  return {
    resourceId: account.id,
    iban: account.iban,
    currency: account.currency,
    name: account.name,
    product: account.product,
    cashAccountType: "CACC",
    status: account.status,
    bic: account.bic,
    usage: "ORGA" as const,
    ...(balances ? { balances } : {}),
    _links: links,
  };
}
