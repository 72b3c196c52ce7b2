//! What a failed attempt means: retry later (and when), or give up now.

use app::store::jobs::AttemptRecord;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

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

/// Reads a `Retry-After` header: delay seconds, or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of an HTTP answer, if it has a readable one.
pub fn retry_after_header(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()))
}

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// The first retry waits about this long; each next one twice as long.
    pub base: Duration,
    /// No wait is longer than this (unless the endpoint's `Retry-After` asks for more).
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// How long to wait after failed attempt number `attempt` (from 1): between half and all of
    /// `base * 2^(attempt-1)` capped, so retries of many jobs spread out; never less than the
    /// endpoint's `Retry-After`.
    pub fn delay(
        &self,
        attempt: i32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let exponent = attempt.clamp(1, 31) as u32 - 1;
        let full = self
            .base
            .checked_mul(1u32 << exponent.min(20))
            .unwrap_or(self.cap)
            .min(self.cap);
        let jittered = full / 2 + full.mul_f64(rng.random::<f64>() / 2.0);
        match retry_after {
            Some(asked) => jittered.max(asked),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

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

    #[test]
    fn waits_double_up_to_the_cap() {
        let policy = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        };
        let mut rng = StdRng::seed_from_u64(7);
        let bounds = |attempt: i32| {
            let full = Duration::from_secs((2u64 << (attempt - 1)).min(60));
            (full / 2, full)
        };
        for attempt in 1..=10 {
            let d = policy.delay(attempt, None, &mut rng);
            let (low, high) = bounds(attempt);
            assert!(
                d >= low && d <= high,
                "attempt {attempt}: {d:?} not in {low:?}..={high:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn a_retry_never_comes_before_retry_after(attempt in 1i32..40, asked in 0u64..100_000, seed: u64) {
            let policy = RetryPolicy::default();
            let mut rng = StdRng::seed_from_u64(seed);
            let d = policy.delay(attempt, Some(Duration::from_secs(asked)), &mut rng);
            prop_assert!(d >= Duration::from_secs(asked));
            let plain = policy.delay(attempt, None, &mut rng);
            prop_assert!(plain <= policy.cap && plain >= policy.base / 2);
        }
    }
}
