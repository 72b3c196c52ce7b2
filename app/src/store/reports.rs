//! What a report reads beyond the KPI rollups: each clock segment's attainment and the
//! breaches, from `sla_clock` (the clocks the order pages and the dashboard show).

use crate::domain::dashboard::DashboardFilter;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// The rows of `alias` (`o` for "order", `k` for `sla_clock`, which copies the order's account,
/// placement and dimensions: one index range, no join) of an account's orders placed in
/// `[from, to)`, narrowed by the filter's dimensions.
fn push_month(
    q: &mut QueryBuilder<'_, Postgres>,
    alias: &str,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
) {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    push_placed(
        q,
        alias,
        "ordered_at",
        account_id,
        midnight(from),
        midnight(to),
        f,
    );
}

/// The rows of table `alias` (orders, or a table that copies the order's account, placement
/// and dimensions: `sla_clock`, `order_kpi`) of an account placed in `[from, to)` by column
/// `placed`, narrowed by the filter's dimensions.
fn push_placed<'a, T>(
    q: &mut QueryBuilder<'a, Postgres>,
    alias: &str,
    placed: &str,
    account_id: Uuid,
    from: T,
    to: T,
    f: &DashboardFilter,
) where
    T: 'a + sqlx::Encode<'a, Postgres> + sqlx::Type<Postgres> + Send,
{
    q.push(format!(" and {alias}.account_id = "))
        .push_bind(account_id)
        .push(format!(" and {alias}.{placed} >= "))
        .push_bind(from)
        .push(format!(" and {alias}.{placed} < "))
        .push_bind(to);
    for (column, value) in [
        ("warehouse_code", &f.warehouse),
        ("carrier", &f.carrier),
        ("service_level", &f.service_level),
    ] {
        if !value.trim().is_empty() {
            q.push(format!(" and {alias}.{column} = "))
                .push_bind(value.trim().to_string());
        }
    }
}

/// Per segment: (segment, ended clocks, ended in time and not failed).
pub async fn attainment(
    db: &PgPool,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    let mut q = QueryBuilder::new(
        r#"select k.segment,
                  count(*) filter (where k.ended_at is not null)::int8,
                  count(*) filter (where k.ended_at is not null and not k.failed
                                   and (k.due_at is null or k.ended_at <= k.due_at))::int8
           from sla_clock k where true"#,
    );
    push_month(&mut q, "k", account_id, from, to, f);
    q.push(" group by k.segment");
    q.build_query_as().fetch_all(db).await
}

/// A breached clock: (order, segment, due, ended, failed, order id).
pub type Breach = (
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    bool,
    i64,
);

/// Every clock not kept as of `now` (as `breaches` lists them, without a limit): the statement
/// an export streams (`q.build_query_as::<Breach>().fetch(db)`).
pub fn breaches_export_query(
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
    now: DateTime<Utc>,
) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::new(
        r#"select o.order_ref, k.segment, k.due_at, k.ended_at, k.failed, o.order_id
           from sla_clock k join "order" o using (order_id) where true"#,
    );
    push_month(&mut q, "k", account_id, from, to, f);
    q.push(" and ((k.ended_at is not null and (k.failed or k.ended_at > k.due_at)) or (k.ended_at is null and k.due_at < ")
        .push_bind(now)
        .push(")) order by k.due_at, o.order_ref");
    q
}

/// The clocks not kept as of `now` (ended late or failed, or running past due), earliest due
/// first, at most `limit`; and how many there are in all.
pub async fn breaches(
    db: &PgPool,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<(Vec<Breach>, i64)> {
    let breached = |q: &mut QueryBuilder<'_, Postgres>| {
        q.push(" and ((k.ended_at is not null and (k.failed or k.ended_at > k.due_at)) or (k.ended_at is null and k.due_at < ")
            .push_bind(now)
            .push("))");
    };
    // The breached clocks first (one index range on the clocks), then their orders' references.
    let mut q = QueryBuilder::new(
        r#"select o.order_ref, b.segment, b.due_at, b.ended_at, b.failed, o.order_id
           from (select k.order_id, k.segment, k.due_at, k.ended_at, k.failed from sla_clock k where true"#,
    );
    push_month(&mut q, "k", account_id, from, to, f);
    breached(&mut q);
    q.push(r#") b join "order" o using (order_id) order by b.due_at, o.order_ref limit "#)
        .push_bind(limit);
    let rows: Vec<Breach> = q.build_query_as().fetch_all(db).await?;
    let mut count = QueryBuilder::new(r#"select count(*)::int8 from sla_clock k where true"#);
    push_month(&mut count, "k", account_id, from, to, f);
    breached(&mut count);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    Ok((rows, total))
}

/// A published version of an account's month.
pub struct SnapshotRow {
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub report: serde_json::Value,
    pub changes: serde_json::Value,
    pub late_events: serde_json::Value,
}

/// The published versions of an account's month (`month` is its first day), oldest first.
pub async fn snapshots(
    db: &PgPool,
    account_id: Uuid,
    month: NaiveDate,
) -> sqlx::Result<Vec<SnapshotRow>> {
    sqlx::query_as!(
        SnapshotRow,
        r#"select version, published_at as "published_at: DateTime<Utc>", report, changes, late_events
           from report_snapshot where account_id = $1 and month = $2 order by version"#,
        account_id,
        month as _
    )
    .fetch_all(db)
    .await
}

/// The months of an account with a published report, newest first: (month, latest version,
/// first published at).
pub async fn published_months(
    db: &PgPool,
    account_id: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<(NaiveDate, i32, DateTime<Utc>)>> {
    let rows = sqlx::query!(
        r#"select month as "month: NaiveDate", max(version) as "version!", min(published_at) as "published_at!: DateTime<Utc>"
           from report_snapshot where account_id = $1 group by month order by month desc limit $2"#,
        account_id,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.month, r.version, r.published_at))
        .collect())
}

/// The segment clocks of these orders, (order id, segment, started, ended, paused seconds), and
/// when the ERP asked for each order's release: what blame attribution cuts their lives by.
pub async fn spans(
    db: &PgPool,
    order_ids: &[i64],
) -> sqlx::Result<(
    Vec<(i64, String, DateTime<Utc>, Option<DateTime<Utc>>, i64)>,
    Vec<(i64, Option<DateTime<Utc>>)>,
)> {
    let clocks = sqlx::query!(
        r#"select order_id, segment, started_at as "started_at: DateTime<Utc>",
                  ended_at as "ended_at: DateTime<Utc>", paused_seconds
           from sla_clock where order_id = any($1) and segment <> 'promise'"#,
        order_ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| {
        (
            r.order_id,
            r.segment,
            r.started_at,
            r.ended_at,
            r.paused_seconds,
        )
    })
    .collect();
    let requested = sqlx::query!(
        r#"select order_id, occurred_at as "occurred_at: DateTime<Utc>" from order_milestone
           where order_id = any($1) and milestone = 'released'"#,
        order_ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.order_id, r.occurred_at))
    .collect();
    Ok((clocks, requested))
}

/// `[p50, p90]` in seconds, when anything was measured.
type Percentiles = Option<Vec<f64>>;

/// p50 and p90 (seconds) and how many measured, of the ERP's stretch (confirmation to release
/// request), the warehouse's (processing) and the carrier's (pickup and transit) for the orders
/// placed in `[from, to)`: from `order_kpi`, the shares the dashboard's cycle chart sums.
pub async fn cycle_percentiles(
    db: &PgPool,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
) -> sqlx::Result<Vec<(Percentiles, i64)>> {
    let mut q = QueryBuilder::new("select ");
    let stretches = [
        "k.release_delay_seconds",
        "k.processing_seconds",
        // Transit runs from dispatch when no pickup scan came.
        "coalesce(k.pickup_seconds, 0) + k.transit_seconds",
    ];
    for (i, s) in stretches.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.push(format!(
            "percentile_cont(array[0.5, 0.9]) within group (order by {s}) filter (where {s} is not null), count({s})"
        ));
    }
    // `order_kpi` copies the order's account, placement day (UTC) and dimensions.
    q.push(r#" from order_kpi k where true"#);
    push_placed(&mut q, "k", "day", account_id, from, to, f);
    let row: (Percentiles, i64, Percentiles, i64, Percentiles, i64) =
        q.build_query_as().fetch_one(db).await?;
    Ok(vec![(row.0, row.1), (row.2, row.3), (row.4, row.5)])
}

/// Of the orders placed in `[from, to)` delivered with a promised date: (delivered before the
/// promised day, delivered with a promise).
pub async fn early(
    db: &PgPool,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    f: &DashboardFilter,
) -> sqlx::Result<(i64, i64)> {
    let mut q = QueryBuilder::new(
        r#"select count(*) filter (where m.occurred_at::date < o.promised_deliver_by::date)::int8,
                  count(*)::int8
           from "order" o join order_milestone m on m.order_id = o.order_id and m.milestone = 'delivered'
           where o.promised_deliver_by is not null and m.occurred_at is not null"#,
    );
    push_month(&mut q, "o", account_id, from, to, f);
    q.build_query_as().fetch_one(db).await
}
