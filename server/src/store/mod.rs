//! The server's SQL, one module per aggregate: what intake, the projector and the sync engine
//! write, which no page reads directly. The pages' queries are `app::store` (same rules, same
//! migrations, same `.sqlx/` offline data).
//!
//! Functions take an executor so the caller owns the transaction. The rule for checked SQL,
//! its two exceptions and the macro conventions are written once, in `app::store`.

pub mod alerts;
pub mod api_keys;
pub mod case_actions;
pub mod connectors;
pub mod events;
pub mod held_releases;
pub mod history;
pub mod inbox;
pub mod jobs;
pub mod metrics;
pub mod projections;
pub mod quarantine;
pub mod reconciliation;
pub mod refusals;
pub mod replica;
pub mod retention;
pub mod sla;
pub mod webhooks;
