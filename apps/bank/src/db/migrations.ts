import { type ForwardMigration, runScript } from "@kontor/db";
import { type Kysely, sql } from "kysely";

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
  "0002_transactions_xs2a_text": {
    /**
     * Each transaction's XS2A JSON object, rendered once when the row is written, so the transactions
     * endpoint concatenates stored text instead of parsing ~17 columns per row and building and stringifying
     * objects (docs/design/xs2a-performance.md). A trigger renders it, so that every way a row is written
     * (the demo seed, test harnesses, a booking) gets it without knowing about it.
     *
     * The rendering follows the Berlin Group `transactionDetails`: empty texts are left out, the counterparty
     * is the debtor of an incoming and the creditor of an outgoing amount, and the amount is decimal text in
     * the currency's ISO 4217 exponent (the exceptions to 2 as in @kontor/money's amount.ts). Dates go
     * through to_char so that no session DateStyle can change them; strings through to_json, which escapes
     * as JSON.stringify does.
     */
    async up(db: Kysely<unknown>) {
      await sql`
        create function xs2a_amount(minor bigint, currency text) returns text
        language sql immutable parallel safe
        return case
          when currency in ('BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV',
                            'XAF','XOF','XPF') then minor::text
          when currency in ('BHD','IQD','JOD','KWD','LYD','OMR','TND') then (minor::numeric / 1000)::numeric(30, 3)::text
          when currency in ('CLF','UYW') then (minor::numeric / 10000)::numeric(30, 4)::text
          else (minor::numeric / 100)::numeric(30, 2)::text
        end`.execute(db);
      // One expression in the trigger itself: PL/pgSQL evaluates it on its fast path, while calling a SQL
      // function with the row's sixteen columns from here cost three times as much (40 against 14 µs a row).
      await sql`
        create function transactions_render_xs2a() returns trigger language plpgsql as $$
        begin
          new.xs2a := '{"transactionId":' || to_json(new.transaction_id)::text
            || case when new.entry_reference <> '' then
                 ',"entryReference":' || to_json(new.entry_reference)::text else '' end
            || case when new.end_to_end_id <> '' then
                 ',"endToEndId":' || to_json(new.end_to_end_id)::text else '' end
            || case when new.mandate_id <> '' then ',"mandateId":' || to_json(new.mandate_id)::text else '' end
            || case when new.creditor_id <> '' then
                 ',"creditorId":' || to_json(new.creditor_id)::text else '' end
            || ',"bookingDate":"' || to_char(new.booking_date, 'YYYY-MM-DD')
            || '","valueDate":"' || to_char(new.value_date, 'YYYY-MM-DD')
            || '","transactionAmount":{"currency":' || to_json(new.currency::text)::text
            || ',"amount":"' || xs2a_amount(new.amount_minor, new.currency) || '"}'
            || case when new.counterparty_name <> '' then
                 case when new.amount_minor > 0 then ',"debtorName":' else ',"creditorName":' end
                 || to_json(new.counterparty_name)::text else '' end
            || case when new.counterparty_iban <> '' then
                 case when new.amount_minor > 0 then ',"debtorAccount":{"iban":' else ',"creditorAccount":{"iban":' end
                 || to_json(new.counterparty_iban)::text || '}' else '' end
            || case when new.counterparty_bic <> '' then
                 case when new.amount_minor > 0 then ',"debtorAgent":' else ',"creditorAgent":' end
                 || to_json(new.counterparty_bic)::text else '' end
            || case when new.remittance <> '' then
                 ',"remittanceInformationUnstructured":' || to_json(new.remittance)::text else '' end
            || case when new.bank_transaction_code <> '' then
                 ',"bankTransactionCode":' || to_json(new.bank_transaction_code)::text else '' end
            || case when new.proprietary_code <> '' then
                 ',"proprietaryBankTransactionCode":' || to_json(new.proprietary_code)::text else '' end
            || case when new.booking_text <> '' then
                 ',"additionalInformation":' || to_json(new.booking_text)::text else '' end
            || '}';
          return new;
        end $$`.execute(db);
      await sql`alter table transactions add column xs2a text`.execute(db);
      await sql`
        create trigger transactions_xs2a before insert or update on transactions
        for each row execute function transactions_render_xs2a()`.execute(db);
      // Rows booked before this migration: the trigger renders them on this no-op update.
      await sql`update transactions set xs2a = null`.execute(db);
      await sql`alter table transactions alter column xs2a set not null`.execute(db);
    },
  },
  "0003_login_throttle": {
    /**
     * Failed password logins per key: "login:" + sha256 of the login typed (whether or not it exists, so the
     * table tells nothing about which logins exist, and a password typed into the login field is not kept
     * in clear) and "ip:" + the client's address. See psus/login-throttle.service.ts.
     */
    async up(db: Kysely<unknown>) {
      await sql`
        create table login_throttle (
          key text primary key,
          failures integer not null,
          window_started_at timestamptz not null,
          locked_until timestamptz
        )`.execute(db);
    },
  },
  "0004_transactions_by_account_seq": {
    /**
     * The highest seq of one account, which every first transactions page freezes its paging at
     * (transactions.repository.ts FIRST_BOOKED_PAGE). Without this index PostgreSQL walked the primary key
     * backwards through the newer rows of other accounts: at 1M rows over 10 accounts up to 27,000 buffers
     * and tens of milliseconds for a quiet account's first page, which was most of a re-sync's time.
     */
    async up(db: Kysely<unknown>) {
      await sql`create index transactions_by_account_seq on transactions (account_id, seq)`.execute(db);
    },
  },
  "0005_signing_keys": {
    /**
     * The bank's own secrets by purpose, made once at the first start (signing.ts). "page-links" signs the
     * cursor of every transactions `next` link, so a TPP can follow the links the bank issued but cannot make
     * one up (another period, another account, a position before the 90 days it may read).
     */
    async up(db: Kysely<unknown>) {
      await sql`
        create table signing_keys (
          purpose text primary key,
          secret text not null,
          created_at timestamptz not null default now()
        )`.execute(db);
    },
  },
};
