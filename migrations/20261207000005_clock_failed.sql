-- A clock that ended without reaching its goal: the delivery clock of a parcel returned to the
-- sender stops at the return, breached whenever that was.
alter table sla_clock add column failed boolean not null default false;
