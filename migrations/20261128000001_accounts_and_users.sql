-- Accounts (the logistics provider's customers), users with one role each, account manager
-- assignments, sign-in failures for throttling, and the append-only audit log.

create table account (
    account_id   uuid primary key default gen_random_uuid(),
    -- Short stable handle used on the command line and in connector mappings, e.g. ACME.
    code         text not null,
    name         text not null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint account_code_format check (code ~ '^[A-Z0-9][A-Z0-9_-]{0,31}$'),
    constraint account_name_present check (length(btrim(name)) > 0)
);
create unique index account_code_key on account (code);

-- "user" is reserved in SQL, hence app_user; its key keeps the natural name user_id.
create table app_user (
    user_id        uuid primary key default gen_random_uuid(),
    email          text not null,
    display_name   text not null,
    role           text not null,
    -- Set for customers (their one account), null for every other role.
    account_id     uuid references account (account_id),
    password_hash  text not null,
    -- Bumped when the password or role changes: sessions carrying an older epoch end.
    auth_epoch     integer not null default 0,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint app_user_role_known check (role in ('admin', 'integrator', 'agent', 'account_manager', 'customer')),
    constraint app_user_customer_has_one_account check ((role = 'customer') = (account_id is not null)),
    constraint app_user_email_format check (email ~ '^[^@\s]+@[^@\s]+$'),
    constraint app_user_display_name_present check (length(btrim(display_name)) > 0)
);
-- Emails are unique whatever their case.
create unique index app_user_email_key on app_user (lower(email));

create table account_manager_assignment (
    user_id     uuid not null references app_user (user_id) on delete cascade,
    account_id  uuid not null references account (account_id) on delete cascade,
    created_at  timestamptz not null default now(),
    primary key (user_id, account_id)
);
create index account_manager_assignment_account_idx on account_manager_assignment (account_id);

-- One row per failed sign-in; throttling counts recent rows per email and per client address.
create table login_failure (
    login_failure_id  bigint generated always as identity primary key,
    email             text not null,
    client_addr       text not null,
    failed_at         timestamptz not null default now()
);
create index login_failure_email_idx on login_failure (lower(email), failed_at);
create index login_failure_client_addr_idx on login_failure (client_addr, failed_at);

-- Who did what and when. Append-only: the trigger below refuses updates and deletes.
create table audit_log (
    audit_log_id   bigint generated always as identity primary key,
    occurred_at    timestamptz not null default now(),
    actor_user_id  uuid references app_user (user_id),
    action         text not null,
    subject        text not null,
    detail         jsonb not null default '{}'::jsonb
);
create index audit_log_occurred_at_idx on audit_log (occurred_at);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only';
end;
$$;
create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_is_append_only();
