//! `sla_clock` as the order page reads it.

use crate::domain::sla::{Clock, Segment};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// An order's clocks with their policy's name and the order's warehouse and carrier.
pub async fn clocks_of(
    db: impl PgExecutor<'_>,
    order_id: i64,
) -> sqlx::Result<Vec<(Clock, String, Option<String>, Option<String>)>> {
    let rows = sqlx::query!(
        r#"select k.segment, k.policy_id, k.policy_version, k.started_at as "started_at: DateTime<Utc>",
                  k.target_seconds, k.due_at as "due_at: DateTime<Utc>",
                  k.at_risk_at as "at_risk_at: DateTime<Utc>", k.ended_at as "ended_at: DateTime<Utc>",
                  k.paused_seconds, k.paused_since as "paused_since: DateTime<Utc>", k.predicted_late,
                  k.elapsed_seconds, k.failed, k.calendar_version, k.warehouse_code, k.carrier,
                  coalesce(p.name, 'policy ' || k.policy_id) as "policy_name!"
           from sla_clock k
           left join sla_policy_version p on p.policy_id = k.policy_id and p.version = k.policy_version
           where k.order_id = $1
           order by array_position(array['release', 'ship', 'deliver', 'promise'], k.segment)"#,
        order_id
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let segment: String = r.segment;
            Ok((
                Clock {
                    segment: Segment::parse(&segment).unwrap_or(Segment::Release),
                    policy_id: r.policy_id,
                    policy_version: r.policy_version,
                    started_at: r.started_at,
                    target_seconds: r.target_seconds,
                    due_at: r.due_at,
                    at_risk_at: r.at_risk_at,
                    ended_at: r.ended_at,
                    paused_seconds: r.paused_seconds,
                    paused_since: r.paused_since,
                    predicted_late: r.predicted_late,
                    elapsed_seconds: r.elapsed_seconds,
                    failed: r.failed,
                    calendar_version: r.calendar_version,
                },
                r.policy_name,
                r.warehouse_code,
                r.carrier,
            ))
        })
        .collect()
}
