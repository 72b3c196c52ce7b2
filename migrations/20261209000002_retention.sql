-- Retention (docs/OPERATIONS.md, "Retention"): what the housekeeping worker archives and deletes,
-- and what it must keep.

-- A legal hold keeps an account's events and raw messages whatever their age.
create table legal_hold (
    account_id  uuid primary key references account (account_id),
    reason      text not null,
    placed_at   timestamptz not null default now()
);

-- A raw body archived and cleared: the file it is in (under MILEPOST_ARCHIVE_DIR).
alter table inbox_message add column body_archive text;

-- Each archive written and what was removed after it: the record an auditor asks for.
create table retention_run (
    retention_run_id bigint generated always as identity primary key,
    ran_at           timestamptz not null default now(),
    -- inbox_bodies, event_partition, jobs, deliveries, audit_log, sessions
    policy           text not null,
    -- The archive file (relative to the archive directory), when one was written.
    archive          text,
    -- SHA-256 of the archive file as written, hex.
    sha256           text,
    archived_rows    bigint not null default 0,
    deleted_rows     bigint not null default 0,
    -- Rows the policy would have removed but kept (open disputes, legal holds).
    kept_rows        bigint not null default 0,
    detail           jsonb not null default '{}'::jsonb
);
create index retention_run_recent on retention_run (ran_at desc);

-- Finished jobs by age, for deleting them with their attempts.
create index job_finished_idx on job (finished_at) where state in ('succeeded', 'cancelled');

-- The audit log stays append-only for everyone but the retention policy, which deletes entries
-- past their age in a transaction that says so (`set local milepost.retention = 'on'`).
create or replace function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('milepost.retention', true) = 'on' then
        return old;
    end if;
    raise exception 'audit_log is append-only';
end;
$$;
