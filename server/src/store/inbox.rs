//! Writing the inbox: a refused message kept with its error. Accepted messages are stored with
//! their events in one statement (`store::events::store_messages`); reading the inbox is
//! `app::store::inbox`.

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
