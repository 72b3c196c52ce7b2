//! ETA scorecards for a period: per carrier and service and per lane (warehouse to destination
//! country), from every ETA given for the shipments delivered in it (`domain::scorecards`).

use crate::domain::scorecards::{score, Delivered, Scorecards};
use crate::error::AppError;
use crate::store::scorecards::{self, EtaRow};
use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

/// The scorecards of the delivered shipments of the orders placed in `[from, to)`, of
/// `accounts` (all when `None`), narrowed by warehouse, carrier and service level (empty: any);
/// per lane too when `lanes` (a report's one account; the dashboard's view across accounts
/// leaves them out: each lane needs the order's destination from its stored event).
pub async fn scorecards(
    pool: &PgPool,
    accounts: Option<&[Uuid]>,
    from: NaiveDate,
    to: NaiveDate,
    dims: [&str; 3],
    lanes: bool,
) -> Result<Scorecards, AppError> {
    let rows = scorecards::delivered_with_etas(pool, accounts, from, to, dims, lanes).await?;
    let by = |group: fn(&EtaRow) -> String| -> Vec<Delivered> {
        let mut out: Vec<(String, Delivered)> = Vec::new();
        for r in &rows {
            // Rows come ordered by tracking number: one shipment's ETAs are together.
            if out.last().is_none_or(|(tn, _)| *tn != r.tracking_number) {
                out.push((
                    r.tracking_number.clone(),
                    Delivered {
                        group: group(r),
                        delivered_at: r.delivered_at,
                        etas: Vec::new(),
                    },
                ));
            }
            if let (Some(given), Some(eta), Some((_, d))) = (r.given_at, r.eta, out.last_mut()) {
                d.etas.push((given, eta));
            }
        }
        out.into_iter().map(|(_, d)| d).collect()
    };
    let by_service = score(&by(|r| {
        format!(
            "{} · {}",
            r.carrier.clone().unwrap_or_else(|| "—".into()),
            r.service_level.clone().unwrap_or_else(|| "—".into())
        )
    }));
    let by_lane = if !lanes {
        Vec::new()
    } else {
        score(&by(|r| {
            format!(
                "{} → {}",
                r.warehouse_code.clone().unwrap_or_else(|| "—".into()),
                r.country.clone().unwrap_or_else(|| "—".into())
            )
        }))
    };
    let chart_svg = crate::charts::eta_hits_svg(&by_service).map_err(|e| {
        tracing::error!(error = %e, "the ETA chart could not be drawn");
        AppError::Internal
    })?;
    Ok(Scorecards {
        by_service,
        by_lane,
        chart_svg,
    })
}
