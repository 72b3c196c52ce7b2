//! What one attempt at an external call yields, as the connector that made it judges: `Done`
//! with a record of what was sent and answered, or a `JobError` that says whether retrying can
//! help (and not before when). The connectors return it, the jobs pass it on, and the runner
//! (`sync::runner`) turns it into the job's next state. It sits below all three so that none of
//! them imports another for it.

use crate::store::jobs::queue::AttemptRecord;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// A successful attempt, with what it sent and got for the attempt log.
#[derive(Debug, Default, Clone)]
pub struct Done {
    pub record: AttemptRecord,
}

/// Why an attempt failed, as the connector that ran it judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth retrying: a timeout, a refused connection, a 5xx, a 429. Counts against the
    /// endpoint's circuit breaker.
    Transient,
    /// Retrying cannot help: a 4xx, a validation error, a payload no mapping can send. The job
    /// is dead at once, kept for an operator to fix and replay.
    Fatal,
}

/// A failed attempt: what kind, why, and what was sent and answered.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct JobError {
    pub failure: Failure,
    pub message: String,
    /// The endpoint asked to wait this long (`Retry-After`).
    pub retry_after: Option<Duration>,
    pub record: AttemptRecord,
}

impl JobError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            failure: Failure::Transient,
            message: message.into(),
            retry_after: None,
            record: AttemptRecord::default(),
        }
    }

    pub fn fatal(message: impl Into<String>) -> Self {
        Self {
            failure: Failure::Fatal,
            ..Self::transient(message)
        }
    }

    /// An HTTP answer that was not a success: 408, 425, 429 and 5xx are transient (429 and 503
    /// with the `Retry-After` they carried), every other status is fatal.
    pub fn from_status(
        status: u16,
        retry_after: Option<Duration>,
        message: impl Into<String>,
    ) -> Self {
        let transient = matches!(status, 408 | 425 | 429) || (500..600).contains(&status);
        Self {
            failure: if transient {
                Failure::Transient
            } else {
                Failure::Fatal
            },
            message: message.into(),
            retry_after,
            record: AttemptRecord::default(),
        }
    }

    pub fn with_record(mut self, record: AttemptRecord) -> Self {
        self.record = record;
        self
    }
}

/// The longest wait a partner's `Retry-After` is followed for: a bigger value (or a date years
/// ahead) must not park a job for ever, nor overflow the retry interval.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// Reads a `Retry-After` header: delay seconds, or an HTTP date; clamped to `MAX_RETRY_AFTER`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some(
        (at - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// The `Retry-After` of an HTTP answer, if it has a readable one.
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_or_far_retry_after_is_clamped() {
        let now = Utc::now();
        assert_eq!(
            parse_retry_after("18446744073709551615", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn statuses_map_to_retry_or_give_up() {
        for status in [408, 425, 429, 500, 502, 503, 504] {
            assert_eq!(
                JobError::from_status(status, None, "x").failure,
                Failure::Transient,
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert_eq!(
                JobError::from_status(status, None, "x").failure,
                Failure::Fatal,
                "{status}"
            );
        }
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let now = DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
