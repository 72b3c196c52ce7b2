-- Nightly reconciliation runs, one report each: per Odoo connector, what Odoo's open deliveries
-- said against Milepost's orders (and which were read again to repair them), the inventory
-- comparisons asked for, and the shipments without carrier news. Shown on /integrations.
create table reconciliation_run (
    reconciliation_run_id bigint generated always as identity primary key,
    connector_id  bigint not null references connector (connector_id) on delete cascade,
    started_at    timestamptz not null,
    finished_at   timestamptz not null default now(),
    report        jsonb not null
);
create index reconciliation_run_latest on reconciliation_run (connector_id, finished_at desc);
