//! Business time: when a warehouse or a carrier works, in its own time zone.
//!
//! Every SLA target is an amount of business time. The arithmetic here walks local calendar
//! days and turns each day's opening hours into a UTC interval, so daylight-saving changes are
//! handled by the time-zone database: a day with a spring-forward gap inside its hours is
//! shorter, one with a fall-back repeat is longer, as the clock on the warehouse wall says.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Opening hours of one weekday, in minutes after local midnight; `close` may be 1440 (midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    pub open: u16,
    pub close: u16,
}

/// How far ahead the arithmetic looks for opening hours before it gives up (ten years).
const HORIZON_DAYS: i64 = 3660;

/// A calendar of business days and hours.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessCalendar {
    pub zone: Tz,
    /// Monday first; `None` is a closed day.
    pub week: [Option<DayHours>; 7],
    /// Closed all day, whatever the weekday.
    pub holidays: BTreeSet<NaiveDate>,
    /// Orders released after this local time count from the next business opening (warehouses).
    pub cutoff: Option<NaiveTime>,
}

impl BusinessCalendar {
    /// Open all day, every day, in UTC: what a segment uses when nobody set a calendar.
    pub fn always_open() -> Self {
        Self {
            zone: Tz::UTC,
            week: [Some(DayHours {
                open: 0,
                close: 1440,
            }); 7],
            holidays: BTreeSet::new(),
            cutoff: None,
        }
    }

    /// Whether any weekday has opening hours (arithmetic on a never-open calendar cannot finish).
    pub fn ever_open(&self) -> bool {
        self.week.iter().flatten().any(|h| h.close > h.open)
    }

    /// The UTC interval this calendar is open on a local date, if it is a business day.
    pub fn hours_on(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return None;
        }
        let hours = self.week[date.weekday().num_days_from_monday() as usize]?;
        if hours.close <= hours.open {
            return None;
        }
        let open = self.instant(date, hours.open);
        let close = self.instant(date, hours.close);
        (close > open).then_some((open, close))
    }

    /// Business time between two instants (zero when `to` is not after `from`).
    pub fn business_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let mut total = Duration::zero();
        let mut date = self.local_date(from) - Duration::days(1);
        let last = self.local_date(to);
        while date <= last {
            if let Some((open, close)) = self.hours_on(date) {
                let start = open.max(from);
                let end = close.min(to);
                if end > start {
                    total += end - start;
                }
            }
            date += Duration::days(1);
        }
        total
    }

    /// The instant when `amount` of business time has passed after `start`. `None` only when
    /// the calendar has no opening hours within ten years.
    pub fn add_business(&self, start: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        if amount <= Duration::zero() {
            return Some(start);
        }
        let mut left = amount;
        let mut date = self.local_date(start) - Duration::days(1);
        let limit = date + Duration::days(HORIZON_DAYS);
        while date <= limit {
            if let Some((open, close)) = self.hours_on(date) {
                let from = open.max(start);
                if close > from {
                    let available = close - from;
                    if left <= available {
                        return Some(from + left);
                    }
                    left -= available;
                }
            }
            date += Duration::days(1);
        }
        None
    }

    /// The first instant at or after `at` when the calendar is open.
    pub fn next_opening(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut date = self.local_date(at) - Duration::days(1);
        let limit = date + Duration::days(HORIZON_DAYS);
        while date <= limit {
            if let Some((open, close)) = self.hours_on(date) {
                if close > at {
                    return Some(open.max(at));
                }
            }
            date += Duration::days(1);
        }
        None
    }

    /// When the ship clock starts for an order released at `released`: then, unless it was
    /// released after the cut-off (or on a day the warehouse is closed), in which case at the
    /// opening of the next business day.
    pub fn counting_from(&self, released: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let Some(cutoff) = self.cutoff else {
            return Some(released);
        };
        let day = self.local_date(released);
        let local = released.with_timezone(&self.zone).time();
        match self.hours_on(day) {
            Some((_, close)) if local <= cutoff && released < close => Some(released),
            _ => {
                let next_day = day + Duration::days(1);
                self.next_opening(self.instant(next_day, 0))
            }
        }
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The UTC instant of a local wall time. In a spring-forward gap, the first instant after
    /// it; in a fall-back repeat, the earlier one.
    fn instant(&self, date: NaiveDate, minutes: u16) -> DateTime<Utc> {
        let local: NaiveDateTime =
            date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minutes));
        let mut probe = local;
        for _ in 0..(24 * 60) {
            if let Some(t) = self.zone.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&Utc);
            }
            probe += Duration::minutes(1);
        }
        // No zone has a gap longer than a day; treat the wall time as UTC rather than panic.
        Utc.from_utc_datetime(&local)
    }
}

/// Parses `HH:MM` (or `24:00`) into minutes after midnight.
pub fn parse_minutes(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= 1440).then_some(total)
}

/// Minutes after midnight written as `HH:MM`.
pub fn format_minutes(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}
