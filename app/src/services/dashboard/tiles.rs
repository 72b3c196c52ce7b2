//! The dashboard's KPI tiles: each measure this period against the one before, and whether the
//! change is for the better; and the small number formats they use.

use crate::domain::dashboard::Tile;
use crate::domain::display::span;
use crate::store::kpis::Sums;

pub(crate) fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

pub(super) fn hours(sum: i64, count: i64) -> f64 {
    if count > 0 {
        sum as f64 / count as f64 / 3600.0
    } else {
        0.0
    }
}

/// A duration for people: "2 h 10 min", "45 min", "3 d 4 h".
pub fn duration(seconds: f64) -> String {
    span(seconds.round() as i64)
}

fn pct_tile(
    key: &str,
    label: &str,
    now: Option<f64>,
    before: Option<f64>,
    basis: String,
    higher_is_better: bool,
) -> Tile {
    let change = match (now, before) {
        (Some(n), Some(b)) => {
            let d = n - b;
            let sign = if d >= 0.0 { "+" } else { "−" };
            (
                format!("{sign}{:.1} pts", d.abs()),
                (d.abs() >= 0.05).then_some((d > 0.0) == higher_is_better),
            )
        }
        _ => (String::new(), None),
    };
    Tile {
        key: key.into(),
        label: label.into(),
        value: now
            .map(|v| format!("{v:.1} %"))
            .unwrap_or_else(|| "—".into()),
        change: change.0,
        better: change.1,
        basis,
    }
}

fn duration_tile(
    key: &str,
    label: &str,
    now: Option<f64>,
    before: Option<f64>,
    basis: String,
) -> Tile {
    let change = match (now, before) {
        (Some(n), Some(b)) if (n - b).abs() >= 60.0 => {
            let sign = if n > b { "+" } else { "−" };
            (format!("{sign}{}", duration((n - b).abs())), Some(n < b))
        }
        (Some(_), Some(_)) => ("no change".into(), None),
        _ => (String::new(), None),
    };
    Tile {
        key: key.into(),
        label: label.into(),
        value: now.map(duration).unwrap_or_else(|| "—".into()),
        change: change.0,
        better: change.1,
        basis,
    }
}

pub(super) fn tiles(
    now: &Sums,
    before: &Sums,
    p_now: (Option<f64>, Option<f64>),
    p_before: (Option<f64>, Option<f64>),
) -> Vec<Tile> {
    let cycle = |s: &Sums| {
        (s.processing_count > 0).then(|| {
            (hours(s.processing_sum, s.processing_count)
                + hours(s.pickup_sum, s.pickup_count)
                + hours(s.transit_sum, s.transit_count))
                * 3600.0
        })
    };
    vec![
        pct_tile(
            "on_time_ship",
            "On-time ship",
            pct(now.ship_on_time, now.ship_measured),
            pct(before.ship_on_time, before.ship_measured),
            format!("{} shipped", now.ship_measured),
            true,
        ),
        pct_tile(
            "on_time_delivery",
            "On-time delivery",
            pct(now.deliver_on_time, now.deliver_measured),
            pct(before.deliver_on_time, before.deliver_measured),
            format!("{} delivered", now.deliver_measured),
            true,
        ),
        pct_tile(
            "otif",
            "OTIF (lines)",
            pct(now.lines_otif, now.lines),
            pct(before.lines_otif, before.lines),
            format!("{} lines", now.lines),
            true,
        ),
        duration_tile(
            "release_p50",
            "Release delay p50",
            p_now.0,
            p_before.0,
            "confirmed to accepted by the warehouse".into(),
        ),
        duration_tile(
            "release_p90",
            "Release delay p90",
            p_now.1,
            p_before.1,
            "confirmed to accepted by the warehouse".into(),
        ),
        duration_tile(
            "cycle",
            "Cycle time (avg)",
            cycle(now),
            cycle(before),
            "released to delivered".into(),
        ),
        pct_tile(
            "first_attempt",
            "First-attempt delivery",
            pct(now.first_attempt, now.delivered),
            pct(before.first_attempt, before.delivered),
            format!("{} delivered", now.delivered),
            true,
        ),
        pct_tile(
            "exception_rate",
            "Exception rate",
            pct(now.with_exception, now.orders),
            pct(before.with_exception, before.orders),
            format!("{} orders", now.orders),
            false,
        ),
    ]
}
