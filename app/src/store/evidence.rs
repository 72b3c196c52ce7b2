//! What an evidence pack reads: an order's history as stored, one clock with its policy, and
//! the events of the order with the hash of the raw message each came in.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// An order's stored history (the events the projector folded, with their verdicts).
pub async fn history(
    db: impl PgExecutor<'_>,
    order_ref: &str,
) -> sqlx::Result<Option<serde_json::Value>> {
    sqlx::query_scalar!(
        "select events from order_history where order_ref = $1",
        order_ref
    )
    .fetch_optional(db)
    .await
}

/// One of the order's events, as the pack shows it.
#[derive(Clone, Debug)]
pub struct EventRow {
    pub event_id: Uuid,
    pub event_type: String,
    pub connector: String,
    pub connector_kind: String,
    pub external_id: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub occurred_offset_seconds: Option<i32>,
    pub recorded_at: DateTime<Utc>,
    pub disposition: String,
    pub message_id: String,
    pub inbox_message_id: i64,
    pub message_sha256: String,
    pub message_archive: Option<String>,
}

/// The events with these ids, with their raw messages' SHA-256 (computed from the stored bytes),
/// or the archive a body went to.
pub async fn events(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as!(
        EventRow,
        r#"select e.event_id, e.type as event_type, c.name as connector, c.kind as connector_kind,
                  e.external_id, e.occurred_at as "occurred_at: DateTime<Utc>", e.occurred_offset_seconds,
                  e.recorded_at as "recorded_at: DateTime<Utc>", e.disposition, m.message_id,
                  e.inbox_message_id,
                  case when m.body_archive is null then encode(sha256(m.body), 'hex') else '' end as "message_sha256!",
                  m.body_archive as message_archive
           from event e
           join connector c using (connector_id)
           join inbox_message m using (inbox_message_id)
           where e.event_id = any($1)"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// The order's clock of one segment, with its policy's name.
pub async fn clock(
    db: impl PgExecutor<'_>,
    order_id: i64,
    segment: &str,
) -> sqlx::Result<Option<(crate::domain::sla::Clock, String)>> {
    let found = crate::store::sla::clocks::clocks_of(db, order_id).await?;
    Ok(found
        .into_iter()
        .find(|(c, ..)| c.segment.as_str() == segment)
        .map(|(c, policy, ..)| (c, policy)))
}
