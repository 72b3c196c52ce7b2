//! The SLA engine's moving parts on the server: `engine` computes the clocks, KPI shares and
//! cases of the orders the projector has just folded (in its transaction); `sweep` runs on a
//! timer for what no event announces (a sync job gone dead, a source gone quiet, the observed
//! stage durations); `release` the ship-by time and cut-off a release tells the warehouse.

pub mod engine;
pub mod publish;
pub mod release;
pub mod sweep;
