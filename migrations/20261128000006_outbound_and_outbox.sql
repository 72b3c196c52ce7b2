-- How Milepost calls a connector's system (DESIGN §4), e.g. an Odoo's URL and protocol or a WMS's
-- release endpoint; null for a system that only sends. Its credentials live in `secrets`.
alter table connector add column outbound jsonb;

-- The outbox: the event whose consequence a job is. One job per event, queue and kind, ever, so
-- an event folded again (a late event reorders its order) never causes its effect twice.
alter table job add column caused_by uuid;
create unique index job_caused_by_key on job (queue, kind, caused_by) where caused_by is not null;
-- The order page lists an order's jobs.
create index job_ordering_key_idx on job (ordering_key, job_id desc) where ordering_key is not null;

-- Where a pull from a system got to (Odoo's `write_date`), per connector and model.
create table sync_cursor (
    connector_id bigint not null references connector (connector_id),
    model        text not null,
    position     timestamptz not null,
    updated_at   timestamptz not null default now(),
    primary key (connector_id, model)
);
