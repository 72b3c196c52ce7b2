//! The inbox as people read it: a raw inbound message, accepted or rejected, exactly as it came,
//! and the mapping inbox (`unknown_code`): codes no mapping knew. Writing it is the server's
//! (`server::store::inbox`, `server::store::events`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor};

/// A stored message, for the raw view behind an event.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub inbox_message_id: i64,
    pub connector: String,
    pub message_id: String,
    pub received_at: DateTime<Utc>,
    pub content_type: Option<String>,
    pub headers: Value,
    pub body: Vec<u8>,
    pub outcome: String,
    pub error: Option<Value>,
    pub delivery_count: i32,
}

pub async fn find(
    db: impl PgExecutor<'_>,
    inbox_message_id: i64,
) -> sqlx::Result<Option<StoredMessage>> {
    sqlx::query_as!(
        StoredMessage,
        r#"select m.inbox_message_id, c.name as connector, m.message_id, m.received_at as "received_at: DateTime<Utc>",
                  m.content_type, m.headers, m.body, m.outcome, m.error, m.delivery_count
           from inbox_message m join connector c using (connector_id)
           where m.inbox_message_id = $1"#,
        inbox_message_id
    )
    .fetch_optional(db)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct UnknownCodeRow {
    pub connector: String,
    pub field: String,
    pub code: String,
    pub occurrences: i64,
    pub last_seen_at: DateTime<Utc>,
}

/// The mapping inbox: codes no mapping knew, most recent first.
pub async fn unknown_codes(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<UnknownCodeRow>> {
    sqlx::query_as!(
        UnknownCodeRow,
        r#"select c.name as connector, u.field, u.code, u.occurrences, u.last_seen_at as "last_seen_at: DateTime<Utc>"
           from unknown_code u join connector c using (connector_id)
           order by u.last_seen_at desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct HeldReleaseRow {
    pub order_ref: String,
    pub reason: String,
    pub warehouse_code: Option<String>,
    pub customer: Option<String>,
    pub held_at: DateTime<Utc>,
}

/// Releases Milepost kept instead of sending (`held_release`), oldest first.
pub async fn held_releases(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<HeldReleaseRow>> {
    sqlx::query_as!(
        HeldReleaseRow,
        r#"select order_ref, reason, warehouse_code, customer, held_at as "held_at: DateTime<Utc>"
           from held_release where released_at is null order by held_at limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct ReconciliationRow {
    pub connector: String,
    pub finished_at: DateTime<Utc>,
    pub report: serde_json::Value,
}

/// Each connector's latest reconciliation run (`reconciliation_run`).
pub async fn latest_reconciliations(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<ReconciliationRow>> {
    sqlx::query_as!(
        ReconciliationRow,
        r#"select distinct on (r.connector_id) c.name as connector,
                  r.finished_at as "finished_at: DateTime<Utc>", r.report
           from reconciliation_run r join connector c using (connector_id)
           order by r.connector_id, r.finished_at desc"#
    )
    .fetch_all(db)
    .await
}
