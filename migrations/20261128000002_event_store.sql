-- The trusted record (DESIGN §3): connectors and their API keys, the raw inbox, the canonical
-- append-only event store (partitioned by month of recorded time), and the projections the pages
-- read: orders, lines, shipments, packages, milestones, exceptions, and unknown source codes.

-- An external system that sends messages: its kind decides which event types it owns.
create table connector (
    connector_id   bigint generated always as identity primary key,
    name           text not null,
    kind           text not null,
    -- How its messages are written; picks the adapter.
    format         text not null,
    -- Signing secrets and URL tokens. Readable by the server only; never sent to a browser.
    secrets        jsonb not null default '{}'::jsonb,
    -- The canonical types this connector may emit; a subset of what its kind owns.
    allowed_types  text[] not null,
    -- For messages whose times carry no offset (X12): the facility's IANA time zone.
    time_zone      text,
    -- The warehouse code a WMS connector speaks for, when its messages do not say.
    warehouse_code text,
    enabled        boolean not null default true,
    created_at     timestamptz not null default now(),
    constraint connector_name_format check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    constraint connector_kind_known check (kind in ('erp', 'wms', 'carrier')),
    constraint connector_format_known check (format in (
        'canonical', 'odoo', 'milepost_wms', 'shiphero', 'shipbob', 'easypost', 'shippo', 'aftership', 'x12'))
);
create unique index connector_name_key on connector (name);

-- Bearer keys for /api/v1. Only a hash is stored; the prefix is shown so people can tell keys apart.
create table api_key (
    api_key_id    bigint generated always as identity primary key,
    connector_id  bigint not null references connector (connector_id),
    name          text not null,
    prefix        text not null,
    secret_sha256 bytea not null,
    created_at    timestamptz not null default now(),
    -- Set when rotated: the old key keeps working until then.
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    replaced_by   bigint references api_key (api_key_id),
    constraint api_key_name_present check (length(btrim(name)) > 0)
);
create unique index api_key_prefix_key on api_key (prefix);

-- How a customer as another system names it (an Odoo partner id, a WMS customer code) maps to an account.
create table account_external_ref (
    system       text not null,
    external_id  text not null,
    account_id   uuid not null references account (account_id),
    primary key (system, external_id)
);

-- Every raw inbound message, accepted or rejected, exactly as it came.
create table inbox_message (
    inbox_message_id  bigint generated always as identity primary key,
    connector_id      bigint not null references connector (connector_id),
    -- The provider's id, or one derived from a hash of the payload when it gives none.
    message_id        text not null,
    message_id_derived boolean not null,
    received_at       timestamptz not null,
    -- Re-deliveries of an accepted message bump these instead of adding rows.
    delivery_count    integer not null default 1,
    last_received_at  timestamptz not null,
    content_type      text,
    headers           jsonb not null default '{}'::jsonb,
    body              bytea not null,
    outcome           text not null,
    -- For rejected messages: the error the sender was given.
    error             jsonb,
    event_count       integer not null default 0,
    constraint inbox_message_outcome_known check (outcome in ('accepted', 'rejected'))
);
-- Idempotency: one accepted message per (connector, message id). Rejected attempts may be resent.
create unique index inbox_message_accepted_key on inbox_message (connector_id, message_id) where outcome = 'accepted';
create index inbox_message_received_idx on inbox_message (connector_id, received_at desc);

-- The canonical event store. Facts are immutable; only the projector's verdict (disposition and
-- reason) may change, when a late event changes what an earlier one means.
create table event (
    event_id          uuid not null,
    recorded_at       timestamptz not null,
    connector_id      bigint not null,
    inbox_message_id  bigint not null,
    -- CloudEvents source and id as the sender gave them (or as the adapter derived them).
    source            text not null,
    external_id       text not null,
    type              text not null,
    subject           text,
    -- The order (ERP order number) and shipment (tracking number) the event is about, when known.
    order_ref         text,
    tracking_number   text,
    correlation_id    text,
    occurred_at       timestamptz,
    -- The offset the source wrote the time in, in seconds east of UTC, kept for display and audit.
    occurred_offset_seconds integer,
    time_provenance   text not null,
    source_status     jsonb,
    data              jsonb not null,
    disposition       text not null,
    disposition_reason text,
    primary key (event_id, recorded_at),
    constraint event_time_provenance_known check (time_provenance in ('given', 'assumed_facility_local', 'unknown')),
    constraint event_time_matches_provenance check ((occurred_at is null) = (time_provenance = 'unknown')),
    constraint event_disposition_known check (disposition in ('applied', 'superseded', 'duplicate', 'rejected', 'pending'))
) partition by range (recorded_at);
create index event_order_ref_idx on event (order_ref) where order_ref is not null;
create index event_tracking_number_idx on event (tracking_number) where tracking_number is not null;
create index event_inbox_message_idx on event (inbox_message_id);

-- Nothing accepted is ever lost: a row outside every monthly partition lands here.
create table event_default partition of event default;

-- Monthly partitions are created ahead by the housekeeping worker; this makes the first ones.
create function event_ensure_partitions(from_month date, months integer) returns void language plpgsql as $$
declare
    month_start date;
begin
    for i in 0 .. months - 1 loop
        month_start := (date_trunc('month', from_month) + make_interval(months => i))::date;
        execute format(
            'create table if not exists %I partition of event for values from (%L) to (%L)',
            'event_' || to_char(month_start, 'YYYY_MM'), month_start, (month_start + interval '1 month')::date);
    end loop;
end;
$$;
select event_ensure_partitions((date_trunc('month', now()) - interval '12 months')::date, 15);

create function event_facts_are_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'event is append-only';
    end if;
    if (new.event_id, new.recorded_at, new.connector_id, new.inbox_message_id, new.source, new.external_id,
        new.type, new.subject, new.order_ref, new.tracking_number, new.correlation_id, new.occurred_at,
        new.occurred_offset_seconds, new.time_provenance, new.source_status, new.data)
       is distinct from
       (old.event_id, old.recorded_at, old.connector_id, old.inbox_message_id, old.source, old.external_id,
        old.type, old.subject, old.order_ref, old.tracking_number, old.correlation_id, old.occurred_at,
        old.occurred_offset_seconds, old.time_provenance, old.source_status, old.data) then
        raise exception 'event facts are immutable; only disposition and disposition_reason may change';
    end if;
    return new;
end;
$$;
create trigger event_append_only before update or delete on event
    for each row execute function event_facts_are_immutable();

-- Event identity across partitions: one row per (connector, event id). A second arrival is a duplicate.
create table event_key (
    connector_id  bigint not null,
    external_id   text not null,
    event_id      uuid not null,
    primary key (connector_id, external_id)
);

-- The fold's input, per order: its events as the fold reads them (id, identity, type, time, data,
-- verdict), so a new event is folded without searching the partitioned event table. Derived from
-- `event` and rebuildable from it.
create table order_history (
    order_ref        text primary key,
    events           jsonb not null default '[]'::jsonb
);

-- Which order a parcel belongs to, as its dispatch said: carrier events that name only a parcel
-- find their order here.
create table parcel (
    tracking_number text primary key,
    order_ref       text not null
);

-- Carrier events naming a parcel no dispatch has named yet; moved to their order when one does.
create table parcel_history (
    tracking_number text primary key,
    events          jsonb not null default '[]'::jsonb
);

-- Events stored but not folded into their order yet: the projector's work queue. An accepted
-- message adds its events here in the same transaction; the projector folds them in batches.
create table projection_queue (
    queue_id        bigint generated always as identity primary key,
    -- The event as the fold reads it (store::history::Entry).
    entry           jsonb not null,
    order_ref       text,
    tracking_number text
);

-- Projections: a function of the set of applied events of an order, rebuilt when one arrives.
create table "order" (
    order_id        bigint generated always as identity primary key,
    order_ref       text not null,
    account_id      uuid references account (account_id),
    customer_name   text,
    customer_po     text,
    status          text not null,
    on_hold         boolean not null default false,
    warehouse_code  text,
    carrier         text,
    service_level   text,
    priority        text,
    ordered_at      timestamptz,
    promised_ship_by    timestamptz,
    promised_deliver_by timestamptz,
    -- Every tracking number of the order, for search.
    tracking_numbers text[] not null default '{}',
    open_exceptions integer not null default 0,
    last_event_at   timestamptz,
    -- Hashes of each projected part, so a new event rewrites only the parts it changed.
    part_hashes     jsonb not null default '{}'::jsonb,
    updated_at      timestamptz not null default now()
);
create unique index order_ref_key on "order" (order_ref);
create index order_account_idx on "order" (account_id, ordered_at desc);
create index order_ordered_at_idx on "order" (ordered_at desc, order_id desc);
create index order_customer_po_idx on "order" (lower(customer_po));

create table order_line (
    order_id      bigint not null references "order" (order_id) on delete cascade,
    line_ref      text not null,
    sku           text,
    uom           text,
    qty_ordered   numeric not null default 0,
    qty_shipped   numeric not null default 0,
    qty_short     numeric not null default 0,
    line_status   text not null,
    -- For a substitute line: the line it replaces.
    substitute_of text,
    reason        text,
    primary key (order_id, line_ref)
);

create table shipment (
    order_id        bigint not null references "order" (order_id) on delete cascade,
    tracking_number text not null,
    carrier         text,
    status          text not null,
    dispatched_at   timestamptz,
    delivered_at    timestamptz,
    eta             timestamptz,
    signed_by       text,
    delivery_attempts integer not null default 0,
    last_event_at   timestamptz,
    primary key (order_id, tracking_number)
);
create index shipment_tracking_number_idx on shipment (tracking_number);

create table package (
    order_id        bigint not null references "order" (order_id) on delete cascade,
    package_ref     text not null,
    tracking_number text,
    weight          numeric,
    weight_unit     text,
    contents        jsonb not null default '[]'::jsonb,
    primary key (order_id, package_ref)
);

-- The first time an order reached each stage (confirmed, released, picked, dispatched, delivered...).
create table order_milestone (
    order_id     bigint not null references "order" (order_id) on delete cascade,
    milestone    text not null,
    occurred_at  timestamptz,
    event_id     uuid not null,
    primary key (order_id, milestone)
);

-- Opened and closed by events; people act on them in the exception queue (a later feature).
create table order_exception (
    order_exception_id bigint generated always as identity primary key,
    order_id        bigint not null references "order" (order_id) on delete cascade,
    opened_by_event uuid not null,
    kind            text not null,
    domain          text not null,
    severity        text not null,
    summary         text not null,
    opened_at       timestamptz,
    closed_by_event uuid,
    closed_at       timestamptz,
    constraint order_exception_domain_known check (domain in ('fulfillment', 'transport')),
    constraint order_exception_severity_known check (severity in ('info', 'warning', 'critical'))
);
create unique index order_exception_opened_by_key on order_exception (order_id, opened_by_event);
create index order_exception_open_idx on order_exception (opened_at) where closed_by_event is null;

-- Source codes no mapping table knows: kept, counted, and listed for an integrator to map.
create table unknown_code (
    connector_id  bigint not null references connector (connector_id),
    field         text not null,
    code          text not null,
    -- What it was mapped to meanwhile (the nearest safe type), or null for nothing.
    mapped_to     text,
    first_seen_at timestamptz not null,
    last_seen_at  timestamptz not null,
    occurrences   bigint not null default 1,
    example_inbox_message_id bigint,
    primary key (connector_id, field, code)
);
