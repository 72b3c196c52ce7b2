//! The sync engine (DESIGN §4): jobs in Postgres, enqueued with the change that causes them and
//! run by `runner` per queue (one per external endpoint) with `retry` rules and a `breaker` per
//! endpoint; `schedules` enqueue recurring jobs once across every worker process. The connectors
//! that do the work (Odoo, WMS) are wired to their queues by `engine`; `outbox` decides which
//! jobs an applied event causes (the projector enqueues them in its transaction).

pub mod breaker;
pub mod connectors;
pub mod engine;
pub mod outbox;
pub mod retry;
pub mod runner;
pub mod schedules;
