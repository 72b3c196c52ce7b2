-- Every ETA a carrier gave for a shipment, with when it was given (the projection keeps only the
-- latest). Filled from the event store as events are recorded (a trigger, so no path that
-- records events can miss one), and from the events already stored. Read by the ETA scorecards,
-- which leave out ETAs of events the projector rejected or found duplicate.
create table shipment_eta (
    event_id        uuid primary key,
    tracking_number text not null,
    eta             timestamptz not null,
    -- When the carrier gave it: the event's time, or when Milepost recorded it if it had none.
    given_at        timestamptz not null,
    recorded_at     timestamptz not null
);
create index shipment_eta_tracking_idx on shipment_eta (tracking_number, given_at);

create function keep_shipment_eta() returns trigger language plpgsql as $$
begin
    begin
        insert into shipment_eta (event_id, tracking_number, eta, given_at, recorded_at)
        values (new.event_id, new.tracking_number, (new.data ->> 'eta')::timestamptz,
                coalesce(new.occurred_at, new.recorded_at), new.recorded_at)
        on conflict (event_id) do nothing;
    exception when invalid_datetime_format or datetime_field_overflow or invalid_text_representation then
        -- An ETA that is not a time is not kept; the event itself is stored as it came.
        null;
    end;
    return null;
end;
$$;
create trigger event_keeps_eta after insert on event
    for each row when (new.tracking_number is not null and new.data ? 'eta' and new.data ->> 'eta' is not null)
    execute function keep_shipment_eta();

insert into shipment_eta (event_id, tracking_number, eta, given_at, recorded_at)
select distinct on (event_id) event_id, tracking_number, (data ->> 'eta')::timestamptz,
       coalesce(occurred_at, recorded_at), recorded_at
from event
where tracking_number is not null and data ? 'eta' and data ->> 'eta' ~ '^\d{4}-\d{2}-\d{2}'
order by event_id, recorded_at
on conflict (event_id) do nothing;
