-- Alerts: rules an admin edits (thresholds), the alerts they raise (one open row per rule and
-- subject: a condition that stays true fires once), and the digests that tell people about
-- firings and resolutions, one per round at most per digest interval, with one delivery row per
-- channel (webhook, email) retried until sent.
create table alert_rule (
    -- One rule per kind; the kinds are the conditions `server/src/alerts/` knows how to evaluate.
    kind            text primary key,
    enabled         boolean not null default true,
    -- Its meaning and unit depend on the kind (a count, minutes, seconds or percent).
    threshold       double precision not null,
    -- The window a rate or a count is taken over, for the kinds that have one.
    window_minutes  integer not null default 60,
    updated_at      timestamptz not null default now(),
    updated_by      uuid references app_user (user_id),
    constraint alert_rule_threshold_positive check (threshold > 0),
    constraint alert_rule_window_positive check (window_minutes between 1 and 10080),
    constraint alert_rule_kind_known check (kind in ('dead_letters', 'circuit_open', 'source_stale',
        'projector_lag', 'rejected_messages', 'breach_rate'))
);

insert into alert_rule (kind, threshold, window_minutes) values
    ('dead_letters', 1, 60),        -- dead jobs waiting on a queue
    ('circuit_open', 15, 60),       -- minutes a circuit has been open
    ('source_stale', 240, 60),      -- minutes since a source last sent anything
    ('projector_lag', 300, 60),     -- seconds the oldest queued event has waited
    ('rejected_messages', 10, 60),  -- rejected messages from one source within the window
    ('breach_rate', 10, 1440);      -- percent of an account's clocks due in the window that breached

create table alert_digest (
    digest_id   bigint generated always as identity primary key,
    created_at  timestamptz not null default now(),
    -- What it says, as sent: [{alert_id, kind, subject, state, value, message, at}].
    notices     jsonb not null
);

create table alert (
    alert_id            bigint generated always as identity primary key,
    kind                text not null references alert_rule (kind),
    -- What the condition is about: a queue, a source, an account, or `projector`.
    subject             text not null,
    fired_at            timestamptz not null default now(),
    resolved_at         timestamptz,
    -- The measured value when it fired, and the latest while open.
    fired_value         double precision not null,
    last_value          double precision not null,
    message             text not null,
    fired_digest_id     bigint references alert_digest (digest_id),
    resolved_digest_id  bigint references alert_digest (digest_id)
);
-- Fires once: one open alert per rule and subject.
create unique index alert_open_key on alert (kind, subject) where resolved_at is null;
create index alert_recent on alert (fired_at desc);
-- The notices not yet in a digest.
create index alert_unsent on alert (alert_id) where fired_digest_id is null
    or (resolved_at is not null and resolved_digest_id is null);

create table alert_delivery (
    digest_id        bigint not null references alert_digest (digest_id),
    channel          text not null,
    state            text not null default 'pending',
    attempts         integer not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_error       text,
    sent_at          timestamptz,
    primary key (digest_id, channel),
    constraint alert_delivery_channel_known check (channel in ('webhook', 'email')),
    constraint alert_delivery_state_known check (state in ('pending', 'sent', 'failed'))
);
create index alert_delivery_due on alert_delivery (next_attempt_at) where state = 'pending';

-- Breach rates read the clocks due in a window.
create index sla_clock_due_idx on sla_clock (due_at);

-- The banner follows open alerts live.
create trigger alert_live_insert after insert on alert referencing new table as changed
    for each statement execute function milepost_live_notify('alerts');
create trigger alert_live_update after update on alert referencing new table as changed
    for each statement execute function milepost_live_notify('alerts');

-- Rejection counts read the rejected messages of a window without the accepted ones.
create index inbox_message_rejected_idx on inbox_message (received_at) where outcome = 'rejected';
