-- The sync engine's jobs (DESIGN §4): work for an external system, enqueued in the same
-- transaction as the change that causes it, run by workers that claim with SKIP LOCKED.
create table job (
    job_id         bigint generated always as identity primary key,
    -- One queue per external system endpoint (e.g. `odoo:main`, `wms:nplt`): its own concurrency
    -- and its own circuit breaker.
    queue          text not null,
    -- What to do, e.g. `odoo.read_order`, `wms.release`.
    kind           text not null,
    payload        jsonb not null,
    -- pending: waits for run_at; running: leased by a worker; failed: an attempt failed and a
    -- retry waits for run_at; succeeded, dead (gave up, replayable) and cancelled are final.
    state          text not null default 'pending',
    -- Attempts since the job was enqueued or last replayed; `replays` counts the replays.
    attempts       integer not null default 0,
    max_attempts   integer not null default 8,
    replays        integer not null default 0,
    run_at         timestamptz not null default now(),
    lease_until    timestamptz,
    last_error     text,
    -- At most one unfinished job per queue and dedupe key: a storm of triggers makes one job.
    dedupe_key     text,
    -- Jobs of one queue with the same key (an order) run one at a time, in the order enqueued.
    ordering_key   text,
    correlation_id text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    finished_at    timestamptz,
    constraint job_state_known check (state in ('pending', 'running', 'failed', 'succeeded', 'dead', 'cancelled')),
    constraint job_running_has_lease check ((state = 'running') = (lease_until is not null)),
    constraint job_attempts_bounded check (attempts >= 0 and max_attempts > 0)
);
create unique index job_dedupe_key on job (queue, dedupe_key)
    where dedupe_key is not null and state in ('pending', 'running', 'failed');
create index job_ready_idx on job (queue, run_at, job_id) where state in ('pending', 'failed');
create index job_ordering_idx on job (queue, ordering_key, job_id)
    where ordering_key is not null and state in ('pending', 'running', 'failed');
create index job_lease_idx on job (lease_until) where state = 'running';
create index job_state_idx on job (queue, state, updated_at desc);

-- Every attempt, with what was sent and answered: a dead letter shows its request, response and error.
create table job_attempt (
    job_id      bigint not null references job (job_id),
    replay      integer not null,
    attempt     integer not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null default now(),
    outcome     text not null,
    request     jsonb,
    response    jsonb,
    error       text,
    -- Milliseconds from claim to outcome, for latency percentiles per queue.
    duration_ms integer not null,
    primary key (job_id, replay, attempt),
    constraint job_attempt_outcome_known check (outcome in ('succeeded', 'retry', 'dead', 'lease_expired'))
);
create index job_attempt_finished_idx on job_attempt (finished_at);

-- Wakes the queue's workers at commit; duplicate notifications in one transaction fold into one.
create function notify_job_enqueued() returns trigger language plpgsql as $$
begin
    perform pg_notify('milepost_jobs', new.queue);
    return null;
end $$;
create trigger job_enqueued after insert on job
    for each row execute function notify_job_enqueued();

-- A circuit breaker per queue (endpoint), shared by every worker process and shown to operators.
create table circuit (
    queue          text primary key,
    -- closed: jobs flow; open: paused until next_probe_at; half_open: one probe job runs.
    state          text not null default 'closed',
    failures       integer not null default 0,
    opened_at      timestamptz,
    next_probe_at  timestamptz,
    -- How long the next opening lasts; doubles on each failed probe, up to a cap.
    cooldown_ms    integer not null default 0,
    -- Paused by an operator (audited), whatever the breaker says.
    paused         boolean not null default false,
    paused_reason  text,
    updated_at     timestamptz not null default now(),
    constraint circuit_state_known check (state in ('closed', 'open', 'half_open'))
);

-- Recurring jobs, each run once per due time however many workers run.
create table schedule (
    name         text primary key,
    queue        text not null,
    kind         text not null,
    payload      jsonb not null default '{}'::jsonb,
    -- A cron expression with seconds (`sec min hour day-of-month month day-of-week`), in UTC.
    cron         text not null,
    next_run_at  timestamptz not null,
    last_run_at  timestamptz,
    enabled      boolean not null default true
);
