-- One correlation id across systems (server/src/correlation.rs): `/integrations` follows a
-- message's chain by it, through the inbox (where intake keeps it among the headers), the
-- events and the jobs.
create index event_correlation_idx on event (correlation_id) where correlation_id is not null;
create index inbox_message_correlation_idx on inbox_message ((headers ->> 'x-correlation-id'));
create index inbox_message_message_id_idx on inbox_message (message_id);
create index job_correlation_idx on job (correlation_id) where correlation_id is not null;
