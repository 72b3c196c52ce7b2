//! What nightly reconciliation compares on Milepost's side, and its reports
//! (`reconciliation_run`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgExecutor, PgPool};
use std::collections::HashMap;

/// What Milepost knows of an order: its status and whether it was released to a warehouse
/// (or its release is held, waiting for a person).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub status: String,
    pub released_or_held: bool,
}

/// The orders Milepost knows among `refs`.
pub async fn orders(pool: &PgPool, refs: &[String]) -> sqlx::Result<HashMap<String, Known>> {
    let rows = sqlx::query!(
        r#"select o.order_ref, o.status,
                  (exists (select 1 from order_milestone m where m.order_id = o.order_id and m.milestone = 'released')
                   or exists (select 1 from held_release h where h.order_ref = o.order_ref and h.released_at is null))
                  as "released_or_held!"
           from "order" o where o.order_ref = any($1)"#,
        refs
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.order_ref,
                Known {
                    status: r.status,
                    released_or_held: r.released_or_held,
                },
            )
        })
        .collect())
}

/// The newest inventory snapshot of each warehouse in the last `days` days: (event id, data).
pub async fn latest_snapshots(pool: &PgPool, days: i32) -> sqlx::Result<Vec<(uuid::Uuid, Value)>> {
    let rows = sqlx::query!(
        r#"select distinct on (coalesce(data #>> '{warehouse,code}', data ->> 'warehouse', ''))
                  event_id, data
           from event
           where type = 'inventory.snapshot' and disposition = 'applied'
             and recorded_at > now() - make_interval(days => $1)
           order by coalesce(data #>> '{warehouse,code}', data ->> 'warehouse', ''), recorded_at desc"#,
        days
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.event_id, r.data)).collect())
}

/// A shipment on its way with no carrier news since `since`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Quiet {
    pub order_ref: String,
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub last_news: Option<DateTime<Utc>>,
}

/// Shipments dispatched, not delivered nor returned, whose last event (or dispatch) is older
/// than `since`, oldest first, at most `limit`.
pub async fn quiet_shipments(
    pool: &PgPool,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<(i64, Vec<Quiet>)> {
    let total: i64 = sqlx::query_scalar!(
        r#"select count(*) as "n!" from shipment s
           where s.status not in ('delivered', 'returned')
             and coalesce(s.last_event_at, s.dispatched_at) < $1"#,
        since as _
    )
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query!(
        r#"select o.order_ref, s.tracking_number, s.carrier,
                  coalesce(s.last_event_at, s.dispatched_at) as "last_news: DateTime<Utc>"
           from shipment s join "order" o using (order_id)
           where s.status not in ('delivered', 'returned')
             and coalesce(s.last_event_at, s.dispatched_at) < $1
           order by coalesce(s.last_event_at, s.dispatched_at)
           limit $2"#,
        since as _,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok((
        total,
        rows.into_iter()
            .map(|r| Quiet {
                order_ref: r.order_ref,
                tracking_number: r.tracking_number,
                carrier: r.carrier,
                last_news: r.last_news,
            })
            .collect(),
    ))
}

/// Keeps a run's report.
pub async fn record(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    started_at: DateTime<Utc>,
    report: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into reconciliation_run (connector_id, started_at, report) values ($1, $2, $3)",
        connector_id,
        started_at as _,
        report
    )
    .execute(db)
    .await?;
    Ok(())
}
