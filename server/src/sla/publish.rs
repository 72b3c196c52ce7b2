//! Published monthly reports. From the first business day of a month (its first Monday to
//! Friday, UTC; holidays are not known per account), each account's report of the month before
//! is frozen as version 1 (`report_snapshot`). Afterwards, when events or corrections about the
//! month's orders are recorded, the live report is worked out again (the same
//! `services::reports::month` as `/reports`) and, if a figure or the breach list changed, a new
//! version is published beside the old one with the difference and the events behind it. The
//! account's webhook subscribers get `report.published` for each version. Run by the SLA sweep;
//! idempotent across workers (a version number is published once).

use crate::store::sla::snapshots::{self, Latest, NewVersion};
use app::domain::reports::{FigureChange, ReportFilter, ReportView};
use app::store::orders::Scope;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Published months looked at again for revisions: this many before the current one.
const REVISE_MONTHS: u32 = 3;
/// Late events listed with a revision (the count of figures changed is always complete).
const LATE_EVENTS_LISTED: i64 = 200;

/// The first Monday-to-Friday of the month that starts on `first`.
pub fn first_business_day(first: NaiveDate) -> NaiveDate {
    let mut day = first;
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    day
}

fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn months_before(first: NaiveDate, n: u32) -> NaiveDate {
    first
        .checked_sub_months(chrono::Months::new(n))
        .expect("a month in range")
}

/// What one run published.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub first_versions: usize,
    pub revisions: usize,
}

/// Publishes what is due at `now`: last month's first versions (from this month's first business
/// day on) and revisions of the recent months whose figures changed, looking again at a month
/// at most once per `revision_gap`.
pub async fn publish_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    revision_gap: Duration,
) -> anyhow::Result<Published> {
    let mut done = Published::default();
    let this_month = month_start(now.date_naive());
    let last_month = months_before(this_month, 1);
    if now.date_naive() >= first_business_day(this_month) {
        for (account_id, code) in snapshots::unpublished(pool, last_month, this_month).await? {
            let report = live(pool, &code, last_month, now).await?;
            let published = publish(pool, account_id, last_month, 1, &report, &[], &[]).await?;
            if published {
                tracing::info!(account = %code, month = %last_month, "monthly report published");
                done.first_versions += 1;
            }
        }
    }
    let since = months_before(this_month, REVISE_MONTHS);
    for latest in snapshots::latest_with_news(pool, since, now - revision_gap).await? {
        if revise(pool, &latest, now).await? {
            done.revisions += 1;
        }
    }
    Ok(done)
}

/// The live report of an account's month, as `/reports` shows it.
async fn live(
    pool: &PgPool,
    code: &str,
    month: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ReportView> {
    let filter = ReportFilter {
        account: code.to_string(),
        month: month.format("%Y-%m").to_string(),
        ..ReportFilter::default()
    };
    Ok(app::services::reports::month(pool, &Scope::All, &filter, now).await?)
}

/// Compares the live month with its latest version and publishes a revision when they differ;
/// either way, records the check.
async fn revise(pool: &PgPool, latest: &Latest, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let before: ReportView = serde_json::from_value(latest.report.clone())?;
    let after = live(pool, &latest.code, latest.month, now).await?;
    let changes = differences(&before, &after);
    let mut revised = false;
    if !changes.is_empty() {
        let why = snapshots::late_events(
            pool,
            latest.account_id,
            latest.month,
            latest.published_at,
            LATE_EVENTS_LISTED,
        )
        .await?;
        revised = publish(
            pool,
            latest.account_id,
            latest.month,
            latest.version + 1,
            &after,
            &changes,
            &why,
        )
        .await?;
        if revised {
            tracing::info!(account = %latest.code, month = %latest.month, version = latest.version + 1,
                changed = changes.len(), "monthly report revised");
        }
    }
    snapshots::checked(pool, latest.report_snapshot_id, now).await?;
    Ok(revised)
}

async fn publish(
    pool: &PgPool,
    account_id: Uuid,
    month: NaiveDate,
    version: i32,
    report: &ReportView,
    changes: &[FigureChange],
    late_events: &[app::domain::reports::LateEvent],
) -> anyhow::Result<bool> {
    // What is frozen is the month's figures and breaches, not who was looking.
    let frozen = ReportView {
        accounts: Vec::new(),
        published: Vec::new(),
        version: Some(version),
        ..report.clone()
    };
    let mut tx = pool.begin().await?;
    let id = snapshots::publish(
        &mut tx,
        NewVersion {
            account_id,
            month,
            version,
            report: &serde_json::to_value(&frozen)?,
            changes: &json!(changes),
            late_events: &json!(late_events),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id.is_some())
}

/// The figures that differ between two versions of a month: each share (kept and of), the
/// number of orders and of breaches.
pub fn differences(before: &ReportView, after: &ReportView) -> Vec<FigureChange> {
    let mut out = Vec::new();
    let figures = |r: &ReportView| -> Vec<app::domain::reports::Figure> {
        r.attainment.iter().chain(r.kpis.iter()).cloned().collect()
    };
    let (old, new) = (figures(before), figures(after));
    for n in &new {
        let o = old.iter().find(|o| o.key == n.key);
        let was = o.map(|o| (o.met, o.of, o.percent)).unwrap_or((0, 0, None));
        if (was.0, was.1) != (n.met, n.of) {
            out.push(FigureChange {
                key: n.key.clone(),
                label: n.label.clone(),
                before: was,
                after: (n.met, n.of, n.percent),
            });
        }
    }
    let count = |key: &str, label: &str, b: i64, a: i64, out: &mut Vec<FigureChange>| {
        if b != a {
            out.push(FigureChange {
                key: key.into(),
                label: label.into(),
                before: (b, 0, None),
                after: (a, 0, None),
            });
        }
    };
    count("orders", "Orders", before.orders, after.orders, &mut out);
    count(
        "breaches",
        "Breaches",
        before.breaches.len() as i64 + before.more_breaches,
        after.breaches.len() as i64 + after.more_breaches,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_business_day_skips_the_weekend() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(first_business_day(d(12, 1)), d(12, 1), "a Tuesday");
        assert_eq!(first_business_day(d(11, 1)), d(11, 2), "a Sunday");
        assert_eq!(first_business_day(d(8, 1)), d(8, 3), "a Saturday");
    }
}
