//! The dashboard's reads: sums of the daily KPI rollups, percentiles and distributions from the
//! per-order shares, the at-risk clocks and each source's freshness. Every query takes the
//! user's scope; filters are bound, never spliced.

use crate::domain::dashboard::DashboardFilter;
use crate::store::orders::Scope;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

/// The rollup sums over a period.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct Sums {
    pub orders: i64,
    pub ship_measured: i64,
    pub ship_on_time: i64,
    pub deliver_measured: i64,
    pub deliver_on_time: i64,
    pub lines: i64,
    pub lines_otif: i64,
    pub delivered: i64,
    pub first_attempt: i64,
    pub with_exception: i64,
    pub processing_count: i64,
    pub processing_sum: i64,
    pub pickup_count: i64,
    pub pickup_sum: i64,
    pub transit_count: i64,
    pub transit_sum: i64,
    /// When an event that changed an order's past (arriving after later ones) last moved these
    /// figures.
    pub late_updated_at: Option<DateTime<Utc>>,
}

/// The filters, as bound values: the account resolved to its id.
pub struct Filters<'a> {
    pub scope: &'a Scope,
    pub account_id: Option<Uuid>,
    pub f: &'a DashboardFilter,
}

impl Filters<'_> {
    /// ` and ...` for a table aliased `alias` carrying the dimension columns.
    fn push(&self, q: &mut QueryBuilder<'_, Postgres>, alias: &str) {
        self.scope.push_on(q, &format!("{alias}.account_id"));
        if let Some(id) = self.account_id {
            q.push(format!(" and {alias}.account_id = ")).push_bind(id);
        }
        for (column, value) in [
            ("warehouse_code", &self.f.warehouse),
            ("carrier", &self.f.carrier),
            ("service_level", &self.f.service_level),
        ] {
            if !value.trim().is_empty() {
                q.push(format!(" and {alias}.{column} = "))
                    .push_bind(value.trim().to_string());
            }
        }
    }
}

const SUMS: &str = r#"select coalesce(sum(orders), 0)::int8 as orders, coalesce(sum(ship_measured), 0)::int8 as ship_measured,
    coalesce(sum(ship_on_time), 0)::int8 as ship_on_time, coalesce(sum(deliver_measured), 0)::int8 as deliver_measured,
    coalesce(sum(deliver_on_time), 0)::int8 as deliver_on_time, coalesce(sum(lines), 0)::int8 as lines,
    coalesce(sum(lines_otif), 0)::int8 as lines_otif, coalesce(sum(delivered), 0)::int8 as delivered,
    coalesce(sum(first_attempt), 0)::int8 as first_attempt, coalesce(sum(with_exception), 0)::int8 as with_exception,
    coalesce(sum(processing_count), 0)::int8 as processing_count, coalesce(sum(processing_sum), 0)::int8 as processing_sum,
    coalesce(sum(pickup_count), 0)::int8 as pickup_count, coalesce(sum(pickup_sum), 0)::int8 as pickup_sum,
    coalesce(sum(transit_count), 0)::int8 as transit_count, coalesce(sum(transit_sum), 0)::int8 as transit_sum,
    max(late_changed_at) as late_updated_at
    from kpi_daily k where true"#;

/// Rollup sums for the days `[from, to)`.
pub async fn sums(
    db: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Sums> {
    let mut q = QueryBuilder::new(SUMS);
    q.push(" and k.day >= ")
        .push_bind(from)
        .push(" and k.day < ")
        .push_bind(to);
    f.push(&mut q, "k");
    q.build_query_as().fetch_one(db).await
}

/// Per day over `[from, to)`: (day, ship measured, on time, deliver measured, on time, lines, OTIF lines).
pub async fn daily(
    db: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(NaiveDate, i64, i64, i64, i64, i64, i64)>> {
    let mut q = QueryBuilder::new(
        r#"select day, sum(ship_measured)::int8, sum(ship_on_time)::int8, sum(deliver_measured)::int8,
                  sum(deliver_on_time)::int8, sum(lines)::int8, sum(lines_otif)::int8
           from kpi_daily k where true"#,
    );
    q.push(" and k.day >= ")
        .push_bind(from)
        .push(" and k.day < ")
        .push_bind(to);
    f.push(&mut q, "k");
    q.push(" group by day order by day");
    q.build_query_as().fetch_all(db).await
}

/// Release delays of the orders placed in one period: p50, p90 (seconds) and how many fall
/// in each bucket of `DELAY_EDGES` (one more bucket than edges).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReleaseDelays {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub buckets: Vec<i64>,
}

/// Upper bounds (seconds) of the release delay buckets; the last bucket is open.
pub const DELAY_EDGES: &[i64] = &[15 * 60, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 48 * 3600];

/// Release delays of the orders placed in `[from, to)`, with the distribution when `buckets`.
/// One pass over the covering index of `order_kpi` (an index-only scan).
pub async fn release_delays(
    db: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    to: NaiveDate,
    buckets: bool,
) -> sqlx::Result<ReleaseDelays> {
    let mut q = QueryBuilder::new(
        "select percentile_cont(array[0.5, 0.9]) within group (order by release_delay_seconds), array[",
    );
    let count = if buckets { DELAY_EDGES.len() + 1 } else { 0 };
    for i in 0..count {
        if i > 0 {
            q.push(", ");
        }
        let lower = i
            .checked_sub(1)
            .map(|j| format!("release_delay_seconds >= {}", DELAY_EDGES[j]));
        let upper = DELAY_EDGES
            .get(i)
            .map(|e| format!("release_delay_seconds < {e}"));
        let bounds: Vec<String> = lower.into_iter().chain(upper).collect();
        q.push(format!("count(*) filter (where {})", bounds.join(" and ")));
    }
    q.push("]::int8[] from order_kpi k where k.release_delay_seconds is not null and k.day >= ")
        .push_bind(from)
        .push(" and k.day < ")
        .push_bind(to);
    f.push(&mut q, "k");
    let (percentiles, buckets): (Option<Vec<f64>>, Vec<i64>) =
        q.build_query_as().fetch_one(db).await?;
    let percentiles = percentiles.unwrap_or_default();
    Ok(ReleaseDelays {
        p50: percentiles.first().copied(),
        p90: percentiles.get(1).copied(),
        buckets,
    })
}

/// Cycle time sums per warehouse (`by` = "warehouse_code") or carrier: (label, processing sum,
/// count, pickup sum, count, transit sum, count).
pub async fn cycle_by(
    db: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    to: NaiveDate,
    by: &str,
) -> sqlx::Result<Vec<(String, i64, i64, i64, i64, i64, i64)>> {
    let column = if by == "carrier" {
        "carrier"
    } else {
        "warehouse_code"
    };
    let mut q = QueryBuilder::new(format!(
        r#"select {column}, sum(processing_sum)::int8, sum(processing_count)::int8, sum(pickup_sum)::int8,
                  sum(pickup_count)::int8, sum(transit_sum)::int8, sum(transit_count)::int8
           from kpi_daily k where {column} is not null"#
    ));
    q.push(" and k.day >= ")
        .push_bind(from)
        .push(" and k.day < ")
        .push_bind(to);
    f.push(&mut q, "k");
    q.push(format!(" group by {column} order by {column} limit 12"));
    q.build_query_as().fetch_all(db).await
}

/// An open clock past its at-risk time and not yet breached: what can still be saved, soonest
/// due first. (A clock predicted late is at risk from its start: see `domain::sla::clock`.)
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AtRisk {
    pub order_id: i64,
    pub order_ref: String,
    pub account: Option<String>,
    pub segment: String,
    pub due_at: DateTime<Utc>,
    pub predicted_late: bool,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
}

pub async fn at_risk(
    db: &PgPool,
    f: &Filters<'_>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<AtRisk>> {
    let mut q = QueryBuilder::new(
        r#"select k.order_id, o.order_ref, a.name as account, k.segment, k.due_at, k.predicted_late,
                  k.warehouse_code, k.carrier
           from sla_clock k join "order" o using (order_id) left join account a on a.account_id = k.account_id
           where k.ended_at is null and k.paused_since is null and k.due_at > "#,
    );
    q.push_bind(now)
        .push(" and k.at_risk_at <= ")
        .push_bind(now);
    f.push(&mut q, "k");
    q.push(" order by k.due_at limit ").push_bind(limit);
    q.build_query_as().fetch_all(db).await
}

/// How many open clocks are at risk (not yet breached), and how many are breached, in scope.
pub async fn risk_counts(
    db: &PgPool,
    f: &Filters<'_>,
    now: DateTime<Utc>,
) -> sqlx::Result<(i64, i64)> {
    let mut q = QueryBuilder::new("select count(*) filter (where k.due_at > ");
    q.push_bind(now)
        .push(")::int8, count(*) filter (where k.due_at <= ")
        .push_bind(now)
        .push(")::int8 from sla_clock k where k.ended_at is null and k.paused_since is null and k.at_risk_at <= ")
        .push_bind(now);
    f.push(&mut q, "k");
    q.build_query_as().fetch_one(db).await
}

/// Each enabled source and when it last sent a message.
pub async fn freshness(db: &PgPool) -> sqlx::Result<Vec<(String, String, Option<DateTime<Utc>>)>> {
    let rows = sqlx::query!(
        r#"select c.name, c.kind, m.received_at as "received_at?: DateTime<Utc>"
           from connector c
           left join lateral (select received_at from inbox_message i where i.connector_id = c.connector_id
                              order by received_at desc limit 1) m on true
           where c.enabled order by c.kind, c.name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.name, r.kind, r.received_at))
        .collect())
}

/// The filter choices within scope: (dimension, value) for `warehouse`, `carrier` and
/// `service_level`, from the values the rollups have seen.
pub async fn dimension_values(db: &PgPool, scope: &Scope) -> sqlx::Result<Vec<(String, String)>> {
    let mut q = QueryBuilder::new("select dimension, value from kpi_dimension k where true");
    scope.push_on(&mut q, "k.account_id");
    q.push(" group by 1, 2 order by 1, 2");
    q.build_query_as().fetch_all(db).await
}
