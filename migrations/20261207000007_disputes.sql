-- Disputes of breached clocks. An account manager or a customer opens one from a breach; an
-- agent or admin decides it beside the evidence: upheld (the breach stands), excused (left out
-- of attainment "after excusals", with a reason) or corrected (a correction of the clock's stop
-- is recorded and the order's clocks are recomputed with it). Each dispute is worked as an
-- exception case of category `dispute` (owner, age, snooze come from the queue).
create table dispute (
    dispute_id        bigint generated always as identity primary key,
    order_id          bigint not null references "order" (order_id) on delete cascade,
    order_ref         text not null,
    account_id        uuid references account (account_id),
    segment           text not null,
    reason            text not null,
    comment           text not null,
    state             text not null default 'open',
    opened_by         uuid not null references app_user (user_id),
    opened_at         timestamptz not null default now(),
    exception_case_id bigint references exception_case (exception_case_id),
    decided_by        uuid references app_user (user_id),
    decided_at        timestamptz,
    -- Why a breach was excused (`excused` only).
    excuse_reason     text,
    decision_note     text,
    -- For `corrected`: when the order's clocks were recomputed with the correction.
    correction_applied_at timestamptz,
    constraint dispute_segment_known check (segment in ('release', 'ship', 'deliver', 'promise')),
    constraint dispute_reason_known check (reason in (
        'carrier_data_wrong', 'customer_caused', 'force_majeure', 'wrong_promise', 'other')),
    constraint dispute_state_known check (state in ('open', 'upheld', 'excused', 'corrected')),
    constraint dispute_excuse_known check (excuse_reason is null or excuse_reason in (
        'force_majeure', 'customer_caused', 'carrier_data_wrong', 'agreed_with_customer')),
    constraint dispute_comment_present check (length(btrim(comment)) > 0),
    constraint dispute_decided check ((state = 'open') = (decided_at is null)),
    constraint dispute_excused_says_why check ((state = 'excused') = (excuse_reason is not null))
);
-- One open dispute per clock at a time.
create unique index dispute_one_open on dispute (order_id, segment) where state = 'open';
create index dispute_account_idx on dispute (account_id, opened_at);
create index dispute_excused_idx on dispute (order_id, segment) where state = 'excused';

-- A correction of when a clock's stop happened, recorded when a dispute is decided `corrected`.
-- Append-only: a later correction of the same stop is a new row and the latest wins. The SLA
-- engine applies them on every fold of the order; `applied_at` on the dispute says the order's
-- clocks were recomputed after it (the SLA sweep does that).
create table sla_correction (
    sla_correction_id bigint generated always as identity primary key,
    dispute_id        bigint not null references dispute (dispute_id) on delete cascade,
    order_id          bigint not null references "order" (order_id) on delete cascade,
    -- The fact corrected: `released_at`, `dispatched_at` or `delivered_at`.
    milestone         text not null,
    corrected_at      timestamptz not null,
    recorded_by       uuid not null references app_user (user_id),
    recorded_at       timestamptz not null default now(),
    constraint sla_correction_milestone_known check (milestone in ('released_at', 'dispatched_at', 'delivered_at'))
);
create index sla_correction_order_idx on sla_correction (order_id, sla_correction_id);
create function sla_correction_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'sla_correction is append-only: record a new correction instead';
end;
$$;
-- Direct changes are refused; rows still go with their order (a cascade runs at depth 1).
create trigger sla_correction_append_only before update or delete on sla_correction
    for each row when (pg_trigger_depth() < 1) execute function sla_correction_is_append_only();
create index dispute_correction_waiting on dispute (decided_at)
    where state = 'corrected' and correction_applied_at is null;

alter table exception_case drop constraint exception_case_category_known;
alter table exception_case add constraint exception_case_category_known check (category in (
    'carrier', 'failed_attempt', 'delay', 'short', 'fulfillment', 'hold', 'sync', 'stale', 'dispute'));
