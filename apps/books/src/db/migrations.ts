import { type ForwardMigration, runScript } from "@kontor/db";
import type { Kysely } from "kysely";

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
};
