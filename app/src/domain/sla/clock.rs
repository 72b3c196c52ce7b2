//! SLA clocks: for each measured segment of an order, when it started, when it is due, and
//! where it stands. A pure function of the order's facts, its policy, the calendars and the
//! observed stage durations, so a late event that changes the past is handled by computing the
//! clocks again from the new facts.

use super::calendar::BusinessCalendar;
use super::policy::{OrderKeys, PolicyVersion};
use crate::domain::status::PauseReason;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A measured stretch of an order's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Release,
    Ship,
    Deliver,
    Promise,
}

impl Segment {
    pub const ALL: [Segment; 4] = [
        Segment::Release,
        Segment::Ship,
        Segment::Deliver,
        Segment::Promise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Release => "release",
            Segment::Ship => "ship",
            Segment::Deliver => "deliver",
            Segment::Promise => "promise",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// What the segment measures, for people.
    pub fn label(self) -> &'static str {
        match self {
            Segment::Release => "Release to warehouse",
            Segment::Ship => "Ship",
            Segment::Deliver => "Deliver",
            Segment::Promise => "Promised date",
        }
    }
}

/// Where a clock stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Paused,
    AtRisk,
    Met,
    Breached,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Running => "running",
            ClockState::Paused => "paused",
            ClockState::AtRisk => "at_risk",
            ClockState::Met => "met",
            ClockState::Breached => "breached",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Running,
            Self::Paused,
            Self::AtRisk,
            Self::Met,
            Self::Breached,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ClockState::Running => "Running",
            ClockState::Paused => "Paused",
            ClockState::AtRisk => "At risk",
            ClockState::Met => "Met",
            ClockState::Breached => "Breached",
        }
    }
}

/// Why a clock stopped counting for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub reason: PauseReason,
    pub from: DateTime<Utc>,
    /// `None` while it lasts.
    pub until: Option<DateTime<Utc>>,
}

/// The facts of an order the clocks are computed from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SlaFacts {
    pub keys: OrderKeys,
    pub carrier: Option<String>,
    pub ordered_at: Option<DateTime<Utc>>,
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When the warehouse accepted the release (not when the ERP asked for it).
    pub released_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The parcel went back to the sender instead (and was not delivered): the delivery clock
    /// stops there, failed.
    #[serde(default)]
    pub returned_at: Option<DateTime<Utc>>,
    pub promised_deliver_by: Option<DateTime<Utc>>,
    /// A quotation not yet confirmed: no clock runs.
    #[serde(default)]
    pub quotation: bool,
    pub cancelled: bool,
    pub pauses: Vec<Pause>,
}

impl SlaFacts {
    /// When the order's first clock starts; policies are chosen as they stood then.
    pub fn clock_start(&self) -> Option<DateTime<Utc>> {
        self.confirmed_at.or(self.ordered_at)
    }
}

/// The calendars a clock counts in.
#[derive(Clone, Copy, Debug)]
pub struct Calendars<'a> {
    pub warehouse: &'a BusinessCalendar,
    pub carrier: &'a BusinessCalendar,
}

/// Observed p80 durations of each stage (business seconds) for the order's warehouse and carrier
/// over a recent window; `None` where too few were seen to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    pub release_p80: Option<i64>,
    pub ship_p80: Option<i64>,
    pub deliver_p80: Option<i64>,
}

/// One segment's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clock {
    pub segment: Segment,
    pub policy_id: i64,
    pub policy_version: i32,
    /// When it started counting (after the cut-off rule, for `ship`).
    pub started_at: DateTime<Utc>,
    pub target_seconds: i64,
    /// `None` while paused: the due time moves with the pause.
    pub due_at: Option<DateTime<Utc>>,
    /// When the remaining time falls below the policy's at-risk share.
    pub at_risk_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Business time spent paused (only finished pauses, plus the current one up to now).
    pub paused_seconds: i64,
    pub paused_since: Option<DateTime<Utc>>,
    /// The observed p80 of this stage exceeds the target: likely late though not yet at risk.
    pub predicted_late: bool,
    /// Unpaused business time from start to end, once ended: an observed stage duration.
    pub elapsed_seconds: Option<i64>,
    /// Ended without reaching its goal (a parcel returned to the sender): breached whenever it
    /// ended.
    #[serde(default)]
    pub failed: bool,
    /// The version of the calendar it counted in; `None` when none was set (always open) or
    /// for a promise (wall time).
    #[serde(default)]
    pub calendar_version: Option<i32>,
}

impl Clock {
    /// The clock's state at `now`. Stored clocks keep their due and at-risk times, so the
    /// state moves on with time without recomputing (the SQL in `store::sla` says the same).
    pub fn state_at(&self, now: DateTime<Utc>) -> ClockState {
        if let Some(ended) = self.ended_at {
            return match self.due_at {
                _ if self.failed => ClockState::Breached,
                Some(due) if ended > due => ClockState::Breached,
                _ => ClockState::Met,
            };
        }
        if self.paused_since.is_some() {
            return ClockState::Paused;
        }
        match (self.due_at, self.at_risk_at) {
            (Some(due), _) if now >= due => ClockState::Breached,
            (_, Some(risk)) if now >= risk => ClockState::AtRisk,
            _ if self.predicted_late => ClockState::AtRisk,
            _ => ClockState::Running,
        }
    }

    /// Business time left at `now` in the segment's calendar (negative once overdue).
    pub fn remaining_at(&self, now: DateTime<Utc>, calendar: &BusinessCalendar) -> Option<i64> {
        let due = self.due_at?;
        let until = self.ended_at.unwrap_or(now);
        Some(if until <= due {
            calendar.business_between(until, due).num_seconds()
        } else {
            -calendar.business_between(due, until).num_seconds()
        })
    }
}

/// Computes every clock the policy measures for the order, as of `now`.
pub fn clocks(
    facts: &SlaFacts,
    policy: &PolicyVersion,
    calendars: Calendars<'_>,
    observed: Observed,
    now: DateTime<Utc>,
) -> Vec<Clock> {
    let t = &policy.targets;
    let mut out = Vec::new();
    // A quotation promises nothing until the customer accepts it.
    if facts.quotation {
        return out;
    }
    let wh = calendars.warehouse;
    let mut push = |segment, start, target: Option<Duration>, end: Ends, cal, p80| {
        if let (Some(start), Some(target)) = (start, target) {
            let spec = Measure {
                segment,
                start,
                target,
                end: end.at,
                failed: end.failed,
                calendar: cal,
                p80,
            };
            if let Some(clock) = spec.clock(facts, policy, now) {
                out.push(clock);
            }
        }
    };
    let (start, end) = bounds(Segment::Release, facts);
    push(
        Segment::Release,
        start,
        t.release_minutes.map(|m| Duration::minutes(m.into())),
        Ends::at(end),
        wh,
        observed.release_p80,
    );
    let (start, end) = bounds(Segment::Ship, facts);
    push(
        Segment::Ship,
        // Released after the cut-off, it counts from the next opening.
        start.and_then(|r| wh.counting_from(r)),
        t.ship_minutes.map(|m| Duration::minutes(m.into())),
        Ends::at(end),
        wh,
        observed.ship_p80,
    );
    let (start, _) = bounds(Segment::Deliver, facts);
    let delivery = Ends::delivery(facts);
    push(
        Segment::Deliver,
        start,
        t.deliver_days.map(|d| Duration::days(d.into())),
        delivery,
        calendars.carrier,
        observed.deliver_p80,
    );
    if t.promise {
        if let (Some(due), (Some(start), _)) =
            (facts.promised_deliver_by, bounds(Segment::Promise, facts))
        {
            // A promise is a date on the calendar the customer holds: wall time, no pauses.
            let ended_at = delivery.at;
            if !(facts.cancelled && ended_at.is_none()) {
                out.push(Clock {
                    segment: Segment::Promise,
                    policy_id: policy.policy_id,
                    policy_version: policy.version,
                    started_at: start,
                    target_seconds: (due - start).num_seconds().max(0),
                    due_at: Some(due),
                    at_risk_at: Some(due - (due - start) * policy.at_risk_percent / 100),
                    ended_at,
                    paused_seconds: 0,
                    paused_since: None,
                    predicted_late: false,
                    elapsed_seconds: ended_at.map(|e| (e - start).num_seconds()),
                    failed: delivery.failed,
                    calendar_version: None,
                });
            }
        }
    }
    out
}

/// How a segment ended: when, and whether it failed.
#[derive(Clone, Copy)]
struct Ends {
    at: Option<DateTime<Utc>>,
    failed: bool,
}

impl Ends {
    fn at(at: Option<DateTime<Utc>>) -> Self {
        Ends { at, failed: false }
    }

    /// Delivered; or, never delivered, returned to the sender: ended there, failed.
    fn delivery(facts: &SlaFacts) -> Self {
        Ends {
            at: bounds(Segment::Deliver, facts).1,
            failed: facts.delivered_at.is_none() && facts.returned_at.is_some(),
        }
    }
}

/// The facts a segment's clock starts and stops on, before business hours and cut-offs: what
/// `clocks` measures, and what an evidence pack shows the events of.
pub fn bounds(
    segment: Segment,
    facts: &SlaFacts,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let delivered = facts.delivered_at.or(facts.returned_at);
    match segment {
        Segment::Release => (facts.clock_start(), facts.released_at),
        Segment::Ship => (facts.released_at, facts.dispatched_at),
        Segment::Deliver => (facts.dispatched_at, delivered),
        Segment::Promise => (facts.ordered_at, delivered),
    }
}

struct Measure<'a> {
    segment: Segment,
    start: DateTime<Utc>,
    target: Duration,
    end: Option<DateTime<Utc>>,
    /// The end is a failure (returned, not delivered).
    failed: bool,
    calendar: &'a BusinessCalendar,
    p80: Option<i64>,
}

impl Measure<'_> {
    fn clock(&self, facts: &SlaFacts, policy: &PolicyVersion, now: DateTime<Utc>) -> Option<Clock> {
        if facts.cancelled && self.end.is_none() {
            return None;
        }
        // Pauses count only while the segment runs: clip them to [start, end or now].
        let horizon = self.end.unwrap_or(now).max(self.start);
        let pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = merged(&facts.pauses)
            .into_iter()
            .filter(|(from, until)| *from < horizon && until.is_none_or(|u| u > self.start))
            .map(|(from, until)| (from.max(self.start), until.map(|u| u.min(horizon))))
            .collect();
        let cal = self.calendar;
        let paused_since = match pauses.last() {
            Some((from, None)) if self.end.is_none() => Some(*from),
            _ => None,
        };
        let paused_seconds = pauses
            .iter()
            .map(|(from, until)| {
                cal.business_between(*from, until.unwrap_or(horizon))
                    .num_seconds()
            })
            .sum();
        let risk_share = self.target * policy.at_risk_percent / 100;
        let due_at = finish(cal, self.start, self.target, &pauses);
        let predicted_late =
            self.end.is_none() && self.p80.is_some_and(|p| p > self.target.num_seconds());
        // Predicted late is at risk from the start: one stored time answers "at risk now?".
        let at_risk_at = if predicted_late {
            Some(self.start)
        } else {
            finish(cal, self.start, self.target - risk_share, &pauses)
        };
        let elapsed_seconds = self
            .end
            .map(|end| cal.business_between(self.start, end).num_seconds() - paused_seconds);
        Some(Clock {
            segment: self.segment,
            policy_id: policy.policy_id,
            policy_version: policy.version,
            started_at: self.start,
            target_seconds: self.target.num_seconds(),
            due_at,
            at_risk_at,
            ended_at: self.end,
            paused_seconds,
            paused_since,
            predicted_late,
            elapsed_seconds,
            failed: self.failed,
            // Set by whoever chose the calendar (the SLA engine knows its version).
            calendar_version: None,
        })
    }
}

/// When `amount` of unpaused business time has passed after `start`; `None` while a pause
/// that has not ended comes first.
pub fn finish(
    cal: &BusinessCalendar,
    start: DateTime<Utc>,
    amount: Duration,
    pauses: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> Option<DateTime<Utc>> {
    let mut at = start;
    let mut left = amount;
    for (from, until) in pauses {
        if *from < at {
            match until {
                Some(u) => {
                    at = at.max(*u);
                    continue;
                }
                None => return None,
            }
        }
        let candidate = cal.add_business(at, left)?;
        if candidate <= *from {
            return Some(candidate);
        }
        left -= cal.business_between(at, *from);
        at = (*until)?;
    }
    cal.add_business(at, left)
}

/// Pauses sorted and overlapping ones joined, so none is counted twice.
fn merged(pauses: &[Pause]) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
    let mut spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = pauses
        .iter()
        .filter(|p| p.until.is_none_or(|u| u > p.from))
        .map(|p| (p.from, p.until))
        .collect();
    spans.sort_by_key(|s| s.0);
    let mut out: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = Vec::new();
    for (from, until) in spans {
        match out.last_mut() {
            Some(last) if last.1.is_none_or(|end| from <= end) => {
                last.1 = match (last.1, until) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push((from, until)),
        }
    }
    out
}
