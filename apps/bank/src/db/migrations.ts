import { type ForwardMigration, runScript } from "@kontor/db";
import type { Kysely } from "kysely";

/** Forward-only. Never edit a migration that has landed; add the next one. */
export const migrations: Record<string, ForwardMigration> = {
  "0001_core": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        create table tpps (
          id text primary key,
          name text not null,
          key_hash text not null,
          roles text[] not null default '{PSP_AI,PSP_PI}',
          created_at timestamptz not null default now()
        );
        create table businesses (
          id uuid primary key default gen_random_uuid(),
          name text not null,
          plan text not null check (plan in ('solo','basic','smart','essential','business','enterprise')),
          created_at timestamptz not null default now()
        );
        create table psus (
          id uuid primary key default gen_random_uuid(),
          login text not null unique,
          display_name text not null,
          email text not null,
          password_hash text not null,
          tan text not null,
          created_at timestamptz not null default now()
        );
        create table accounts (
          id uuid primary key default gen_random_uuid(),
          business_id uuid not null references businesses(id),
          parent_id uuid references accounts(id),
          iban text not null unique,
          bic text not null,
          currency char(3) not null,
          name text not null,
          product text not null,
          status text not null default 'enabled' check (status in ('enabled','deleted','blocked')),
          debit_blocked boolean not null default false,
          opening_balance_minor bigint not null default 0,
          booked_balance_minor bigint not null default 0,
          created_at timestamptz not null default now()
        );
        create table memberships (
          psu_id uuid not null references psus(id),
          account_id uuid not null references accounts(id),
          can_view boolean not null default true,
          can_create_payments boolean not null default false,
          can_approve_payments boolean not null default false,
          limit_per_transfer_minor bigint,
          limit_per_month_minor bigint,
          primary key (psu_id, account_id)
        );
        create table transactions (
          seq bigserial primary key,
          account_id uuid not null references accounts(id),
          transaction_id text not null unique,
          entry_reference text,
          status text not null check (status in ('booked','pending')),
          booking_date date not null,
          value_date date not null,
          amount_minor bigint not null check (amount_minor <> 0),
          currency char(3) not null,
          counterparty_name text,
          counterparty_iban text,
          counterparty_bic text,
          remittance text,
          end_to_end_id text,
          mandate_id text,
          creditor_id text,
          bank_transaction_code text,
          proprietary_code text,
          booking_text text,
          created_at timestamptz not null default now()
        );
        -- The transactions endpoint pages by (booking_date, seq) within one account and status.
        create index transactions_paging on transactions (account_id, status, booking_date, seq);
        create table consents (
          id text primary key,
          tpp_id text not null references tpps(id),
          psu_id uuid references psus(id),
          status text not null,
          access jsonb not null,
          recurring boolean not null,
          valid_until date not null,
          frequency_per_day integer not null,
          combined boolean not null default false,
          created_at timestamptz not null default now(),
          status_changed_at timestamptz not null default now(),
          last_sca_at timestamptz,
          sca_required boolean not null default false,
          last_accessed_at timestamptz
        );
        create index consents_by_psu on consents (psu_id);
        create table consent_accounts (
          consent_id text not null references consents(id) on delete cascade,
          account_id uuid not null references accounts(id),
          scope text not null check (scope in ('accounts','balances','transactions')),
          primary key (consent_id, account_id, scope)
        );
        create table authorisations (
          id text primary key,
          consent_id text not null references consents(id) on delete cascade,
          sca_status text not null,
          sca_approach text not null check (sca_approach in ('REDIRECT','DECOUPLED')),
          psu_id uuid references psus(id),
          redirect_uri text,
          nok_redirect_uri text,
          step_token_hash text,
          failed_attempts integer not null default 0,
          created_at timestamptz not null default now(),
          updated_at timestamptz not null default now()
        );
        create index authorisations_by_consent on authorisations (consent_id);
        create table consent_usage (
          consent_id text not null references consents(id) on delete cascade,
          resource text not null,
          usage_date date not null,
          count integer not null,
          primary key (consent_id, resource, usage_date)
        );
        create table psu_sessions (
          token_hash text primary key,
          psu_id uuid not null references psus(id),
          created_at timestamptz not null default now(),
          expires_at timestamptz not null
        );
      `,
      );
    },
  },
};
