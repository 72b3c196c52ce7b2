//! How times and lengths of time are written for people, one way on every page. Times are shown
//! in UTC to the minute (to the second where order within a minute matters: attempts, raw
//! messages, recording times), or in the offset their source wrote them in.

use chrono::{DateTime, FixedOffset, Utc};

/// `2026-03-03 16:40 UTC`.
pub fn utc_minute(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `utc_minute`, when there is a time.
pub fn utc_minute_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(utc_minute)
}

/// `2026-03-03 16:40:05 UTC`.
pub fn utc_second(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// In the source's own offset: `2026-03-03 08:40 -08:00`.
pub fn in_offset(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// A length of time for people, whatever its sign: "2 d 3 h", "4 h 10 min", "45 min".
pub fn span(seconds: i64) -> String {
    let abs = seconds.unsigned_abs();
    if abs >= 86_400 {
        format!("{} d {} h", abs / 86_400, (abs % 86_400) / 3600)
    } else if abs >= 3600 {
        format!("{} h {} min", abs / 3600, (abs % 3600) / 60)
    } else {
        format!("{} min", abs / 60)
    }
}

/// How long until (or since) a due time, for people: "in 2 d 3 h", "45 min overdue".
pub fn due_in(seconds: i64) -> String {
    if seconds < 0 {
        format!("{} overdue", span(seconds))
    } else {
        format!("in {}", span(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_the_two_largest_units_and_ignore_the_sign() {
        assert_eq!(span(2 * 86_400 + 3 * 3600 + 59), "2 d 3 h");
        assert_eq!(span(-(4 * 3600 + 10 * 60)), "4 h 10 min");
        assert_eq!(span(45 * 60 + 30), "45 min");
        assert_eq!(due_in(-45 * 60), "45 min overdue");
        assert_eq!(due_in(90 * 60), "in 1 h 30 min");
    }

    #[test]
    fn times_are_written_in_utc_or_in_their_sources_offset() {
        let t = DateTime::parse_from_rfc3339("2026-03-03T08:40:05-08:00").unwrap();
        assert_eq!(utc_minute(t.with_timezone(&Utc)), "2026-03-03 16:40 UTC");
        assert_eq!(utc_second(t.with_timezone(&Utc)), "2026-03-03 16:40:05 UTC");
        assert_eq!(in_offset(t), "2026-03-03 08:40 -08:00");
        assert_eq!(utc_minute_opt(None), None);
    }
}
