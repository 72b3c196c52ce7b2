//! The canonical event store: append-only facts, with the projector's verdict on each.
//!
//! The bulk statements here take arrays (`unnest`) so a batch of a thousand events costs a few
//! round trips, not thousands; they are checked at run time (`sqlx::query`) because the compile-
//! time macros cannot type arrays of nullable timestamps. The database tests exercise each one.

use app::domain::event::{Disposition, EventType};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// One event to store.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub external_id: String,
    pub source: String,
    pub event_type: EventType,
    pub subject: Option<String>,
    pub order_ref: Option<String>,
    pub tracking_number: Option<String>,
    pub correlation_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub occurred_offset_seconds: Option<i32>,
    pub time_provenance: &'static str,
    pub source_status: Option<Value>,
    pub data: Value,
    pub disposition: Disposition,
    pub disposition_reason: Option<String>,
}

/// Serializes work on the given orders and shipments until the transaction ends, in one order
/// everywhere so two transactions never wait on each other in a cycle.
pub async fn lock_keys(conn: &mut PgConnection, keys: &[String]) -> sqlx::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
           from (select distinct unnest($1::text[]) as k order by 1) keys"#,
        keys
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// A changed verdict on a stored event.
#[derive(Clone, Debug)]
pub struct VerdictChange {
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub disposition: Disposition,
    pub reason: Option<String>,
}

/// Writes the projector's verdicts (the only columns of `event` that may change).
pub async fn set_verdicts(conn: &mut PgConnection, changes: &[VerdictChange]) -> sqlx::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"update event e set disposition = v.disposition, disposition_reason = v.reason
           from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[]) as v(event_id, recorded_at, disposition, reason)
           where e.event_id = v.event_id and e.recorded_at = v.recorded_at"#,
        &changes.iter().map(|c| c.event_id).collect::<Vec<_>>(),
        changes.iter().map(|c| c.recorded_at).collect::<Vec<_>>() as _,
        &changes.iter().map(|c| c.disposition.as_str()).collect::<Vec<_>>() as _,
        &changes.iter().map(|c| c.reason.clone()).collect::<Vec<_>>() as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A code no mapping knew, as seen in one message.
pub struct SeenCode {
    pub field: String,
    pub code: String,
    pub mapped_to: Option<String>,
}

/// Counts unknown codes into the mapping inbox.
pub async fn record_unknown_codes(
    conn: &mut PgConnection,
    connector_id: i64,
    inbox_message_id: i64,
    seen_at: DateTime<Utc>,
    codes: &[SeenCode],
) -> sqlx::Result<()> {
    if codes.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"insert into unknown_code (connector_id, field, code, mapped_to, first_seen_at, last_seen_at, occurrences, example_inbox_message_id)
           select $1, field, code, max(mapped_to), $2, $2, count(*), $3
           from unnest($4::text[], $5::text[], $6::text[]) as t(field, code, mapped_to)
           group by field, code
           on conflict (connector_id, field, code) do update
           set last_seen_at = excluded.last_seen_at, occurrences = unknown_code.occurrences + excluded.occurrences"#,
        connector_id,
        seen_at as _,
        inbox_message_id,
        &codes.iter().map(|c| c.field.clone()).collect::<Vec<_>>(),
        &codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>(),
        &codes.iter().map(|c| c.mapped_to.clone()).collect::<Vec<_>>() as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The event ids an inbox message produced (what a re-delivery is told).
pub async fn ids_of_message(
    conn: &mut PgConnection,
    inbox_message_id: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"select event_id from event where inbox_message_id = $1 order by external_id"#,
        inbox_message_id
    )
    .fetch_all(conn)
    .await
}

/// Makes sure the event table has a partition for this month and the next `months_ahead`, so
/// rows land in their month rather than in the default partition.
pub async fn ensure_partitions(
    db: impl sqlx::PgExecutor<'_>,
    months_ahead: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"select event_ensure_partitions(date_trunc('month', now())::date, $1)"#,
        months_ahead + 1
    )
    .execute(db)
    .await?;
    Ok(())
}

/// What storing a message did.
pub struct StoredMessage {
    pub inbox_message_id: i64,
    /// False when the message (connector, message id) was accepted before: nothing new was stored.
    pub first_time: bool,
    /// For a new message, each event's id and final disposition on arrival, in input order.
    pub dispositions: Vec<(Uuid, String)>,
}

/// One accepted message and the events it carries, to store.
pub struct MessageToStore<'a> {
    pub message: &'a super::inbox::NewMessage<'a>,
    /// Each carries its provisional disposition: `pending`, or `duplicate` for a repeat within the
    /// message.
    pub events: &'a [NewEvent],
}

/// Stores accepted messages in one statement: each inbox row (or a re-delivery count), the event
/// identities, the events, and the projector's queue entries (event ids) for the new ones. One round trip
/// and one commit for many messages, so a busy sender's single events cost less than a plain
/// insert committed per row (the ingest writer groups concurrent messages; see
/// `server/src/ingest/writer.rs`).
///
/// An event whose identity was stored before becomes a `duplicate` naming the first; the same
/// event in two messages of one call is stored once. The caller must not pass the same
/// (connector, message id) twice in one call: Postgres refuses to update one row twice in one
/// statement. Results come back in input order.
pub async fn store_messages(
    db: impl sqlx::PgExecutor<'_>,
    messages: &[MessageToStore<'_>],
) -> sqlx::Result<Vec<StoredMessage>> {
    let all = || {
        messages
            .iter()
            .enumerate()
            .flat_map(|(i, x)| x.events.iter().map(move |e| (i as i64 + 1, e)))
    };
    let col = |f: fn(&NewEvent) -> Option<String>| all().map(|(_, e)| f(e)).collect::<Vec<_>>();
    let connector_ids: Vec<i64> = messages.iter().map(|x| x.message.connector_id).collect();
    let message_ids: Vec<&str> = messages.iter().map(|x| x.message.message_id).collect();
    let derived: Vec<bool> = messages
        .iter()
        .map(|x| x.message.message_id_derived)
        .collect();
    let received: Vec<DateTime<Utc>> = messages.iter().map(|x| x.message.received_at).collect();
    let content_types: Vec<Option<&str>> =
        messages.iter().map(|x| x.message.content_type).collect();
    let headers: Vec<&Value> = messages.iter().map(|x| x.message.headers).collect();
    let bodies: Vec<&[u8]> = messages.iter().map(|x| x.message.body).collect();
    let counts: Vec<i32> = messages.iter().map(|x| x.message.event_count).collect();
    let rows = sqlx::query!(
        r#"with msg_in as (
               select * from unnest($1::int8[], $2::text[], $3::bool[], $4::timestamptz[], $5::text[], $6::jsonb[],
                                    $7::bytea[], $8::int4[])
                   with ordinality as t(connector_id, message_id, message_id_derived, received_at, content_type, headers,
                                        body, event_count, m)),
           msg as (
               insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at,
                                          content_type, headers, body, outcome, event_count)
               select connector_id, message_id, message_id_derived, received_at, received_at, content_type, headers, body,
                      'accepted', event_count
               from msg_in order by m
               on conflict (connector_id, message_id) where outcome = 'accepted'
               do update set delivery_count = inbox_message.delivery_count + 1, last_received_at = excluded.last_received_at
               returning inbox_message_id, connector_id, message_id, (xmax = 0) as first_time),
           msgs as (
               select i.m, i.connector_id, i.received_at, msg.inbox_message_id, msg.first_time
               from msg_in i join msg using (connector_id, message_id)),
           input as (
               select * from unnest($9::int8[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
                                    $16::text[], $17::text[], $18::timestamptz[], $19::int4[], $20::text[], $21::jsonb[],
                                    $22::jsonb[], $23::text[], $24::text[])
                   with ordinality as t(m, event_id, source, external_id, type, subject, order_ref, tracking_number,
                                        correlation_id, occurred_at, occurred_offset_seconds, time_provenance,
                                        source_status, data, disposition, disposition_reason, n)),
           candidate as (
               select i.*, msgs.connector_id, msgs.received_at, msgs.inbox_message_id, msgs.first_time
               from input i join msgs using (m)),
           earlier as (
               select k.connector_id, k.external_id, k.event_id from event_key k
               where (k.connector_id, k.external_id) in (select connector_id, external_id from candidate)),
           claimed as (
               insert into event_key (connector_id, external_id, event_id)
               select c.connector_id, c.external_id, c.event_id from candidate c
               where c.first_time and c.disposition <> 'duplicate'
               -- An identity stored before conflicts here and stays unclaimed.
               on conflict do nothing
               returning event_id),
           verdict as (
               select c.*,
                      -- Hashed subplans: the planner cannot count these rows, and a nested loop
                      -- over a batch of 1,000 would cost a million comparisons.
                      case when c.event_id in (select event_id from claimed) then c.disposition else 'duplicate' end as final,
                      case when c.event_id in (select event_id from claimed) then c.disposition_reason
                           when e.event_id is not null then 'the same event as ' || e.event_id || ', stored before'
                           when c.disposition = 'duplicate' then c.disposition_reason
                           else 'the same event, stored at the same moment by another message' end as final_reason
               from candidate c left join earlier e using (connector_id, external_id)),
           stored as (
               insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type, subject,
                                  order_ref, tracking_number, correlation_id, occurred_at, occurred_offset_seconds,
                                  time_provenance, source_status, data, disposition, disposition_reason)
               select v.event_id, v.received_at, v.connector_id, v.inbox_message_id, v.source, v.external_id, v.type,
                      v.subject, v.order_ref, v.tracking_number, v.correlation_id, v.occurred_at,
                      v.occurred_offset_seconds, v.time_provenance, v.source_status, v.data, v.final, v.final_reason
               from verdict v where v.first_time),
           queued as (
               insert into projection_queue (event_id, recorded_at, order_ref, tracking_number)
               select v.event_id, v.received_at, v.order_ref, v.tracking_number from verdict v
               where v.first_time and v.final <> 'duplicate')
           select msgs.inbox_message_id as "inbox_message_id!", msgs.first_time as "first_time!",
                  coalesce((select array_agg(v.event_id order by v.n) from verdict v where v.m = msgs.m), '{}') as "event_ids!",
                  coalesce((select array_agg(v.final order by v.n) from verdict v where v.m = msgs.m), '{}') as "finals!"
           from msgs order by msgs.m"#,
        &connector_ids,
        &message_ids as _,
        &derived,
        received as _,
        &content_types as _,
        &headers as _,
        &bodies as _,
        &counts,
        &all().map(|(i, _)| i).collect::<Vec<_>>(),
        &all().map(|(_, e)| e.event_id).collect::<Vec<_>>(),
        &all().map(|(_, e)| e.source.as_str()).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.external_id.as_str()).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.event_type.as_str()).collect::<Vec<_>>() as _,
        &col(|e| e.subject.clone()) as _,
        &col(|e| e.order_ref.clone()) as _,
        &col(|e| e.tracking_number.clone()) as _,
        &col(|e| e.correlation_id.clone()) as _,
        all().map(|(_, e)| e.occurred_at).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.occurred_offset_seconds).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.time_provenance).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.source_status.as_ref()).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| &e.data).collect::<Vec<_>>() as _,
        &all().map(|(_, e)| e.disposition.as_str()).collect::<Vec<_>>() as _,
        &col(|e| e.disposition_reason.clone()) as _
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            let ids: Vec<Uuid> = row.event_ids;
            let finals: Vec<String> = row.finals;
            Ok(StoredMessage {
                inbox_message_id: row.inbox_message_id,
                first_time: row.first_time,
                dispositions: ids.into_iter().zip(finals).collect(),
            })
        })
        .collect()
}
