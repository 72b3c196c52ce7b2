//! A circuit breaker per queue (one external endpoint): after repeated transient failures the
//! queue pauses, then lets one probe job through; the probe's success closes it, its failure
//! opens it again for twice as long. Other queues are untouched. The state lives in the
//! `circuit` table so every worker process obeys it and operators see it; the rules are here,
//! pure, so they are tested without a database.

use crate::store::jobs::circuits::Circuit;
use chrono::{DateTime, Utc};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct BreakerPolicy {
    /// Consecutive transient failures that open the circuit.
    pub threshold: i32,
    /// The first opening lasts this long.
    pub cooldown: Duration,
    /// No opening lasts longer.
    pub max_cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            threshold: 5,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(5 * 60),
        }
    }
}

/// What a worker may take from the queue now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Closed: as many jobs as the queue's concurrency allows.
    Flow,
    /// Half open: exactly one job, the probe.
    Probe,
    /// Open or paused: nothing until then (or until an operator resumes it).
    Wait(Option<DateTime<Utc>>),
}

fn millis(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

impl BreakerPolicy {
    /// Whether jobs may run now; moves an open circuit whose time is up to half open (the caller
    /// saves it and runs one probe). A half-open circuit whose probe outlived its deadline (its
    /// worker died) lets another probe through.
    pub fn gate(&self, c: &mut Circuit, now: DateTime<Utc>) -> Gate {
        if c.paused {
            return Gate::Wait(None);
        }
        match c.state.as_str() {
            "open" | "half_open" if c.next_probe_at.is_none_or(|at| at <= now) => {
                c.state = "half_open".into();
                // The probe's deadline: another may go if this one never reports.
                c.next_probe_at =
                    Some(now + chrono::Duration::milliseconds(c.cooldown_ms.max(1_000) as i64));
                Gate::Probe
            }
            "open" | "half_open" => Gate::Wait(c.next_probe_at),
            _ => Gate::Flow,
        }
    }

    pub fn on_success(&self, c: &mut Circuit) {
        c.state = "closed".into();
        c.failures = 0;
        c.opened_at = None;
        c.next_probe_at = None;
        c.cooldown_ms = 0;
    }

    /// A transient failure of the endpoint (fatal ones say nothing about its health).
    pub fn on_failure(&self, c: &mut Circuit, now: DateTime<Utc>) {
        c.failures += 1;
        let reopen = |c: &mut Circuit, cooldown: Duration| {
            c.state = "open".into();
            c.opened_at.get_or_insert(now);
            c.cooldown_ms = millis(cooldown);
            c.next_probe_at = Some(now + chrono::Duration::milliseconds(c.cooldown_ms as i64));
        };
        match c.state.as_str() {
            // The probe failed: the endpoint is still down; wait twice as long.
            "half_open" => {
                let doubled = Duration::from_millis(c.cooldown_ms.max(1) as u64 * 2);
                reopen(c, doubled.clamp(self.cooldown, self.max_cooldown));
            }
            // Attempts that were in flight when the circuit opened, reporting late: they say
            // nothing new, and must not lengthen the opening (16 of them would have pushed it
            // to the maximum at once).
            "open" => {}
            _ if c.failures >= self.threshold => reopen(c, self.cooldown),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> Circuit {
        Circuit::closed("wms:a")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn failures_in_flight_when_the_circuit_opened_do_not_lengthen_it() {
        let policy = BreakerPolicy::default();
        let mut c = closed();
        for _ in 0..policy.threshold {
            policy.on_failure(&mut c, at(0));
        }
        let opened = c.clone();
        for i in 0..16 {
            policy.on_failure(&mut c, at(i));
        }
        assert_eq!(c.state, "open");
        assert_eq!(c.next_probe_at, opened.next_probe_at);
        assert_eq!(c.cooldown_ms, opened.cooldown_ms);
    }

    #[test]
    fn repeated_failures_open_then_a_probe_closes() {
        let policy = BreakerPolicy::default();
        let mut c = closed();
        for _ in 0..4 {
            policy.on_failure(&mut c, at(0));
            assert_eq!(policy.gate(&mut c, at(0)), Gate::Flow);
        }
        policy.on_failure(&mut c, at(0));
        assert_eq!(c.state, "open");
        assert_eq!(policy.gate(&mut c, at(5)), Gate::Wait(Some(at(10))));
        assert_eq!(policy.gate(&mut c, at(10)), Gate::Probe);
        assert_eq!(c.state, "half_open");
        assert!(
            matches!(policy.gate(&mut c, at(11)), Gate::Wait(_)),
            "one probe at a time"
        );
        policy.on_success(&mut c);
        assert_eq!((c.state.as_str(), c.failures), ("closed", 0));
        assert_eq!(policy.gate(&mut c, at(12)), Gate::Flow);
    }

    #[test]
    fn a_failed_probe_reopens_for_twice_as_long_up_to_the_cap() {
        let policy = BreakerPolicy::default();
        let mut c = closed();
        for _ in 0..5 {
            policy.on_failure(&mut c, at(0));
        }
        let mut now = 0;
        let mut cooldowns = vec![];
        for _ in 0..8 {
            now = (c.next_probe_at.unwrap() - at(0)).num_seconds();
            assert_eq!(policy.gate(&mut c, at(now)), Gate::Probe);
            policy.on_failure(&mut c, at(now));
            cooldowns.push(c.cooldown_ms / 1000);
        }
        assert_eq!(cooldowns, vec![20, 40, 80, 160, 300, 300, 300, 300]);
        assert_eq!(c.opened_at, Some(at(0)), "opened when it first opened");
        assert!(matches!(policy.gate(&mut c, at(now + 1)), Gate::Wait(_)));
    }

    #[test]
    fn a_probe_that_never_reports_is_followed_by_another() {
        let policy = BreakerPolicy::default();
        let mut c = closed();
        for _ in 0..5 {
            policy.on_failure(&mut c, at(0));
        }
        assert_eq!(policy.gate(&mut c, at(10)), Gate::Probe);
        assert!(matches!(policy.gate(&mut c, at(15)), Gate::Wait(_)));
        assert_eq!(policy.gate(&mut c, at(21)), Gate::Probe);
    }

    #[test]
    fn a_paused_queue_waits_whatever_the_breaker_says() {
        let policy = BreakerPolicy::default();
        let mut c = closed();
        c.paused = true;
        assert_eq!(policy.gate(&mut c, at(0)), Gate::Wait(None));
    }
}
