-- Events the projector could not fold, set aside so the rest keep flowing. A batch that fails is
-- folded again one event at a time; an event that fails alone moves here from projection_queue,
-- with the error, in the transaction that tried it. An integrator sees them on /integrations and
-- puts one back in the queue (replay) once the cause is mended; the row stays as the record.
create table quarantined_event (
    quarantine_id   bigint generated always as identity primary key,
    event_id        uuid not null,
    recorded_at     timestamptz not null,
    order_ref       text,
    tracking_number text,
    error           text not null,
    quarantined_at  timestamptz not null default now(),
    released_at     timestamptz,
    released_by     uuid references app_user (user_id)
);
-- One open quarantine per event: a replayed event that fails again gets a new row.
create unique index quarantined_event_open on quarantined_event (event_id) where released_at is null;
create index quarantined_event_recent on quarantined_event (quarantined_at desc);
