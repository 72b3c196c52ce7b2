//! The projector's side of `quarantined_event`: setting aside an event it cannot fold (the
//! pages list and replay them through `app::store::quarantine`).

use crate::store::history::Queued;
use sqlx::PgConnection;

/// Moves a taken event (already out of `projection_queue` in this transaction) to quarantine.
pub async fn quarantine(conn: &mut PgConnection, event: &Queued, error: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into quarantined_event (event_id, recorded_at, order_ref, tracking_number, error)
         values ($1, $2, $3, $4, $5)
         on conflict (event_id) where released_at is null do update set error = excluded.error",
        event.entry.event_id,
        event.entry.recorded_at as _,
        event.order_ref,
        event.tracking_number,
        error,
    )
    .execute(conn)
    .await?;
    Ok(())
}
