-- The projector's queue names its events instead of carrying a copy of each: the event store
-- already holds them, and an accepted message no longer writes its data twice.
alter table projection_queue add column event_id uuid, add column recorded_at timestamptz;
update projection_queue
   set event_id = (entry ->> 'event_id')::uuid, recorded_at = (entry ->> 'recorded_at')::timestamptz;
alter table projection_queue
    drop column entry,
    alter column event_id set not null,
    alter column recorded_at set not null;
