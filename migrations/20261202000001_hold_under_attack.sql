-- Issue 13: what the security review asked the schema for.

-- Users can be disabled: they cannot sign in, and their sessions end (the epoch moves).
alter table app_user add column disabled_at timestamptz;

-- Requests refused before they were authenticated (a bad key, token or signature, or an unknown
-- connector). Only metadata is kept, never the body: anyone can send these, and storing what they
-- send would let them fill the disk. Rows older than 30 days are deleted by housekeeping.
create table refused_request (
    refused_request_id bigint generated always as identity primary key,
    refused_at         timestamptz not null default now(),
    client_addr        text not null,
    -- The path as requested: it names the connector the sender tried, which may not exist.
    path               text not null,
    -- Bytes read (0 when refused before the body was read) and their SHA-256.
    body_bytes         integer not null,
    body_sha256        bytea,
    code               text not null,
    -- Why, for an integrator (the sender is told only that it is not authenticated).
    reason             text not null
);
create index refused_request_at_idx on refused_request (refused_at);
create index refused_request_addr_idx on refused_request (client_addr, refused_at);

-- An X12 interchange whose sender and control number were seen before with different content:
-- both are kept and accepted (a partner whose control numbers wrap or reset sends new news), and
-- the reuse is shown to integrators instead of the new one being taken for a redelivery.
create table interchange_conflict (
    inbox_message_id         bigint primary key references inbox_message (inbox_message_id),
    earlier_inbox_message_id bigint not null references inbox_message (inbox_message_id),
    -- ISA06 sender and ISA13 control number.
    envelope_id              text not null,
    detected_at              timestamptz not null default now()
);

-- Customer webhooks go to public addresses only, unless an admin allows a private network for
-- one subscription (`milepost webhook add --allow-private-network`).
alter table webhook_subscription add column allow_private_network boolean not null default false;

-- Secrets are encrypted at rest (docs/SECURITY.md): each secret value in connector.secrets,
-- connector.outbound and webhook_subscription.secret is `mpenc:v1:<key id>:<base64 nonce+sealed>`.
-- `milepost secrets rotate` re-encrypts them under the current key; plain values left from before
-- are encrypted on the first start after this migration.
comment on column connector.secrets is 'Each value encrypted at rest: mpenc:v1:<key id>:<base64 nonce+sealed>';
comment on column webhook_subscription.secret is 'Encrypted at rest: mpenc:v1:<key id>:<base64 nonce+sealed>';

-- The order page reads a parcel's carrier events through the order that claimed it.
create index parcel_order_ref_idx on parcel (order_ref);
