//! Events the projector set aside (`quarantined_event`, written by `server::store::quarantine`):
//! the list `/integrations` shows, and putting one back in the projector's queue.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub struct QuarantinedRow {
    pub quarantine_id: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub order_ref: Option<String>,
    pub error: String,
    pub quarantined_at: DateTime<Utc>,
}

/// The events in quarantine now, newest first.
pub async fn open(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<QuarantinedRow>> {
    sqlx::query_as!(
        QuarantinedRow,
        r#"select q.quarantine_id, q.event_id, e.type as event_type, q.order_ref, q.error,
                  q.quarantined_at as "quarantined_at: DateTime<Utc>"
           from quarantined_event q
           join event e on e.event_id = q.event_id and e.recorded_at = q.recorded_at
           where q.released_at is null
           order by q.quarantined_at desc, q.quarantine_id desc
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Puts a quarantined event back in the projector's queue and marks the quarantine released by
/// `actor`; returns the event, or `None` when it is not (or no longer) in quarantine.
pub async fn release(
    conn: &mut PgConnection,
    quarantine_id: i64,
    actor: Uuid,
) -> sqlx::Result<Option<(Uuid, Option<String>)>> {
    let released = sqlx::query!(
        r#"update quarantined_event set released_at = now(), released_by = $2
           where quarantine_id = $1 and released_at is null
           returning event_id, recorded_at as "recorded_at: DateTime<Utc>", order_ref, tracking_number"#,
        quarantine_id,
        actor
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = released else {
        return Ok(None);
    };
    sqlx::query!(
        "insert into projection_queue (event_id, recorded_at, order_ref, tracking_number)
         values ($1, $2, $3, $4)",
        r.event_id,
        r.recorded_at as _,
        r.order_ref,
        r.tracking_number
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some((r.event_id, r.order_ref)))
}
