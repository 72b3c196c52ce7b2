-- Releases Milepost could not send (docs/odoo.md, "Releases held"): the order's customer is
-- mapped to no account, or no WMS serves its warehouse. Never skipped silently: the order shows
-- an open `release_held` exception, /integrations lists these rows, and once the cause is fixed
-- (`milepost account map`, `milepost connector outbound`, `milepost release retry`) the kept
-- instruction is sent, once (the job names the release event as its cause).
create table held_release (
    order_ref          text primary key,
    -- The applied order.release_requested, and where it is stored (to fold the order again).
    event_id           uuid not null,
    event_recorded_at  timestamptz not null,
    reason             text not null,
    warehouse_code     text,
    -- How the order names its customer: in words, for the integrator who maps it, and as the
    -- reference the account is resolved from (domain::projection::CustomerRef).
    customer           text,
    customer_ref       jsonb not null default '{}',
    -- The release instruction as it would have gone (`SendInstructionToWms`).
    instruction        jsonb not null,
    held_at            timestamptz not null default now(),
    released_at        timestamptz,
    constraint held_release_reason_known check (reason in ('customer_not_mapped', 'no_wms_for_warehouse'))
);
create index held_release_open_idx on held_release (held_at) where released_at is null;
