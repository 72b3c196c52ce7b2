//! When a failed attempt is tried again: exponential backoff with jitter, never before the
//! endpoint's `Retry-After`. Whether it is tried again at all is the attempt's own verdict
//! (`crate::attempt::JobError`).

use rand::Rng;
use std::time::Duration;

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
