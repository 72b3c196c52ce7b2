//! Blame attribution: which party used up a breached clock's time. An order's release, ship
//! and deliver clocks cut its life into stretches each party owns: the ERP from confirmation
//! until it asked the warehouse to release, the warehouse until it accepted and then until it
//! dispatched, the carrier until delivery; paused time (holds, the customer, the consignee) is
//! set apart, as the clocks themselves set it apart. Minutes are wall-clock minutes.

use super::Segment;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One segment clock of the order, as stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub paused_seconds: i64,
}

/// The order's segment clocks and when the ERP asked for the release.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Spans {
    pub release: Option<Span>,
    pub ship: Option<Span>,
    pub deliver: Option<Span>,
    pub release_requested_at: Option<DateTime<Utc>>,
}

/// Who used up a breached clock's time, in minutes per party, and the party blamed: the one
/// that used the most (pauses are never blamed: the clock did not count them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Blame {
    pub erp_minutes: i64,
    pub warehouse_minutes: i64,
    pub carrier_minutes: i64,
    /// Paused: holds, waiting for the customer, consignee-caused.
    pub paused_minutes: i64,
    /// `erp`, `warehouse` or `carrier`; empty when no time was measured.
    pub party: String,
}

impl Blame {
    pub fn party_label(&self) -> &'static str {
        party_label(&self.party)
    }
}

/// How a party is named on reports.
pub fn party_label(party: &str) -> &'static str {
    match party {
        "erp" => "ERP (released late)",
        "warehouse" => "Warehouse",
        "carrier" => "Carrier",
        _ => "—",
    }
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes().max(0)
}

/// The blame of the `segment` clock of an order whose clocks are `spans`, as of `now` for
/// clocks still running.
pub fn blame(segment: Segment, spans: &Spans, now: DateTime<Utc>) -> Blame {
    let mut b = Blame::default();
    let end = |s: &Span| s.ended_at.unwrap_or(now).max(s.started_at);
    let wants = |part: Segment| segment == part || segment == Segment::Promise;
    if let Some(r) = spans.release.filter(|_| wants(Segment::Release)) {
        let (start, stop) = (r.started_at, end(&r));
        let asked = spans
            .release_requested_at
            .map_or(stop, |t| t.clamp(start, stop));
        let paused = r.paused_seconds / 60;
        b.erp_minutes += minutes(start, asked);
        // A hold during the release is the warehouse's wait, set apart.
        b.warehouse_minutes += (minutes(asked, stop) - paused).max(0);
        b.paused_minutes += paused;
    }
    if let Some(s) = spans.ship.filter(|_| wants(Segment::Ship)) {
        let paused = s.paused_seconds / 60;
        b.warehouse_minutes += (minutes(s.started_at, end(&s)) - paused).max(0);
        b.paused_minutes += paused;
    }
    if let Some(d) = spans.deliver.filter(|_| wants(Segment::Deliver)) {
        let paused = d.paused_seconds / 60;
        b.carrier_minutes += (minutes(d.started_at, end(&d)) - paused).max(0);
        b.paused_minutes += paused;
    }
    let parties = [
        ("erp", b.erp_minutes),
        ("warehouse", b.warehouse_minutes),
        ("carrier", b.carrier_minutes),
    ];
    b.party = parties
        .iter()
        .filter(|(_, m)| *m > 0)
        .max_by_key(|(_, m)| *m)
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    fn spans() -> Spans {
        // Confirmed at 0 h; the ERP asked for the release at 2 h 30; the warehouse accepted at
        // 3 h and dispatched at 13 h (1 h on hold); the carrier delivered at 85 h, 10 h of it
        // paused because the consignee was not home.
        Spans {
            release: Some(Span {
                started_at: t(0),
                ended_at: Some(t(3)),
                paused_seconds: 0,
            }),
            ship: Some(Span {
                started_at: t(3),
                ended_at: Some(t(13)),
                paused_seconds: 3600,
            }),
            deliver: Some(Span {
                started_at: t(13),
                ended_at: Some(t(85)),
                paused_seconds: 36_000,
            }),
            release_requested_at: Some(t(0) + Duration::minutes(150)),
        }
    }

    #[test]
    fn a_late_release_is_the_erps_when_it_asked_late() {
        let b = blame(Segment::Release, &spans(), t(100));
        assert_eq!(
            (b.erp_minutes, b.warehouse_minutes, b.carrier_minutes),
            (150, 30, 0)
        );
        assert_eq!(b.party, "erp");
        assert_eq!(b.party_label(), "ERP (released late)");
    }

    #[test]
    fn each_segment_is_its_partys_and_pauses_are_set_apart() {
        let ship = blame(Segment::Ship, &spans(), t(100));
        assert_eq!(
            (
                ship.warehouse_minutes,
                ship.paused_minutes,
                ship.party.as_str()
            ),
            (540, 60, "warehouse")
        );
        let deliver = blame(Segment::Deliver, &spans(), t(100));
        assert_eq!(
            (
                deliver.carrier_minutes,
                deliver.paused_minutes,
                deliver.party.as_str()
            ),
            (3720, 600, "carrier")
        );
    }

    #[test]
    fn the_promise_splits_the_whole_life_and_blames_the_longest() {
        let b = blame(Segment::Promise, &spans(), t(100));
        assert_eq!(
            (
                b.erp_minutes,
                b.warehouse_minutes,
                b.carrier_minutes,
                b.paused_minutes
            ),
            (150, 30 + 540, 3720, 660)
        );
        assert_eq!(b.party, "carrier");
    }

    #[test]
    fn a_running_clock_counts_to_now_and_a_missing_request_is_the_erps() {
        let mut s = spans();
        s.release_requested_at = None;
        s.release = Some(Span {
            started_at: t(0),
            ended_at: None,
            paused_seconds: 0,
        });
        let b = blame(Segment::Release, &s, t(5));
        assert_eq!((b.erp_minutes, b.warehouse_minutes), (300, 0));
        assert_eq!(blame(Segment::Deliver, &Spans::default(), t(5)).party, "");
    }
}
