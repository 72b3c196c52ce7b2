//! The SLA model: business calendars, policies, clocks per order and segment, and
//! each order's share of the KPIs. Pure, so the same rules run in the projector, in tests and
//! in the benchmark, and compile for the browser too.

pub mod blame;
pub mod calendar;
pub mod cases;
pub mod clock;
pub mod facts;
pub mod policy;
pub mod release;
#[cfg(test)]
mod tests;
pub mod views;

pub use calendar::{BusinessCalendar, DayHours};
pub use clock::{bounds, clocks, Calendars, Clock, ClockState, Observed, Pause, Segment, SlaFacts};
pub use facts::{corrected, facts, order_kpi, Correction, OrderKpi};
pub use policy::{select, OrderKeys, PolicyDraft, PolicyVersion, Targets};
pub use release::{release_times, ReleaseTimes};
