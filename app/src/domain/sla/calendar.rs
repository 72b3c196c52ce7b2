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

    /// The next cut-off at or after `at`: on the first business day whose cut-off has not
    /// passed (and falls within its hours), that day's cut-off. `None` without a cut-off.
    pub fn next_cut_off(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let cutoff = self.cutoff?;
        let minutes =
            u16::try_from(cutoff.signed_duration_since(NaiveTime::MIN).num_minutes()).ok()?;
        let mut date = self.local_date(at);
        let limit = date + Duration::days(HORIZON_DAYS);
        while date <= limit {
            if let Some((_, close)) = self.hours_on(date) {
                let instant = self.instant(date, minutes);
                if instant >= at && instant <= close {
                    return Some(instant);
                }
            }
            date += Duration::days(1);
        }
        None
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

/// A calendar as an admin submits it: hours per weekday as `HH:MM-HH:MM` (empty for closed),
/// holidays as dates separated by commas or lines, an optional cut-off.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CalendarDraft {
    /// `warehouse` or `carrier`.
    pub scope: String,
    pub code: String,
    pub time_zone: String,
    /// Monday first.
    pub mon: String,
    pub tue: String,
    pub wed: String,
    pub thu: String,
    pub fri: String,
    pub sat: String,
    pub sun: String,
    pub holidays: String,
    pub cutoff: String,
}

/// A draft turned into values.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedCalendar {
    pub scope: String,
    pub code: String,
    pub time_zone: String,
    pub week: [Option<DayHours>; 7],
    pub holidays: Vec<NaiveDate>,
    pub cutoff: Option<NaiveTime>,
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `08:00-17:00` as opening hours; empty is closed.
pub fn parse_hours(text: &str) -> Result<Option<DayHours>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    let (open, close) = text
        .split_once('-')
        .ok_or("write hours as 08:00-17:00, or leave empty for closed")?;
    let open = parse_minutes(open).ok_or("the opening time is HH:MM")?;
    let close = parse_minutes(close).ok_or("the closing time is HH:MM (24:00 for midnight)")?;
    if close <= open {
        return Err("closing must come after opening".into());
    }
    Ok(Some(DayHours { open, close }))
}

/// Opening hours written as the draft takes them.
pub fn format_hours(hours: Option<DayHours>) -> String {
    hours
        .map(|h| format!("{}-{}", format_minutes(h.open), format_minutes(h.close)))
        .unwrap_or_default()
}

/// Checks a calendar draft, naming each field that is wrong.
pub fn check_calendar(d: &CalendarDraft) -> Result<CheckedCalendar, crate::error::FieldErrors> {
    let mut errors = crate::error::FieldErrors::default();
    if !matches!(d.scope.as_str(), "warehouse" | "carrier") {
        errors.add("scope", "a calendar is for a warehouse or a carrier");
    }
    let code = d.code.trim();
    if code.is_empty() || code.len() > 64 {
        errors.add(
            "code",
            "the warehouse code or carrier name, up to 64 characters",
        );
    }
    let zone = d.time_zone.trim();
    if zone.parse::<Tz>().is_err() {
        errors.add("time_zone", "an IANA time zone, e.g. America/Chicago");
    }
    let mut week = [None; 7];
    let days = [&d.mon, &d.tue, &d.wed, &d.thu, &d.fri, &d.sat, &d.sun];
    for (i, text) in days.into_iter().enumerate() {
        match parse_hours(text) {
            Ok(h) => week[i] = h,
            Err(e) => errors.add(WEEKDAYS[i], e),
        }
    }
    if errors.is_empty() && week.iter().all(Option::is_none) {
        errors.add("mon", "open on at least one day");
    }
    let mut holidays = Vec::new();
    for item in d
        .holidays
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match NaiveDate::parse_from_str(item, "%Y-%m-%d") {
            Ok(day) => holidays.push(day),
            Err(_) => {
                errors.add("holidays", format!("{item:?} is not a date (YYYY-MM-DD)"));
                break;
            }
        }
    }
    holidays.sort();
    holidays.dedup();
    let cutoff = match d.cutoff.trim() {
        "" => None,
        text => match parse_minutes(text).filter(|m| *m < 1440) {
            Some(m) => NaiveTime::from_hms_opt(u32::from(m / 60), u32::from(m % 60), 0),
            None => {
                errors.add("cutoff", "a time of day, HH:MM");
                None
            }
        },
    };
    if d.scope == "carrier" && cutoff.is_some() {
        errors.add("cutoff", "cut-offs are for warehouses");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedCalendar {
        scope: d.scope.clone(),
        code: code.to_string(),
        time_zone: zone.to_string(),
        week,
        holidays,
        cutoff,
    })
}
