//! Limits on the ingest door: requests per API key, requests per client address, and refusals of
//! unauthenticated requests per address. Each is a GCRA limiter (`governor`) kept in this
//! process's memory: a sender spread over several processes gets each process's share, which is
//! what a limit on load per process wants. A request over a limit is answered 429 with
//! `Retry-After` and costs nothing else (no body read, no database write).

use super::error::IngestError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// How many requests a key or an address may make, per second with a burst, and how many
/// unauthenticated refusals an address may cause per minute before it is only told 429.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IngestLimits {
    pub per_key_per_second: u32,
    pub per_addr_per_second: u32,
    /// Requests allowed at once above the steady rate (a batch after a pause).
    pub burst: u32,
    pub refusals_per_minute: u32,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            per_key_per_second: 200,
            per_addr_per_second: 400,
            burst: 400,
            refusals_per_minute: 30,
        }
    }
}

/// The limiters, shared by every ingest request of this process.
#[derive(Clone)]
pub struct Limiters {
    per_key: Arc<DefaultKeyedRateLimiter<i64>>,
    per_addr: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    refusals: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least 1")
}

impl Limiters {
    pub fn new(limits: IngestLimits) -> Self {
        let per_second = |n| Quota::per_second(nonzero(n)).allow_burst(nonzero(limits.burst));
        let limiters = Self {
            per_key: Arc::new(RateLimiter::keyed(per_second(limits.per_key_per_second))),
            per_addr: Arc::new(RateLimiter::keyed(per_second(limits.per_addr_per_second))),
            refusals: Arc::new(RateLimiter::keyed(Quota::per_minute(nonzero(
                limits.refusals_per_minute,
            )))),
        };
        limiters.forget_idle_keys_periodically();
        limiters
    }

    /// Keyed limiters keep a cell per key seen: drop the ones back at full allowance, so a
    /// stream of distinct addresses cannot grow memory without bound.
    fn forget_idle_keys_periodically(&self) {
        let this = self.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    every.tick().await;
                    this.per_key.retain_recent();
                    this.per_addr.retain_recent();
                    this.refusals.retain_recent();
                }
            });
        }
    }

    /// Every request, before anything else: its address's share.
    pub fn admit_addr(&self, addr: IpAddr) -> Result<(), IngestError> {
        over(self.per_addr.check_key(&addr), "requests from this address")
    }

    /// Every request with an API key, once the key is known: its key's share.
    pub fn admit_key(&self, api_key_id: i64) -> Result<(), IngestError> {
        over(
            self.per_key.check_key(&api_key_id),
            "requests with this API key",
        )
    }

    /// An unauthenticated refusal from `addr`: `Ok` while the address is within its refusal
    /// allowance (the refusal is recorded), else 429 and nothing is recorded.
    pub fn admit_refusal(&self, addr: IpAddr) -> Result<(), IngestError> {
        over(
            self.refusals.check_key(&addr),
            "unauthenticated requests from this address",
        )
    }
}

fn over(
    checked: Result<(), governor::NotUntil<<DefaultClock as Clock>::Instant>>,
    what: &str,
) -> Result<(), IngestError> {
    checked.map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        let seconds = u32::try_from(wait.as_secs().saturating_add(1)).unwrap_or(u32::MAX);
        IngestError::RateLimited {
            message: format!("too many {what}; retry after {seconds} s"),
            retry_after_seconds: seconds,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, burst: u32, refusals: u32) -> Limiters {
        Limiters::new(IngestLimits {
            per_key_per_second: per_second,
            per_addr_per_second: per_second,
            burst,
            refusals_per_minute: refusals,
        })
    }

    #[tokio::test]
    async fn an_address_over_its_burst_is_told_when_to_retry() {
        let l = limits(1, 3, 30);
        let addr: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..3 {
            l.admit_addr(addr).unwrap();
        }
        let err = l.admit_addr(addr).unwrap_err();
        assert_eq!(err.status(), http::StatusCode::TOO_MANY_REQUESTS);
        assert!(
            matches!(err, IngestError::RateLimited { retry_after_seconds, .. } if retry_after_seconds >= 1)
        );
        // Another address is not affected.
        l.admit_addr("203.0.113.8".parse().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn keys_are_limited_apart_from_each_other() {
        let l = limits(1, 1, 30);
        l.admit_key(1).unwrap();
        assert!(l.admit_key(1).is_err());
        l.admit_key(2).unwrap();
    }

    #[tokio::test]
    async fn refusals_past_the_allowance_are_not_recorded() {
        let l = limits(100, 100, 2);
        let addr: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(l.admit_refusal(addr).is_ok());
        assert!(l.admit_refusal(addr).is_ok());
        assert!(l.admit_refusal(addr).is_err());
    }
}
