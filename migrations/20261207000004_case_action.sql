-- Decisions on exception cases that act in other systems: resolving a case marks its Odoo
-- activity done, a reship creates the replacement delivery in Odoo, a cancellation cancels the
-- warehouse's release and Odoo's open delivery. Written in the decision's transaction (the
-- decision and what it asks of others commit together) and turned into sync jobs by the
-- projector's loop (`sync::decisions`), which sets `dispatched_at` in the transaction that
-- enqueues them.
create table case_action (
    case_action_id    uuid primary key default gen_random_uuid(),
    exception_case_id bigint not null references exception_case (exception_case_id) on delete cascade,
    -- The case's key when it was decided (`event:<uuid>` names the event whose note and
    -- activity carry that id in Odoo).
    case_key          text not null,
    order_ref         text not null,
    action            text not null,
    reason            text not null,
    actor_id          uuid references app_user (user_id),
    created_at        timestamptz not null default now(),
    dispatched_at     timestamptz,
    -- What the dispatch enqueued (job kinds), or why it enqueued nothing.
    outcome           text,
    constraint case_action_known check (action in ('resolve', 'reship', 'cancel'))
);
create index case_action_waiting on case_action (created_at) where dispatched_at is null;
