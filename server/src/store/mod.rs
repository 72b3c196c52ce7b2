//! The server's SQL, one module per aggregate: what intake, the projector and the sync engine
//! write, which no page reads directly. The pages' queries are `app::store` (same rules, same
//! migrations, same `.sqlx/` offline data).
//!
//! Functions take an executor so the caller owns the transaction.

pub mod api_keys;
pub mod connectors;
pub mod events;
pub mod history;
pub mod inbox;
pub mod jobs;
pub mod projections;
pub mod sla;
pub mod webhooks;
