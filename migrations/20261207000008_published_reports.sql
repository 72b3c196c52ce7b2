-- Published monthly reports: on the first business day of a month each account's report for the
-- month before is frozen here (numbers and breach list, the `ReportView` as JSON). Data arriving
-- later never rewrites a published version: when it changes a figure, a new version is published
-- beside it, saying what changed and which events (recorded after the version before) caused it.
create table report_snapshot (
    report_snapshot_id bigint generated always as identity primary key,
    account_id   uuid not null references account (account_id),
    -- The first day of the month reported.
    month        date not null,
    version      integer not null,
    published_at timestamptz not null default now(),
    report       jsonb not null,
    -- For a revision: per figure, before and after ([] for version 1).
    changes      jsonb not null default '[]'::jsonb,
    -- For a revision: the events recorded since the version before about the month's orders.
    late_events  jsonb not null default '[]'::jsonb,
    -- When the live figures were last compared with this version (the only column that moves).
    checked_at   timestamptz not null default now(),
    constraint report_snapshot_version unique (account_id, month, version),
    constraint report_snapshot_first_day check (extract(day from month) = 1),
    constraint report_snapshot_version_positive check (version > 0)
);

create function report_snapshot_is_frozen() returns trigger language plpgsql as $$
begin
    if (new.account_id, new.month, new.version, new.published_at, new.report, new.changes, new.late_events)
       is distinct from
       (old.account_id, old.month, old.version, old.published_at, old.report, old.changes, old.late_events) then
        raise exception 'a published report is frozen: publish a revision instead';
    end if;
    return new;
end;
$$;
create trigger report_snapshot_frozen before update on report_snapshot
    for each row execute function report_snapshot_is_frozen();
