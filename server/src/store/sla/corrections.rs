//! `sla_correction` as the SLA engine reads it, and the corrected disputes whose orders the SLA
//! sweep still has to recompute.

use app::domain::sla::Correction;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use std::collections::HashMap;

/// The corrections of these orders, oldest first per order.
pub async fn of_orders(
    conn: &mut PgConnection,
    order_ids: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<Correction>>> {
    let rows = sqlx::query!(
        r#"select order_id, milestone, corrected_at as "corrected_at: DateTime<Utc>"
           from sla_correction where order_id = any($1) order by order_id, sla_correction_id"#,
        order_ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: HashMap<i64, Vec<Correction>> = HashMap::new();
    for r in rows {
        out.entry(r.order_id).or_default().push(Correction {
            milestone: r.milestone,
            at: r.corrected_at,
        });
    }
    Ok(out)
}

/// Disputes decided `corrected` whose order's clocks were not recomputed since: (dispute, order).
pub async fn waiting(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select dispute_id, order_ref from dispute
           where state = 'corrected' and correction_applied_at is null order by decided_at, dispute_id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.dispute_id, r.order_ref))
        .collect())
}

pub async fn mark_applied(db: impl PgExecutor<'_>, dispute_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update dispute set correction_applied_at = now() where dispute_id = $1",
        dispute_id
    )
    .execute(db)
    .await?;
    Ok(())
}
