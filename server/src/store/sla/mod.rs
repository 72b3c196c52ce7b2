//! What the projector and the SLA sweep write of the SLA, one module per table group: the
//! `rules` clocks are computed with, the `clocks` and KPI shares of each folded order, the daily
//! `rollups` kept as sums of those shares, the exception `cases`, and `calendar_changes` (open
//! clocks to refold after a calendar edit). The rules themselves are edited through
//! `app::store::sla`.

pub mod calendar_changes;
pub mod cases;
pub mod clocks;
pub mod rollups;
pub mod rules;
