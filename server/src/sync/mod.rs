//! The sync engine: runs the jobs of the catalogue (`crate::jobs`), enqueued with the change
//! that causes them, by `runner` per queue (one per external endpoint) with `retry` rules and a
//! `breaker` per endpoint; `schedules` enqueue recurring jobs once across every worker process;
//! `engine` builds the queues and their clients from the connectors and registers every job type.
//! Sync sits above the projector and intake and imports neither: the jobs it runs reach intake
//! through the `jobs::Intake` port, which `workers` plugs in.

pub mod breaker;
pub mod engine;
pub mod retry;
pub mod runner;
pub mod schedules;
