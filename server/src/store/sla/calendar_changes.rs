//! Calendars edited since their open clocks were last refolded (the SLA sweep applies them).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A calendar changed since open clocks were last recomputed for it: (id, scope, code, changed at).
pub async fn calendars_to_apply(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(i64, String, String, DateTime<Utc>)>> {
    sqlx::query_as(
        r#"select business_calendar_id, scope, code, updated_at from business_calendar
           where applied_at is null or applied_at < updated_at order by business_calendar_id"#,
    )
    .fetch_all(db)
    .await
}

/// Orders with an open clock that counts in the calendar of this warehouse or carrier.
pub async fn open_orders_for(
    db: impl PgExecutor<'_>,
    scope: &str,
    code: &str,
) -> sqlx::Result<Vec<String>> {
    let (column, segments) = if scope == "carrier" {
        ("k.carrier", "{deliver}")
    } else {
        ("k.warehouse_code", "{release,ship}")
    };
    sqlx::query_scalar(&format!(
        r#"select distinct o.order_ref from sla_clock k join "order" o using (order_id)
           where k.ended_at is null and lower({column}) = lower($1) and k.segment = any($2::text[])"#
    ))
    .bind(code)
    .bind(segments)
    .fetch_all(db)
    .await
}

/// Records that open clocks were recomputed for the calendar as it stood at `changed_at`.
pub async fn mark_calendar_applied(
    db: impl PgExecutor<'_>,
    id: i64,
    changed_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("update business_calendar set applied_at = $2 where business_calendar_id = $1")
        .bind(id)
        .bind(changed_at)
        .execute(db)
        .await?;
    Ok(())
}
