-- The SLA engine (DESIGN §5): calendars, versioned policies, clocks per order and segment,
-- each order's KPI share and the daily rollups summed from them, observed stage durations,
-- and the exception queue people work.

alter table "order" add column order_value numeric;

-- Business days and hours of a warehouse (with its cut-off) or a carrier.
create table business_calendar (
    business_calendar_id bigint generated always as identity primary key,
    scope        text not null,
    -- The warehouse code or the carrier name it is for.
    code         text not null,
    time_zone    text not null,
    -- Seven entries, Monday first: {"open": minutes, "close": minutes} or null for closed.
    week         jsonb not null,
    holidays     date[] not null default '{}',
    cutoff       time,
    updated_at   timestamptz not null default now(),
    -- The change the sweep last recomputed open clocks for (it does when updated_at is newer).
    applied_at   timestamptz,
    constraint business_calendar_scope_known check (scope in ('warehouse', 'carrier')),
    constraint business_calendar_week_has_seven_days check (jsonb_array_length(week) = 7)
);
create unique index business_calendar_scope_code_key on business_calendar (scope, lower(code));

-- One row per version of a policy. An edit closes the current version and opens the next, so
-- clocks keep the version they started with.
create sequence sla_policy_id_seq;
create table sla_policy_version (
    policy_id       bigint not null,
    version         integer not null,
    name            text not null,
    position        integer not null,
    account_id      uuid references account (account_id),
    service_level   text,
    priority        text,
    warehouse_code  text,
    release_minutes integer,
    ship_minutes    integer,
    deliver_days    integer,
    promise         boolean not null default false,
    at_risk_percent integer not null,
    effective_from  timestamptz not null,
    effective_to    timestamptz,
    created_by      uuid references app_user (user_id),
    created_at      timestamptz not null default now(),
    primary key (policy_id, version),
    constraint sla_policy_version_period check (effective_to is null or effective_to >= effective_from),
    constraint sla_policy_version_at_risk_share check (at_risk_percent between 1 and 99)
);
create unique index sla_policy_version_current_key on sla_policy_version (policy_id) where effective_to is null;

-- The clocks of an order, recomputed with the order whenever one of its events is folded.
create table sla_clock (
    order_id        bigint not null references "order" (order_id) on delete cascade,
    segment         text not null,
    policy_id       bigint not null,
    policy_version  integer not null,
    started_at      timestamptz not null,
    target_seconds  bigint not null,
    -- Null while paused: the due time moves with the pause.
    due_at          timestamptz,
    at_risk_at      timestamptz,
    ended_at        timestamptz,
    paused_seconds  bigint not null default 0,
    paused_since    timestamptz,
    predicted_late  boolean not null default false,
    -- Unpaused business time from start to end, for ended clocks: the observed stage durations.
    elapsed_seconds bigint,
    -- Copied from the order so dashboards filter without a join.
    account_id      uuid,
    warehouse_code  text,
    carrier         text,
    service_level   text,
    updated_at      timestamptz not null default now(),
    primary key (order_id, segment),
    constraint sla_clock_segment_known check (segment in ('release', 'ship', 'deliver', 'promise'))
);
-- Open, counting clocks: by at-risk time (how many are at risk) and by due time (the list).
create index sla_clock_open_risk_idx on sla_clock (at_risk_at) where ended_at is null and paused_since is null;
create index sla_clock_open_due_idx on sla_clock (due_at) where ended_at is null and paused_since is null;
create index sla_clock_ended_idx on sla_clock (segment, ended_at) where ended_at is not null;

-- p80 of each stage's business duration per warehouse (release, ship) and carrier (deliver),
-- over a recent window; refreshed by a schedule, read when clocks are computed.
create table sla_observed (
    scope        text not null,
    code         text not null,
    segment      text not null,
    p80_seconds  bigint not null,
    samples      integer not null,
    computed_at  timestamptz not null,
    primary key (scope, code, segment)
);

-- One order's share of the KPIs (domain::sla::OrderKpi). `kpi_daily` is the sum of these.
create table order_kpi (
    order_id        bigint primary key references "order" (order_id) on delete cascade,
    day             date not null,
    account_id      uuid,
    warehouse_code  text,
    carrier         text,
    service_level   text,
    ship_measured   boolean not null,
    ship_on_time    boolean not null,
    deliver_measured boolean not null,
    deliver_on_time boolean not null,
    lines           integer not null,
    lines_otif      integer not null,
    release_delay_seconds bigint,
    processing_seconds bigint,
    pickup_seconds  bigint,
    transit_seconds bigint,
    delivered       boolean not null,
    first_attempt   boolean not null,
    with_exception  boolean not null
);
-- Covering: the dashboard's release-delay percentiles read it without touching the table.
create index order_kpi_day_idx on order_kpi (day)
    include (release_delay_seconds, account_id, warehouse_code, carrier, service_level);

create table kpi_daily (
    day             date not null,
    account_id      uuid,
    warehouse_code  text,
    carrier         text,
    service_level   text,
    orders          integer not null default 0,
    ship_measured   integer not null default 0,
    ship_on_time    integer not null default 0,
    deliver_measured integer not null default 0,
    deliver_on_time integer not null default 0,
    lines           integer not null default 0,
    lines_otif      integer not null default 0,
    delivered       integer not null default 0,
    first_attempt   integer not null default 0,
    with_exception  integer not null default 0,
    release_delay_count integer not null default 0,
    release_delay_sum   bigint not null default 0,
    processing_count integer not null default 0,
    processing_sum   bigint not null default 0,
    pickup_count     integer not null default 0,
    pickup_sum       bigint not null default 0,
    transit_count    integer not null default 0,
    transit_sum      bigint not null default 0,
    updated_at      timestamptz not null default now(),
    -- When an event that changed an order's past (it happened before events already applied)
    -- last moved this row: reports say they were recomputed.
    late_changed_at timestamptz,
    constraint kpi_daily_key unique nulls not distinct (day, account_id, warehouse_code, carrier, service_level)
);

-- The values the rollups have seen per account, for the dashboard's filter choices.
create table kpi_dimension (
    account_id  uuid,
    dimension   text not null,
    value       text not null,
    constraint kpi_dimension_key unique nulls not distinct (account_id, dimension, value)
);

-- The exception queue: what people work. Opened by events (through the order's exceptions),
-- by dead sync jobs about an order, and by a source gone quiet; closed by itself when its
-- condition clears, or resolved by a person.
create table exception_case (
    exception_case_id bigint generated always as identity primary key,
    -- What opened it: `event:<uuid>`, `job:<id>` or `stale:<connector id>`.
    case_key        text not null,
    category        text not null,
    kind            text not null,
    severity        text not null,
    summary         text not null,
    order_id        bigint references "order" (order_id) on delete cascade,
    order_ref       text,
    account_id      uuid,
    order_value     numeric,
    -- The order's earliest due time among its open clocks: the queue's first sort key.
    due_at          timestamptz,
    opened_at       timestamptz not null,
    cleared_at      timestamptz,
    assignee_id     uuid references app_user (user_id),
    acknowledged_at timestamptz,
    acknowledged_by uuid references app_user (user_id),
    snoozed_until   timestamptz,
    snooze_reason   text,
    resolved_at     timestamptz,
    resolved_by     uuid references app_user (user_id),
    resolution      text,
    updated_at      timestamptz not null default now(),
    constraint exception_case_category_known check (category in (
        'carrier', 'failed_attempt', 'delay', 'short', 'fulfillment', 'hold', 'sync', 'stale')),
    constraint exception_case_severity_known check (severity in ('info', 'warning', 'critical'))
);
create unique index exception_case_key on exception_case (case_key);
create index exception_case_open_idx on exception_case (due_at nulls last, order_value desc nulls last)
    where cleared_at is null and resolved_at is null;
create index exception_case_order_idx on exception_case (order_id);

create table exception_comment (
    exception_comment_id bigint generated always as identity primary key,
    exception_case_id bigint not null references exception_case (exception_case_id) on delete cascade,
    author_id       uuid references app_user (user_id),
    body            text not null,
    created_at      timestamptz not null default now(),
    constraint exception_comment_body_present check (length(btrim(body)) > 0)
);
create index exception_comment_case_idx on exception_comment (exception_case_id, created_at);

-- Open pages refresh when what they show changes: one notice per statement that changed rows
-- (statement triggers fire for statements that change nothing too; the transition table says).
create function milepost_live_notify() returns trigger language plpgsql as $$
begin
    if exists (select 1 from changed) then
        perform pg_notify('milepost_live', tg_argv[0]);
    end if;
    return null;
end;
$$;
create trigger exception_case_live_insert after insert on exception_case referencing new table as changed
    for each statement execute function milepost_live_notify('exceptions');
create trigger exception_case_live_update after update on exception_case referencing new table as changed
    for each statement execute function milepost_live_notify('exceptions');
create trigger kpi_daily_live_insert after insert on kpi_daily referencing new table as changed
    for each statement execute function milepost_live_notify('dashboard');
create trigger kpi_daily_live_update after update on kpi_daily referencing new table as changed
    for each statement execute function milepost_live_notify('dashboard');
create trigger sla_clock_live_insert after insert on sla_clock referencing new table as changed
    for each statement execute function milepost_live_notify('dashboard');
create trigger sla_clock_live_delete after delete on sla_clock referencing old table as changed
    for each statement execute function milepost_live_notify('dashboard');

-- The sweep looks for dead sync jobs about an order to file them as cases.
create index job_dead_order_idx on job (ordering_key, job_id) where state = 'dead' and ordering_key is not null;
