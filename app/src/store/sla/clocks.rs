//! `sla_clock` as the order page reads it.

use crate::domain::sla::{Clock, Segment};
use sqlx::{PgExecutor, Row};

/// An order's clocks with their policy's name and the order's warehouse and carrier.
pub async fn clocks_of(
    db: impl PgExecutor<'_>,
    order_id: i64,
) -> sqlx::Result<Vec<(Clock, String, Option<String>, Option<String>)>> {
    let rows = sqlx::query(
        r#"select k.*, coalesce(p.name, 'policy ' || k.policy_id) as policy_name
           from sla_clock k
           left join sla_policy_version p on p.policy_id = k.policy_id and p.version = k.policy_version
           where k.order_id = $1
           order by array_position(array['release', 'ship', 'deliver', 'promise'], k.segment)"#,
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let segment: String = r.try_get("segment")?;
            Ok((
                Clock {
                    segment: Segment::parse(&segment).unwrap_or(Segment::Release),
                    policy_id: r.try_get("policy_id")?,
                    policy_version: r.try_get("policy_version")?,
                    started_at: r.try_get("started_at")?,
                    target_seconds: r.try_get("target_seconds")?,
                    due_at: r.try_get("due_at")?,
                    at_risk_at: r.try_get("at_risk_at")?,
                    ended_at: r.try_get("ended_at")?,
                    paused_seconds: r.try_get("paused_seconds")?,
                    paused_since: r.try_get("paused_since")?,
                    predicted_late: r.try_get("predicted_late")?,
                    elapsed_seconds: r.try_get("elapsed_seconds")?,
                },
                r.try_get("policy_name")?,
                r.try_get("warehouse_code")?,
                r.try_get("carrier")?,
            ))
        })
        .collect()
}
