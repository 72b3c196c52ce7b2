-- Customer webhooks (DESIGN §4): an account's subscription to canonical events, delivered by the
-- sync engine on a queue of its own (`webhooks:<id>`), so the job and its attempts are the
-- delivery log, and retries, dead letters and replay work as for every other endpoint.
create table webhook_subscription (
    subscription_id  bigint generated always as identity primary key,
    account_id       uuid not null references account (account_id),
    url              text not null,
    -- Standard Webhooks signing secret (`whsec_` + base64); never leaves the server after creation.
    secret           text not null,
    -- The canonical types delivered; empty means all.
    event_types      text[] not null default '{}',
    -- Paused by Milepost after persistent failure (or by an operator), with the notice shown.
    paused_at        timestamptz,
    paused_reason    text,
    created_at       timestamptz not null default now(),
    constraint webhook_url_http check (url ~ '^https?://')
);
create index webhook_subscription_account_idx on webhook_subscription (account_id);

-- Running workers rebuild their queues when subscriptions change.
create trigger webhook_subscription_changed
    after insert or update or delete on webhook_subscription
    for each statement execute function notify_ingest_directory();
