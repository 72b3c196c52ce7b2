-- Ingest servers cache API keys and connectors in memory (server/src/ingest/directory.rs). Any
-- change that could refuse a sender (a revoked or rotated key, a disabled or edited connector)
-- tells every server to forget what it cached, at commit, through one notification channel.
create function notify_ingest_directory() returns trigger language plpgsql as $$
begin
    perform pg_notify('milepost_ingest_directory', tg_table_name);
    return null;
end $$;

-- Not on last_used_at: a key's use is recorded every minute and changes nothing a sender sees.
create trigger api_key_changed
    after update of connector_id, secret_sha256, expires_at, revoked_at or delete on api_key
    for each statement execute function notify_ingest_directory();

create trigger connector_changed
    after update or delete on connector
    for each statement execute function notify_ingest_directory();
