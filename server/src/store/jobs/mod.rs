//! The sync engine's tables, one module per group: the queue with its attempts, the circuits,
//! and the schedules with the pull cursors. What operators read of them (`/integrations`) is
//! `app::store::jobs`.

pub mod circuits;
pub mod queue;
pub mod schedules;
