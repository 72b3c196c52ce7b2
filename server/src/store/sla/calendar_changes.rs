//! Calendars edited since their open clocks were last refolded (the SLA sweep applies them).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A calendar changed since open clocks were last recomputed for it: (id, scope, code, changed at).
pub async fn calendars_to_apply(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(i64, String, String, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select business_calendar_id, scope, code, updated_at as "updated_at: DateTime<Utc>"
           from business_calendar
           where applied_at is null or applied_at < updated_at order by business_calendar_id"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.business_calendar_id, r.scope, r.code, r.updated_at))
        .collect())
}

/// Orders with an open clock that counts in the calendar of this warehouse or carrier.
pub async fn open_orders_for(
    db: impl PgExecutor<'_>,
    scope: &str,
    code: &str,
) -> sqlx::Result<Vec<String>> {
    // A carrier's calendar counts in deliver clocks, a warehouse's in release and ship clocks.
    if scope == "carrier" {
        sqlx::query_scalar!(
            r#"select distinct o.order_ref from sla_clock k join "order" o using (order_id)
               where k.ended_at is null and lower(k.carrier) = lower($1) and k.segment = 'deliver'"#,
            code
        )
        .fetch_all(db)
        .await
    } else {
        sqlx::query_scalar!(
            r#"select distinct o.order_ref from sla_clock k join "order" o using (order_id)
               where k.ended_at is null and lower(k.warehouse_code) = lower($1)
                 and k.segment in ('release', 'ship')"#,
            code
        )
        .fetch_all(db)
        .await
    }
}

/// Records that open clocks were recomputed for the calendar as it stood at `changed_at`.
pub async fn mark_calendar_applied(
    db: impl PgExecutor<'_>,
    id: i64,
    changed_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update business_calendar set applied_at = $2 where business_calendar_id = $1",
        id,
        changed_at as _
    )
    .execute(db)
    .await?;
    Ok(())
}
