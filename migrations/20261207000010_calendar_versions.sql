-- Calendars are versioned: each change to a calendar's hours, holidays, cut-off or time zone
-- makes a new version, kept in `business_calendar_version`, and each clock records the version
-- of the calendar it was counted in, so an evidence pack names (and shows) the calendar as it
-- stood for that clock, not as it stands today.
alter table business_calendar add column version integer not null default 1;

create table business_calendar_version (
    business_calendar_id bigint not null references business_calendar (business_calendar_id) on delete cascade,
    version      integer not null,
    scope        text not null,
    code         text not null,
    time_zone    text not null,
    week         jsonb not null,
    holidays     date[] not null,
    cutoff       time,
    saved_at     timestamptz not null default now(),
    primary key (business_calendar_id, version)
);

create function business_calendar_next_version() returns trigger language plpgsql as $$
begin
    if (new.time_zone, new.week, new.holidays, new.cutoff)
       is distinct from (old.time_zone, old.week, old.holidays, old.cutoff) then
        new.version := old.version + 1;
    end if;
    return new;
end;
$$;
create trigger business_calendar_versions before update on business_calendar
    for each row execute function business_calendar_next_version();

create function business_calendar_keep_version() returns trigger language plpgsql as $$
begin
    insert into business_calendar_version (business_calendar_id, version, scope, code, time_zone, week, holidays, cutoff)
    values (new.business_calendar_id, new.version, new.scope, new.code, new.time_zone, new.week, new.holidays, new.cutoff)
    on conflict (business_calendar_id, version) do nothing;
    return null;
end;
$$;
create trigger business_calendar_kept after insert or update on business_calendar
    for each row execute function business_calendar_keep_version();

insert into business_calendar_version (business_calendar_id, version, scope, code, time_zone, week, holidays, cutoff)
select business_calendar_id, version, scope, code, time_zone, week, holidays, cutoff from business_calendar;

-- The version of the calendar a clock was counted in; null when none was set (always open).
alter table sla_clock add column calendar_version integer;
