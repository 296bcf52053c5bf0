import { type ForwardMigration, runScript } from "@kontor/db";
import { type Kysely, sql } from "kysely";

/**
 * Forward-only. Never edit a migration that has landed; add the next one.
 * Names are "NNNN_snake_case_summary" (four digits, zero-padded): Kysely runs them in name order.
 */
export const migrations: Record<string, ForwardMigration> = {
  "0001_foundation": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        create table organisations (
          id uuid primary key,
          name text not null check (length(btrim(name)) > 0),
          created_at timestamptz not null
        );
        create table users (
          id uuid primary key,
          email text not null unique check (email = lower(email) and position('@' in email) > 1),
          name text not null,
          password_hash text not null,
          created_at timestamptz not null
        );
        create table memberships (
          organisation_id uuid not null references organisations (id) on delete cascade,
          user_id uuid not null references users (id) on delete cascade,
          role text not null check (role in ('owner', 'accountant', 'viewer')),
          created_at timestamptz not null,
          primary key (organisation_id, user_id)
        );
        create index memberships_user_id_idx on memberships (user_id);
        -- A session works inside one membership: removing the membership ends its sessions.
        create table sessions (
          token_hash text primary key,
          user_id uuid not null,
          organisation_id uuid not null,
          csrf_token text not null,
          created_at timestamptz not null,
          expires_at timestamptz not null,
          foreign key (organisation_id, user_id) references memberships (organisation_id, user_id) on delete cascade
        );
        create index sessions_user_id_idx on sessions (user_id);
        create index sessions_expires_at_idx on sessions (expires_at);
        create table audit_log (
          id bigint generated always as identity primary key,
          organisation_id uuid not null references organisations (id) on delete cascade,
          actor_user_id uuid references users (id) on delete set null,
          actor_label text not null,
          action text not null,
          subject text,
          details jsonb not null default '{}',
          request_id text,
          created_at timestamptz not null
        );
        create index audit_log_organisation_id_idx on audit_log (organisation_id, id desc);
        create table login_throttle (
          key text primary key,
          failures integer not null check (failures >= 0),
          window_started_at timestamptz not null,
          locked_until timestamptz
        );
        `,
      );
    },
  },
  "0002_bank_connections": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        -- One consent at one bank. The consent id is sealed (security/secret-box.ts) with the context
        -- "consent:<organisation id>:<connection id>", so a copied value does not open elsewhere.
        create table bank_connections (
          id uuid primary key,
          organisation_id uuid not null references organisations (id) on delete cascade,
          bank_id text not null,
          bank_name text not null,
          consent_id_sealed text,
          status text not null check (status in
            ('pending', 'valid', 'sca_required', 'expired', 'revoked', 'rejected', 'disconnected')),
          valid_until date,
          frequency_per_day integer not null default 4 check (frequency_per_day between 1 and 4),
          last_sca_at timestamptz,
          created_by uuid references users (id) on delete set null,
          created_at timestamptz not null,
          updated_at timestamptz not null
        );
        create index bank_connections_organisation_id_idx on bank_connections (organisation_id);
        -- A redirect to the bank's SCA and back. Only the hash of the state token is kept; the flow is bound
        -- to the session that started it and is used once.
        create table bank_connect_flows (
          id uuid primary key,
          state_hash text not null unique,
          organisation_id uuid not null references organisations (id) on delete cascade,
          user_id uuid not null references users (id) on delete cascade,
          session_hash text not null,
          connection_id uuid not null references bank_connections (id) on delete cascade,
          kind text not null check (kind in ('connect', 'sca_again', 'reconsent')),
          status text not null check (status in ('redirected', 'returned', 'completed', 'failed')),
          offered_accounts jsonb,
          created_at timestamptz not null,
          expires_at timestamptz not null
        );
        create table bank_accounts (
          id uuid primary key,
          organisation_id uuid not null references organisations (id) on delete cascade,
          connection_id uuid not null references bank_connections (id),
          resource_id text not null,
          iban text not null,
          currency text not null check (currency ~ '^[A-Z]{3}$'),
          name text not null check (length(btrim(name)) > 0),
          import_from date not null,
          status text not null check (status in ('active', 'disconnected')),
          opening_balance_minor bigint,
          booked_balance_minor bigint,
          balance_date date,
          last_booked_date date,
          last_synced_at timestamptz,
          last_reconciled_at timestamptz,
          next_sync_at timestamptz,
          last_error text,
          created_at timestamptz not null,
          unique (organisation_id, iban)
        );
        create index bank_accounts_connection_id_idx on bank_accounts (connection_id);
        -- Booked transactions only. external_id is "id:<transactionId>", "ref:<entryReference>" or
        -- "fp:<sha256>" (docs/design/dedup.md); the unique index makes every import idempotent.
        create table bank_transactions (
          id bigint generated always as identity primary key,
          organisation_id uuid not null references organisations (id) on delete cascade,
          bank_account_id uuid not null references bank_accounts (id) on delete cascade,
          external_id text not null,
          booking_date date not null,
          value_date date,
          amount_minor bigint not null,
          currency text not null,
          counterparty_name text,
          counterparty_iban text,
          remittance text,
          end_to_end_id text,
          mandate_id text,
          creditor_id text,
          bank_transaction_code text,
          booking_text text,
          sync_job_id bigint,
          imported_at timestamptz not null,
          unique (bank_account_id, external_id)
        );
        create index bank_transactions_account_date_idx on bank_transactions (bank_account_id, booking_date desc, id desc);
        -- What the bank last reported as pending; replaced on every sync, never merged with booked rows.
        create table bank_pending_transactions (
          id bigint generated always as identity primary key,
          bank_account_id uuid not null references bank_accounts (id) on delete cascade,
          value_date date,
          amount_minor bigint not null,
          currency text not null,
          counterparty_name text,
          remittance text,
          seen_at timestamptz not null
        );
        create index bank_pending_transactions_account_idx on bank_pending_transactions (bank_account_id);
        -- Durable jobs (see jobs/jobs.repository.ts for why not pg-boss). A sync job is also the record of
        -- a sync run. At most one queued or running sync per account: the partial unique index.
        create table sync_jobs (
          id bigint generated always as identity primary key,
          organisation_id uuid not null references organisations (id) on delete cascade,
          bank_account_id uuid not null references bank_accounts (id) on delete cascade,
          trigger text not null check (trigger in ('manual', 'scheduled', 'connect')),
          psu_ip_address text,
          requested_by uuid references users (id) on delete set null,
          status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
          attempts integer not null default 0,
          max_attempts integer not null default 5,
          run_after timestamptz not null,
          locked_until timestamptz,
          locked_by text,
          progress integer not null default 0 check (progress between 0 and 1000),
          pages integer not null default 0,
          seen integer not null default 0,
          imported integer not null default 0,
          date_from date,
          error_code text,
          error_message text,
          created_at timestamptz not null,
          started_at timestamptz,
          finished_at timestamptz
        );
        create unique index sync_jobs_one_active_per_account on sync_jobs (bank_account_id)
          where status in ('queued', 'running');
        create index sync_jobs_claim_idx on sync_jobs (run_after) where status in ('queued', 'running');
        create index sync_jobs_account_idx on sync_jobs (bank_account_id, id desc);
        -- Unattended reads books made per consent, account and Berlin day, to stay inside frequencyPerDay.
        create table bank_read_budget (
          connection_id uuid not null references bank_connections (id) on delete cascade,
          resource text not null,
          usage_date date not null,
          count integer not null,
          primary key (connection_id, resource, usage_date)
        );
        -- A difference between the bank's booked balance and opening + imported, with the period it appeared in.
        create table balance_gaps (
          id bigint generated always as identity primary key,
          bank_account_id uuid not null references bank_accounts (id) on delete cascade,
          period_from date not null,
          period_to date not null,
          difference_minor bigint not null,
          detected_at timestamptz not null,
          closed_at timestamptz
        );
        create unique index balance_gaps_one_open on balance_gaps (bank_account_id) where closed_at is null;
        `,
      );
    },
  },
  "0003_sync_jobs_on_pg_boss": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        -- The queue moved to pg-boss (schema pgboss, which pg-boss installs and migrates itself; see
        -- jobs/queue.ts). sync_jobs stays as the record of each sync run: what the user sees (progress,
        -- counts, errors) and what bank_transactions.sync_job_id points at. Its queue columns go: pg-boss
        -- holds when a job runs, its lease (heartbeat) and its retries, and its queue policy keeps one
        -- queued-or-running sync per account (singletonKey = account id).
        --
        -- Runs still waiting here have no pg-boss job: they end as cancelled, and the account's next
        -- scheduled sync (bank_accounts.next_sync_at) is due as before.
        update sync_jobs set
          status = 'cancelled',
          finished_at = coalesce(started_at, created_at),
          error_code = 'job_queue_changed',
          error_message = 'job_queue_changed'
        where status in ('queued', 'running');
        drop index sync_jobs_one_active_per_account;
        drop index sync_jobs_claim_idx;
        alter table sync_jobs
          drop column max_attempts,
          drop column run_after,
          drop column locked_until,
          drop column locked_by,
          add column boss_job_id uuid;
        create unique index sync_jobs_boss_job_id_idx on sync_jobs (boss_job_id);
        `,
      );
    },
  },
  "0004_connect_gaps": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        -- How the user authenticates at the bank for this flow: redirected there, or approving in the bank's
        -- app (decoupled) while books polls the authorisation. "redirected" then means "at the bank".
        alter table bank_connect_flows
          add column sca_approach text not null default 'REDIRECT' check (sca_approach in ('REDIRECT', 'DECOUPLED'));
        alter table bank_connect_flows add column authorisation_id text;
        -- Expired flows are removed when a flow starts or is read (accounts/accounts.service.ts).
        create index bank_connect_flows_expires_at_idx on bank_connect_flows (expires_at);
        `,
      );
    },
  },
  "0005_connect_flow_psu_message": {
    async up(db: Kysely<unknown>) {
      await runScript(
        db,
        `
        -- What the bank told the user when a decoupled SCA started (psuMessage, at most 500 characters in the
        -- Berlin Group schema): shown on the waiting page while books polls, since a status answer may not repeat it.
        alter table bank_connect_flows add column psu_message text check (length(psu_message) <= 500);
        `,
      );
    },
  },
  "0006_import_speed": {
    async up(db: Kysely<unknown>) {
      // A foreign key is checked row by row: a lookup and a row lock per inserted transaction, a third of
      // the cost of a page insert on PGlite (one 5,000-row page of insertBookedTransactions' statement, fastest
      // of 12: 161 ms with the account's foreign key, 107 without, 101 with the statement-level check below;
      // both foreign keys together cost 40 %). organisation_id's own
      // reference to organisations added nothing: an organisation's deletion reaches its transactions through
      // its bank accounts, and the column is written from the account's row.
      await runScript(
        db,
        `
        alter table bank_transactions drop constraint bank_transactions_organisation_id_fkey;
        alter table bank_transactions drop constraint bank_transactions_bank_account_id_fkey;
        `,
      );
      // The account reference, kept per statement instead of per row, with the foreign key's guarantees:
      // every account a statement writes to exists, and is locked FOR KEY SHARE until commit, so that a
      // concurrent deletion waits for the rows and then removes them with the account.
      await sql`
        create function bank_transactions_check_accounts() returns trigger language plpgsql as $$
        begin
          perform from bank_accounts a where a.id in (select w.bank_account_id from written w) for key share of a;
          if exists (select from written w where not exists (select from bank_accounts a where a.id = w.bank_account_id)) then
            raise exception 'bank_transactions.bank_account_id refers to no bank account'
              using errcode = 'foreign_key_violation';
          end if;
          return null;
        end
        $$`.execute(db);
      await sql`create trigger bank_transactions_accounts_inserted after insert on bank_transactions
        referencing new table as written for each statement execute function bank_transactions_check_accounts()`.execute(
        db,
      );
      await sql`create trigger bank_transactions_accounts_updated after update on bank_transactions
        referencing new table as written for each statement execute function bank_transactions_check_accounts()`.execute(
        db,
      );
      // on delete cascade, one statement per deleting statement.
      await sql`
        create function bank_accounts_delete_transactions() returns trigger language plpgsql as $$
        begin
          delete from bank_transactions t using deleted d where t.bank_account_id = d.id;
          return null;
        end
        $$`.execute(db);
      await sql`create trigger bank_accounts_transactions_deleted after delete on bank_accounts
        referencing old table as deleted for each statement execute function bank_accounts_delete_transactions()`.execute(
        db,
      );
      // An account's id is what its transactions refer to; the foreign key refused to change it under them.
      await sql`
        create function bank_accounts_keep_id() returns trigger language plpgsql as $$
        begin
          raise exception 'a bank account''s id does not change' using errcode = 'foreign_key_violation';
        end
        $$`.execute(db);
      await sql`create trigger bank_accounts_id_kept before update of id on bank_accounts
        for each row when (old.id is distinct from new.id) execute function bank_accounts_keep_id()`.execute(
        db,
      );
      await runScript(
        db,
        `
        -- Sum of the account's booked transactions, kept by the statement that inserts them (sync.repository.ts),
        -- so reconciling after a sync does not sum the whole history (docs/design/dedup.md).
        alter table bank_accounts add column imported_sum_minor bigint not null default 0;
        update bank_accounts a set imported_sum_minor =
          coalesce((select sum(t.amount_minor) from bank_transactions t where t.bank_account_id = a.id), 0);
        `,
      );
    },
  },
  "0007_connection_psu_id": {
    /**
     * The user's id at the bank that a decoupled SCA ("approve in your banking app") last started with, sealed
     * like the consent id: the re-authentication form offers it again instead of asking anew.
     */
    async up(db: Kysely<unknown>) {
      await sql`alter table bank_connections add column psu_id_sealed text`.execute(db);
    },
  },
  "0008_running_total_in_trigger": {
    /**
     * The running total of imported amounts (bank_accounts.imported_sum_minor, 0006) kept by the statement
     * trigger that already checks and locks the accounts a statement writes to, from the rows it inserted:
     * every way of writing rows (the page INSERT on PostgreSQL, COPY on PGlite) moves it alike, and none
     * has to remember to.
     */
    async up(db: Kysely<unknown>) {
      await sql`
        create or replace function bank_transactions_check_accounts() returns trigger language plpgsql as $$
        begin
          perform from bank_accounts a where a.id in (select w.bank_account_id from written w) for key share of a;
          if exists (select from written w where not exists (select from bank_accounts a where a.id = w.bank_account_id)) then
            raise exception 'bank_transactions.bank_account_id refers to no bank account'
              using errcode = 'foreign_key_violation';
          end if;
          if tg_op = 'INSERT' then
            update bank_accounts a set imported_sum_minor = a.imported_sum_minor + s.amount
            from (select w.bank_account_id, sum(w.amount_minor) as amount from written w group by 1) s
            where a.id = s.bank_account_id;
          end if;
          return null;
        end
        $$`.execute(db);
    },
  },
};
