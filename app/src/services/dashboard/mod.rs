//! The dashboard's figures for the signed-in user's scope: KPI tiles against the previous
//! period, the charts, the at-risk orders and each source's freshness.

use crate::charts::{self, ChartError};
use crate::domain::dashboard::*;
use crate::domain::display::{due_in, utc_minute};
use crate::error::AppError;
use crate::store::accounts;
use crate::store::kpis::{self, Filters, Sums};
use crate::store::orders::Scope;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::PgPool;
use tiles::{duration, hours, pct, tiles};
use uuid::Uuid;

pub(crate) mod tiles;

/// At-risk orders listed at most.
pub const AT_RISK_LIMIT: i64 = 25;
/// A source silent this long shows as stale (the sweep files a case at the same age).
pub const STALE_AFTER: Duration = Duration::hours(4);

fn chart(result: Result<String, ChartError>) -> String {
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "a dashboard chart could not be drawn");
        String::new()
    })
}

/// Short labels for the release delay buckets (`DELAY_EDGES`), so they fit under their bars.
const DELAY_LABELS: [&str; 7] = [
    "< 15 min",
    "15–60 min",
    "1–4 h",
    "4–8 h",
    "8–24 h",
    "1–2 d",
    "> 2 d",
];

fn delay_label(i: usize) -> String {
    DELAY_LABELS.get(i).copied().unwrap_or("").to_string()
}

pub async fn view(
    pool: &PgPool,
    scope: &Scope,
    filter: &DashboardFilter,
    now: DateTime<Utc>,
) -> Result<DashboardView, AppError> {
    let f = Filters {
        scope,
        account_id: account_in_scope(pool, scope, &filter.account).await?,
        f: filter,
    };
    let days = filter.period_days();
    let to = now.date_naive() + Duration::days(1);
    let from = to - Duration::days(days);
    let now_sums = kpis::sums(pool, &f, from, to).await?;
    let delays = kpis::release_delays(pool, &f, from, to, true).await?;
    let tiles = tiles_with_risk(pool, &f, &now_sums, &delays, (from, to), now).await?;
    let points = trend_points(pool, &f, from, days).await?;
    let buckets: Vec<Bucket> = (delays.buckets.into_iter().enumerate())
        .map(|(i, count)| Bucket {
            label: delay_label(i),
            count,
        })
        .collect();
    let splits = cycle_splits(pool, &f, from, to).await?;
    Ok(DashboardView {
        period: format!(
            "{} to {} (UTC), against the {days} days before",
            from,
            to - Duration::days(1)
        ),
        tiles,
        trend_svg: chart(charts::on_time_trend_svg(&points)),
        release_delay_svg: chart(charts::distribution_svg(
            "Release delay",
            "Confirmed to released",
            &buckets,
        )),
        cycle_svg: chart(charts::cycle_split_svg(&splits)),
        at_risk: at_risk_rows(pool, &f, now).await?,
        freshness: freshness_rows(pool, now).await?,
        choices: choices(pool, scope).await?,
        recomputed_note: now_sums.late_updated_at.map(|t| {
            format!(
                "Late data changed these figures; last at {}.",
                utc_minute(t)
            )
        }),
    })
}

/// The account the filter names, if the caller may see it (another account is not found).
pub(crate) async fn account_in_scope(
    pool: &PgPool,
    scope: &Scope,
    code: &str,
) -> Result<Option<Uuid>, AppError> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let account = accounts::find_by_code(pool, code)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Scope::Accounts(ids) = scope {
        if !ids.contains(&account.account_id) {
            return Err(AppError::NotFound);
        }
    }
    Ok(Some(account.account_id))
}

/// The KPI tiles against the period before, and the clocks at risk or breached now.
async fn tiles_with_risk(
    pool: &PgPool,
    f: &Filters<'_>,
    now_sums: &Sums,
    delays: &kpis::ReleaseDelays,
    (from, to): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<Vec<Tile>, AppError> {
    let previous = from - (to - from);
    let before_sums = kpis::sums(pool, f, previous, from).await?;
    let delays_before = kpis::release_delays(pool, f, previous, from, false).await?;
    let mut tiles = tiles(
        now_sums,
        &before_sums,
        (delays.p50, delays.p90),
        (delays_before.p50, delays_before.p90),
    );
    let (at_risk_count, breached_count) = kpis::risk_counts(pool, f, now).await?;
    tiles.push(Tile {
        key: "at_risk".into(),
        label: "At risk now".into(),
        value: at_risk_count.to_string(),
        change: format!("{breached_count} breached, still open"),
        better: None,
        basis: "open SLA clocks".into(),
    });
    Ok(tiles)
}

/// One point a day: on-time ship, on-time delivery and OTIF shares.
async fn trend_points(
    pool: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    days: i64,
) -> Result<Vec<TrendPoint>, AppError> {
    let daily = kpis::daily(pool, f, from, from + Duration::days(days)).await?;
    Ok((0..days)
        .map(|i| from + Duration::days(i))
        .map(|day| {
            let row = daily.iter().find(|r| r.0 == day);
            TrendPoint {
                day,
                on_time_ship: row.and_then(|r| pct(r.2, r.1)),
                on_time_delivery: row.and_then(|r| pct(r.4, r.3)),
                otif: row.and_then(|r| pct(r.6, r.5)),
            }
        })
        .collect())
}

/// Cycle time split per warehouse (per carrier once a warehouse is chosen).
async fn cycle_splits(
    pool: &PgPool,
    f: &Filters<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CycleSplit>, AppError> {
    let by = if f.f.warehouse.trim().is_empty() {
        "warehouse_code"
    } else {
        "carrier"
    };
    Ok(kpis::cycle_by(pool, f, from, to, by)
        .await?
        .into_iter()
        .map(|(label, ps, pc, us, uc, ts, tc)| CycleSplit {
            label,
            processing_hours: hours(ps, pc),
            pickup_hours: hours(us, uc),
            transit_hours: hours(ts, tc),
        })
        .collect())
}

/// The open clocks nearest their due time (or past it), most urgent first.
async fn at_risk_rows(
    pool: &PgPool,
    f: &Filters<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<AtRiskRow>, AppError> {
    Ok(kpis::at_risk(pool, f, now, AT_RISK_LIMIT)
        .await?
        .into_iter()
        .map(|r| AtRiskRow {
            order_id: r.order_id,
            order_ref: r.order_ref,
            account: r.account,
            segment: crate::domain::sla::Segment::parse(&r.segment)
                .map(|s| s.label().to_string())
                .unwrap_or(r.segment),
            state: if r.due_at <= now {
                "breached".into()
            } else {
                "at risk".into()
            },
            due_at: utc_minute(r.due_at),
            due_in: due_in((r.due_at - now).num_seconds()),
            predicted_late: r.predicted_late,
            warehouse: r.warehouse_code,
            carrier: r.carrier,
        })
        .collect())
}

/// Each enabled source, how long since it last sent anything, and whether that is too long.
async fn freshness_rows(pool: &PgPool, now: DateTime<Utc>) -> Result<Vec<FreshnessRow>, AppError> {
    Ok(kpis::freshness(pool)
        .await?
        .into_iter()
        .map(|(source, kind, at)| FreshnessRow {
            source,
            kind,
            age: at
                .map(|t| format!("{} ago", duration((now - t).num_seconds().max(0) as f64)))
                .unwrap_or_else(|| "never".into()),
            stale: at.is_some_and(|t| now - t > STALE_AFTER),
            last_message_at: at.map(utc_minute),
        })
        .collect())
}

/// What the filters offer within the caller's scope.
async fn choices(pool: &PgPool, scope: &Scope) -> Result<Choices, AppError> {
    let accounts = match scope {
        Scope::All => accounts::list(pool).await?,
        Scope::Accounts(ids) => accounts::list(pool)
            .await?
            .into_iter()
            .filter(|a| ids.contains(&a.account_id))
            .collect(),
    };
    let dimensions = kpis::dimension_values(pool, scope).await?;
    let of = |dimension: &str| -> Vec<String> {
        dimensions
            .iter()
            .filter(|(d, _)| d == dimension)
            .map(|(_, v)| v.clone())
            .collect()
    };
    Ok(Choices {
        accounts: accounts.into_iter().map(|a| (a.code, a.name)).collect(),
        warehouses: of("warehouse"),
        carriers: of("carrier"),
        service_levels: of("service_level"),
    })
}

/// The dashboard's carrier view: the ETA scorecards per carrier and service of the period's
/// orders in the caller's scope and filters. Loaded apart from the page (it reads every
/// delivered shipment of the period and every ETA given for them).
pub async fn carriers(
    pool: &PgPool,
    scope: &Scope,
    filter: &DashboardFilter,
    now: DateTime<Utc>,
) -> Result<crate::domain::scorecards::Scorecards, AppError> {
    let account_id = account_in_scope(pool, scope, &filter.account).await?;
    let accounts: Option<Vec<Uuid>> = match (account_id, scope) {
        (Some(id), _) => Some(vec![id]),
        (None, Scope::Accounts(ids)) => Some(ids.clone()),
        (None, Scope::All) => None,
    };
    let to = now.date_naive() + Duration::days(1);
    let from = to - Duration::days(filter.period_days());
    crate::services::scorecards::scorecards(
        pool,
        accounts.as_deref(),
        from,
        to,
        [
            filter.warehouse.trim(),
            filter.carrier.trim(),
            filter.service_level.trim(),
        ],
        false,
    )
    .await
}
