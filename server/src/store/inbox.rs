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

/// An accepted message under one envelope id (X12 sender and control number).
pub struct UnderEnvelope {
    pub inbox_message_id: i64,
    pub message_id: String,
    pub body_sha256: Vec<u8>,
}

/// Accepted messages of `connector_id` whose id is `envelope_id`, or starts with it and a colon
/// (`sender:control` as stored before content keys, `sender:control:<content>` since).
pub async fn accepted_under_envelope(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    envelope_id: &str,
) -> sqlx::Result<Vec<UnderEnvelope>> {
    sqlx::query_as!(
        UnderEnvelope,
        r#"select inbox_message_id, message_id, sha256(body) as "body_sha256!"
           from inbox_message
           where connector_id = $1 and outcome = 'accepted'
             and (message_id = $2 or (message_id like $3 and message_id not like $4))
           order by inbox_message_id"#,
        connector_id,
        envelope_id,
        format!("{}:%", envelope_id.replace('%', "\\%").replace('_', "\\_")),
        format!(
            "{}:%:%",
            envelope_id.replace('%', "\\%").replace('_', "\\_")
        )
    )
    .fetch_all(db)
    .await
}

/// Records that `inbox_message_id` reused the envelope id of an earlier, different message.
pub async fn record_envelope_conflict(
    db: impl PgExecutor<'_>,
    inbox_message_id: i64,
    earlier_inbox_message_id: i64,
    envelope_id: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into interchange_conflict (inbox_message_id, earlier_inbox_message_id, envelope_id)
           values ($1, $2, $3) on conflict do nothing"#,
        inbox_message_id,
        earlier_inbox_message_id,
        envelope_id
    )
    .execute(db)
    .await?;
    Ok(())
}
