-- Cross-account scoping (docs/SECURITY.md, "Accounts never bleed").
--
-- A connector may serve only some accounts (a 3PL's WMS that fulfils two of them): its events
-- for another account's order are kept, rejected with the reason, and never change that order.
-- Empty means every account (the ERP, a carrier serving the whole business).
alter table connector add column account_ids uuid[] not null default '{}';
comment on column connector.account_ids is
    'The accounts whose orders this connector may change; empty = every account (milepost connector scope)';

-- A parcel's claim remembers the carrier its dispatch named (normalized, `domain::carrier`): a
-- carrier event for the same number from another carrier does not join it.
alter table parcel add column carrier text;
comment on column parcel.carrier is 'The claiming dispatch''s carrier, normalized (ups, fedex, ...); null when it named none';

-- A dispatch that names a tracking number another order already claimed: the first claim stays,
-- the second order shows an open exception, and this row says what collided.
create table parcel_conflict (
    tracking_number  text not null,
    -- The order that names the number second, and the dispatch that did.
    order_ref        text not null,
    event_id         uuid not null,
    -- The order that holds the claim.
    claimed_by       text not null,
    occurred_at      timestamptz,
    detected_at      timestamptz not null default now(),
    primary key (order_ref, tracking_number)
);
