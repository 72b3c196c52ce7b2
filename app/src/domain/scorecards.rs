//! ETA scorecards: how well a carrier's estimates predicted the delivery. Worked out from every
//! ETA given for a delivered shipment (`shipment_eta`), per group (a carrier and service, or a
//! lane from warehouse to destination country).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One delivered shipment and the ETAs given for it before delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivered {
    pub group: String,
    pub delivered_at: DateTime<Utc>,
    /// (given at, ETA), any order.
    pub etas: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// How far before the delivery an estimate was given.
pub const BUCKETS: [&str; 4] = ["72 h+", "48 h", "24 h", "same day"];

fn bucket(hours_out: f64) -> usize {
    match hours_out {
        h if h >= 72.0 => 0,
        h if h >= 48.0 => 1,
        h if h >= 24.0 => 2,
        _ => 3,
    }
}

/// One group's scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorecardRow {
    pub group: String,
    /// Delivered shipments.
    pub shipments: i64,
    /// Of those, with at least one ETA given before delivery.
    pub with_eta: i64,
    /// Percent of shipments with an ETA delivered on the day the first (last) ETA said.
    pub first_day_hit: Option<f64>,
    pub last_day_hit: Option<f64>,
    /// Mean absolute error in days per bucket of `BUCKETS`, `None` where no ETA fell in it.
    pub mean_abs_error_days: [Option<f64>; 4],
    /// Mean move from the first to the last ETA, in hours (positive: later).
    pub drift_hours: Option<f64>,
    /// Percent of shipments delivered without any ETA.
    pub no_eta: Option<f64>,
}

fn pct(part: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| (part as f64 * 1000.0 / of as f64).round() / 10.0)
}

fn mean(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum / n as f64 * 100.0).round() / 100.0)
}

/// The scorecard of each group, in the order the groups first appear. Days are UTC calendar
/// days (the carrier's promise is a day; the shipment's time zone is not known here).
pub fn score(shipments: &[Delivered]) -> Vec<ScorecardRow> {
    let mut groups: Vec<&str> = Vec::new();
    for s in shipments {
        if !groups.contains(&s.group.as_str()) {
            groups.push(&s.group);
        }
    }
    groups
        .into_iter()
        .map(|group| {
            let mine: Vec<&Delivered> = shipments.iter().filter(|s| s.group == group).collect();
            let (mut with_eta, mut first_hits, mut last_hits) = (0, 0, 0);
            let mut errors = [(0.0, 0i64); 4];
            let (mut drift, mut drifts) = (0.0, 0);
            for s in &mine {
                let mut before: Vec<(DateTime<Utc>, DateTime<Utc>)> = s
                    .etas
                    .iter()
                    .copied()
                    .filter(|(given, _)| *given <= s.delivered_at)
                    .collect();
                before.sort();
                let (Some(first), Some(last)) = (before.first(), before.last()) else {
                    continue;
                };
                with_eta += 1;
                let day = s.delivered_at.date_naive();
                first_hits += i64::from(first.1.date_naive() == day);
                last_hits += i64::from(last.1.date_naive() == day);
                for (given, eta) in &before {
                    let hours_out = (s.delivered_at - *given).num_minutes() as f64 / 60.0;
                    let error_days = (*eta - s.delivered_at).num_minutes().abs() as f64 / 1440.0;
                    let b = &mut errors[bucket(hours_out)];
                    b.0 += error_days;
                    b.1 += 1;
                }
                drift += (last.1 - first.1).num_minutes() as f64 / 60.0;
                drifts += 1;
            }
            let count = mine.len() as i64;
            ScorecardRow {
                group: group.to_string(),
                shipments: count,
                with_eta,
                first_day_hit: pct(first_hits, with_eta),
                last_day_hit: pct(last_hits, with_eta),
                mean_abs_error_days: errors.map(|(sum, n)| mean(sum, n)),
                drift_hours: mean(drift, drifts),
                no_eta: pct(count - with_eta, count),
            }
        })
        .collect()
}

/// The scorecards `/reports` and the dashboard show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Scorecards {
    /// Per carrier and service level ("UPS · ground").
    pub by_service: Vec<ScorecardRow>,
    /// Per lane: warehouse to destination country ("W1 → DE").
    pub by_lane: Vec<ScorecardRow>,
    /// First- and last-day hit per carrier and service, as SVG (with a text alternative in the
    /// table beside it).
    pub chart_svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_scorecard_worked_out_by_hand() {
        let shipments = vec![
            // Delivered 5 Nov 14:00. ETAs: given 1 Nov 10:00 (100 h out) for 4 Nov 18:00 (20 h
            // early: 0.8333 d), given 4 Nov 09:00 (29 h out) for 5 Nov 12:00 (2 h: 0.0833 d).
            // First ETA's day (4th) misses, last (5th) hits; drift +18 h.
            Delivered {
                group: "UPS · ground".into(),
                delivered_at: t(5, 14),
                etas: vec![(t(4, 9), t(5, 12)), (t(1, 10), t(4, 18))],
            },
            // Delivered 6 Nov 10:00; one ETA given 6 Nov 07:00 (3 h out) for 6 Nov 16:00
            // (6 h: 0.25 d); both first and last hit; drift 0. An ETA given after the delivery
            // is ignored.
            Delivered {
                group: "UPS · ground".into(),
                delivered_at: t(6, 10),
                etas: vec![(t(6, 7), t(6, 16)), (t(6, 12), t(9, 0))],
            },
            // No ETA at all.
            Delivered {
                group: "UPS · ground".into(),
                delivered_at: t(7, 10),
                etas: vec![],
            },
            Delivered {
                group: "DHL · express".into(),
                delivered_at: t(7, 10),
                etas: vec![(t(2, 10), t(7, 9))],
            },
        ];
        let rows = score(&shipments);
        assert_eq!(rows.len(), 2);
        let ups = &rows[0];
        assert_eq!(ups.group, "UPS · ground");
        assert_eq!((ups.shipments, ups.with_eta), (3, 2));
        assert_eq!(ups.first_day_hit, Some(50.0));
        assert_eq!(ups.last_day_hit, Some(100.0));
        assert_eq!(
            ups.mean_abs_error_days,
            [Some(0.83), None, Some(0.08), Some(0.25)]
        );
        assert_eq!(ups.drift_hours, Some(9.0), "(18 + 0) / 2");
        assert_eq!(ups.no_eta, Some(33.3));
        let dhl = &rows[1];
        assert_eq!((dhl.first_day_hit, dhl.no_eta), (Some(100.0), Some(0.0)));
        assert_eq!(dhl.mean_abs_error_days[0], Some(0.04), "1 h of 120 h out");
    }

    #[test]
    fn nothing_delivered_scores_nothing() {
        assert!(score(&[]).is_empty());
    }
}
