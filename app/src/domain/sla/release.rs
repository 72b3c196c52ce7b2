//! What a warehouse is told about time when an order is released to it: the time its SLA wants
//! the order shipped by, and the cut-off that decides whether today still counts. Computed from
//! the same policy and calendar the ship clock uses, so the warehouse works to the clock the
//! dashboard shows.

use super::calendar::BusinessCalendar;
use super::policy::PolicyVersion;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseTimes {
    /// When the ship segment falls due if the warehouse accepts the release at the time asked
    /// (after the cut-off rule, in the warehouse's business hours). `None` without a ship target.
    pub ship_by: Option<DateTime<Utc>>,
    /// The next cut-off at or after that time, when the warehouse has one: released before it,
    /// the order counts from today.
    pub cut_off: Option<DateTime<Utc>>,
}

/// The release times for an order released at `at` under `policy` in the warehouse's calendar.
pub fn release_times(
    policy: Option<&PolicyVersion>,
    warehouse: &BusinessCalendar,
    at: DateTime<Utc>,
) -> ReleaseTimes {
    let ship_by = policy
        .and_then(|p| p.targets.ship_minutes)
        .and_then(|minutes| {
            let start = warehouse.counting_from(at)?;
            warehouse.add_business(start, Duration::minutes(minutes.into()))
        });
    ReleaseTimes {
        ship_by,
        cut_off: warehouse.next_cut_off(at),
    }
}
