//! CSV downloads of the tables the pages show, with the page's filters, streamed: rows are read
//! from the database and written out as they come (`csv_export::CsvStream`), so an export of a
//! hundred thousand orders holds a chunk, not the list. The caller is checked and the filter
//! validated before the first byte (`prepare`); errors after that break the download.

use crate::domain::dashboard::DashboardFilter;
use crate::domain::orders::OrderFilter;
use crate::domain::reports::ReportFilter;
use crate::domain::sla::{blame, Segment};
use crate::error::AppError;
use crate::services::csv_export::{CsvStream, StreamError};
use crate::store::orders::Scope;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sqlx::PgPool;

/// Which table to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Export {
    /// The order list (staff) or the portal's orders (customers), with the list's filters.
    Orders,
    /// A report's breaches, all of them, with blame.
    Breaches,
    /// A report's figures: attainment, service, cycle split.
    Report,
    /// A report's ETA scorecards.
    Scorecards,
}

impl Export {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "orders" => Self::Orders,
            "breaches" => Self::Breaches,
            "report" => Self::Report,
            "scorecards" => Self::Scorecards,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Breaches => "breaches",
            Self::Report => "report",
            Self::Scorecards => "scorecards",
        }
    }

    /// Who may download it (the roles of the page it comes from).
    pub fn roles(self) -> &'static [crate::domain::Role] {
        use crate::domain::Role::*;
        match self {
            Self::Orders => &[Admin, Agent, AccountManager, Integrator, Customer],
            _ => &[Admin, AccountManager],
        }
    }
}

/// A checked export, ready to stream.
pub enum Prepared {
    Orders(OrderFilter),
    Report {
        which: Export,
        period: super::reports::Period,
        filter: ReportFilter,
    },
}

impl Prepared {
    /// The download's file name.
    pub fn file_name(&self, now: DateTime<Utc>) -> String {
        match self {
            Prepared::Orders(_) => format!("orders-{}.csv", now.format("%Y-%m-%d")),
            Prepared::Report { which, period, .. } => format!(
                "{}-{}-{}-to-{}.csv",
                which.name(),
                period.code,
                period.first,
                period.next - chrono::Duration::days(1)
            ),
        }
    }
}

/// Checks the filter (a report's account must be in the caller's scope, else not found).
pub async fn prepare(
    pool: &PgPool,
    scope: &Scope,
    which: Export,
    query: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<Prepared, AppError> {
    let get = |k: &str| {
        query
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if which == Export::Orders {
        return Ok(Prepared::Orders(OrderFilter {
            q: get("q"),
            status: get("status"),
            warehouse: get("warehouse"),
            carrier: get("carrier"),
            from: get("from"),
            to: get("to"),
            page: 1,
        }));
    }
    let filter = ReportFilter {
        account: get("account"),
        month: get("month"),
        from: get("from"),
        to: get("to"),
        warehouse: get("warehouse"),
        carrier: get("carrier"),
        service_level: get("service_level"),
        version: String::new(),
    };
    let period = super::reports::period(pool, scope, &filter, now).await?;
    Ok(Prepared::Report {
        which,
        period,
        filter,
    })
}

/// Writes the export to `out`; on an error, breaks the download.
pub async fn write(
    pool: &PgPool,
    scope: &Scope,
    prepared: Prepared,
    mut out: CsvStream,
    now: DateTime<Utc>,
) {
    let result = match &prepared {
        Prepared::Orders(filter) => orders(pool, scope, filter, &mut out).await,
        Prepared::Report {
            which: Export::Breaches,
            period,
            filter,
        } => breaches(pool, period, filter, &mut out, now).await,
        Prepared::Report {
            which: Export::Scorecards,
            period,
            filter,
        } => scorecards(pool, period, filter, &mut out).await,
        Prepared::Report { filter, .. } => report(pool, scope, filter, &mut out, now).await,
    };
    let result = match result {
        Ok(()) => out.finish().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) | Err(StreamError::Closed) => {}
        Err(e) => tracing::error!(error = %e, "an export broke off"),
    }
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339()).unwrap_or_default()
}

async fn orders(
    pool: &PgPool,
    scope: &Scope,
    filter: &OrderFilter,
    out: &mut CsvStream,
) -> Result<(), StreamError> {
    out.row([
        "order",
        "account",
        "customer",
        "customer po",
        "status",
        "on hold",
        "warehouse",
        "carrier",
        "service level",
        "ordered at",
        "ship by",
        "deliver by",
        "tracking numbers",
        "open exceptions",
        "last event at",
    ])
    .await?;
    let mut q = crate::store::orders::export_query(scope, filter);
    let mut tx = crate::store::long_read(pool).await?;
    let mut rows = q
        .build_query_as::<crate::store::orders::OrderListRow>()
        .fetch(&mut *tx);
    while let Some(o) = rows.try_next().await? {
        out.row([
            o.order_ref,
            o.account.unwrap_or_default(),
            o.customer_name.unwrap_or_default(),
            o.customer_po.unwrap_or_default(),
            o.status.as_str().to_string(),
            if o.on_hold { "yes" } else { "no" }.to_string(),
            o.warehouse_code.unwrap_or_default(),
            o.carrier.unwrap_or_default(),
            o.service_level.unwrap_or_default(),
            time(o.ordered_at),
            time(o.promised_ship_by),
            time(o.promised_deliver_by),
            o.tracking_numbers.join(" "),
            o.open_exceptions.to_string(),
            time(o.last_event_at),
        ])
        .await?;
    }
    Ok(())
}

fn dims(filter: &ReportFilter, code: &str) -> DashboardFilter {
    DashboardFilter {
        account: code.to_string(),
        warehouse: filter.warehouse.clone(),
        carrier: filter.carrier.clone(),
        service_level: filter.service_level.clone(),
        days: 0,
    }
}

/// Breaches gathered before their blame is worked out (one query for the order clocks of each
/// batch).
const BLAME_BATCH: usize = 500;

async fn breaches(
    pool: &PgPool,
    period: &super::reports::Period,
    filter: &ReportFilter,
    out: &mut CsvStream,
    now: DateTime<Utc>,
) -> Result<(), StreamError> {
    out.row([
        "order",
        "segment",
        "due",
        "ended",
        "minutes over",
        "returned to sender",
        "blamed",
        "erp minutes",
        "warehouse minutes",
        "carrier minutes",
        "paused minutes",
    ])
    .await?;
    let dims = dims(filter, &period.code);
    let mut q = crate::store::reports::breaches_export_query(
        period.account_id,
        period.first,
        period.next,
        &dims,
        now,
    );
    let mut tx = crate::store::long_read(pool).await?;
    let mut rows = q
        .build_query_as::<crate::store::reports::Breach>()
        .fetch(&mut *tx);
    let mut batch = Vec::with_capacity(BLAME_BATCH);
    while let Some(b) = rows.try_next().await? {
        batch.push(b);
        if batch.len() >= BLAME_BATCH {
            write_breaches(pool, std::mem::take(&mut batch), out, now).await?;
        }
    }
    write_breaches(pool, batch, out, now).await
}

async fn write_breaches(
    pool: &PgPool,
    batch: Vec<crate::store::reports::Breach>,
    out: &mut CsvStream,
    now: DateTime<Utc>,
) -> Result<(), StreamError> {
    let ids: Vec<i64> = batch.iter().map(|b| b.5).collect();
    let spans = super::reports::spans_of(pool, &ids).await?;
    for (order_ref, segment, due, ended, failed, order_id) in batch {
        let over = match (due, ended) {
            (Some(due), Some(end)) => (end - due).num_minutes().max(0),
            (Some(due), None) => (now - due).num_minutes().max(0),
            _ => 0,
        };
        let b = match (Segment::parse(&segment), spans.get(&order_id)) {
            (Some(seg), Some(s)) => blame::blame(seg, s, now),
            _ => blame::Blame::default(),
        };
        out.row([
            order_ref,
            segment,
            time(due),
            time(ended),
            over.to_string(),
            if failed { "yes" } else { "no" }.to_string(),
            b.party,
            b.erp_minutes.to_string(),
            b.warehouse_minutes.to_string(),
            b.carrier_minutes.to_string(),
            b.paused_minutes.to_string(),
        ])
        .await?;
    }
    Ok(())
}

fn share(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}")).unwrap_or_default()
}

async fn report(
    pool: &PgPool,
    scope: &Scope,
    filter: &ReportFilter,
    out: &mut CsvStream,
    now: DateTime<Utc>,
) -> Result<(), StreamError> {
    let r = super::reports::month(pool, scope, filter, now).await?;
    out.row([
        "section",
        "measure",
        "label",
        "kept",
        "of",
        "percent as measured",
        "excused",
        "percent after excusals",
    ])
    .await?;
    for (section, figures) in [("attainment", &r.attainment), ("service", &r.kpis)] {
        for f in figures {
            out.row([
                section.to_string(),
                f.key.clone(),
                f.label.clone(),
                f.met.to_string(),
                f.of.to_string(),
                share(f.percent),
                f.excused.to_string(),
                share(f.percent_after),
            ])
            .await?;
        }
    }
    for c in &r.cycle {
        out.row([
            "cycle p50/p90 hours".to_string(),
            c.party.clone(),
            c.label.clone(),
            share(c.p50_hours),
            share(c.p90_hours),
            String::new(),
            String::new(),
            c.measured.to_string(),
        ])
        .await?;
    }
    Ok(())
}

async fn scorecards(
    pool: &PgPool,
    period: &super::reports::Period,
    filter: &ReportFilter,
    out: &mut CsvStream,
) -> Result<(), StreamError> {
    let s = super::scorecards::scorecards(
        pool,
        Some(&[period.account_id]),
        period.first,
        period.next,
        [
            filter.warehouse.trim(),
            filter.carrier.trim(),
            filter.service_level.trim(),
        ],
        true,
    )
    .await?;
    let mut header = vec![
        "by".to_string(),
        "group".into(),
        "delivered".into(),
        "with eta".into(),
        "first eta day hit %".into(),
        "last eta day hit %".into(),
    ];
    header.extend(
        crate::domain::scorecards::BUCKETS
            .iter()
            .map(|b| format!("mean abs error days, {b} out")),
    );
    header.extend(["drift hours".to_string(), "no eta %".into()]);
    out.row(header).await?;
    for (by, rows) in [("service", &s.by_service), ("lane", &s.by_lane)] {
        for r in rows {
            let mut cells = vec![
                by.to_string(),
                r.group.clone(),
                r.shipments.to_string(),
                r.with_eta.to_string(),
                share(r.first_day_hit),
                share(r.last_day_hit),
            ];
            cells.extend(
                r.mean_abs_error_days
                    .iter()
                    .map(|e| e.map(|d| format!("{d:.2}")).unwrap_or_default()),
            );
            cells.extend([
                r.drift_hours.map(|h| format!("{h:.1}")).unwrap_or_default(),
                share(r.no_eta),
            ]);
            out.row(cells).await?;
        }
    }
    Ok(())
}
