//! The canonical event store: append-only facts, with the projector's verdict on each.
//!
//! The bulk statements here take arrays (`unnest`) so a batch of a thousand events costs a few
//! round trips, not thousands; they are checked at run time (`sqlx::query`) because the compile-
//! time macros cannot type arrays of nullable timestamps. The database tests exercise each one.

use crate::domain::event::{Disposition, EventType};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// One event to append.
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

/// Registers event identities; returns, for each one already known, the id of the first event.
pub async fn claim_identities(
    conn: &mut PgConnection,
    connector_id: i64,
    events: &[NewEvent],
) -> sqlx::Result<Vec<(String, Uuid)>> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let external: Vec<&str> = events.iter().map(|e| e.external_id.as_str()).collect();
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let rows = sqlx::query(
        r#"with input as (select * from unnest($2::text[], $3::uuid[]) as t(external_id, event_id)),
                inserted as (
                    insert into event_key (connector_id, external_id, event_id)
                    select $1, external_id, event_id from input
                    on conflict do nothing
                    returning external_id)
           select k.external_id, k.event_id
           from input i join event_key k on k.connector_id = $1 and k.external_id = i.external_id
           where i.external_id not in (select external_id from inserted)"#,
    )
    .bind(connector_id)
    .bind(&external)
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("external_id")?, r.try_get("event_id")?)))
        .collect()
}

/// Appends events of one inbox message.
pub async fn append(
    conn: &mut PgConnection,
    connector_id: i64,
    inbox_message_id: i64,
    recorded_at: DateTime<Utc>,
    events: &[NewEvent],
) -> sqlx::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let col = |f: fn(&NewEvent) -> Option<String>| events.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        r#"insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type, subject,
                              order_ref, tracking_number, correlation_id, occurred_at, occurred_offset_seconds,
                              time_provenance, source_status, data, disposition, disposition_reason)
           select t.event_id, $1, $2, $3, t.source, t.external_id, t.type, t.subject, t.order_ref, t.tracking_number,
                  t.correlation_id, t.occurred_at, t.occurred_offset_seconds, t.time_provenance, t.source_status,
                  t.data, t.disposition, t.disposition_reason
           from unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
                       $12::timestamptz[], $13::int4[], $14::text[], $15::jsonb[], $16::jsonb[], $17::text[], $18::text[])
                as t(event_id, source, external_id, type, subject, order_ref, tracking_number, correlation_id,
                     occurred_at, occurred_offset_seconds, time_provenance, source_status, data, disposition,
                     disposition_reason)"#,
    )
    .bind(recorded_at)
    .bind(connector_id)
    .bind(inbox_message_id)
    .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.source.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.external_id.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>())
    .bind(col(|e| e.subject.clone()))
    .bind(col(|e| e.order_ref.clone()))
    .bind(col(|e| e.tracking_number.clone()))
    .bind(col(|e| e.correlation_id.clone()))
    .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.occurred_offset_seconds).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.time_provenance).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.source_status.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.data.clone()).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.disposition.as_str()).collect::<Vec<_>>())
    .bind(col(|e| e.disposition_reason.clone()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Serializes work on the given orders and shipments until the transaction ends, in one order
/// everywhere so two transactions never wait on each other in a cycle.
pub async fn lock_keys(conn: &mut PgConnection, keys: &[String]) -> sqlx::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query(
        r#"select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
           from (select distinct unnest($1::text[]) as k order by 1) keys"#,
    )
    .bind(keys)
    .execute(conn)
    .await?;
    Ok(())
}

/// A changed verdict on a stored event.
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
    sqlx::query(
        r#"update event e set disposition = v.disposition, disposition_reason = v.reason
           from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[]) as v(event_id, recorded_at, disposition, reason)
           where e.event_id = v.event_id and e.recorded_at = v.recorded_at"#,
    )
    .bind(changes.iter().map(|c| c.event_id).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.recorded_at).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.disposition.as_str()).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.reason.clone()).collect::<Vec<_>>())
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
    sqlx::query(
        r#"insert into unknown_code (connector_id, field, code, mapped_to, first_seen_at, last_seen_at, occurrences, example_inbox_message_id)
           select $1, field, code, max(mapped_to), $2, $2, count(*), $3
           from unnest($4::text[], $5::text[], $6::text[]) as t(field, code, mapped_to)
           group by field, code
           on conflict (connector_id, field, code) do update
           set last_seen_at = excluded.last_seen_at, occurrences = unknown_code.occurrences + excluded.occurrences"#,
    )
    .bind(connector_id)
    .bind(seen_at)
    .bind(inbox_message_id)
    .bind(codes.iter().map(|c| c.field.clone()).collect::<Vec<_>>())
    .bind(codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>())
    .bind(codes.iter().map(|c| c.mapped_to.clone()).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// The event ids an inbox message produced (what a re-delivery is told).
pub async fn ids_of_message(
    conn: &mut PgConnection,
    inbox_message_id: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        r#"select event_id from event where inbox_message_id = $1 order by external_id"#,
    )
    .bind(inbox_message_id)
    .fetch_all(conn)
    .await
}

/// Makes sure the event table has a partition for this month and the next `months_ahead`, so
/// rows land in their month rather than in the default partition.
pub async fn ensure_partitions(
    db: impl sqlx::PgExecutor<'_>,
    months_ahead: i32,
) -> sqlx::Result<()> {
    sqlx::query(r#"select event_ensure_partitions(date_trunc('month', now())::date, $1)"#)
        .bind(months_ahead + 1)
        .execute(db)
        .await?;
    Ok(())
}
