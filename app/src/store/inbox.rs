//! The inbox: every raw inbound message, accepted or rejected, exactly as it came.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;

/// A message as received.
pub struct NewMessage<'a> {
    pub connector_id: i64,
    pub message_id: &'a str,
    pub message_id_derived: bool,
    pub received_at: DateTime<Utc>,
    pub content_type: Option<&'a str>,
    pub headers: &'a Value,
    pub body: &'a [u8],
    /// How many events the message carries (0 for a refused one).
    pub event_count: i32,
}

/// Keeps a refused message with the error its sender was given, for an integrator to see.
pub async fn reject(
    db: impl PgExecutor<'_>,
    m: &NewMessage<'_>,
    error: &Value,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into inbox_message
               (connector_id, message_id, message_id_derived, received_at, last_received_at, content_type, headers, body, outcome, error)
           values ($1, $2, $3, $4, $4, $5, $6, $7, 'rejected', $8)
           returning inbox_message_id"#,
        m.connector_id,
        m.message_id,
        m.message_id_derived,
        m.received_at as _,
        m.content_type,
        m.headers,
        m.body,
        error
    )
    .fetch_one(db)
    .await
}

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
