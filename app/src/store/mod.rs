//! The pages' SQL, one module per aggregate (the server's own statements are `server::store`).
//! Functions take an executor so the caller owns the transaction.
//!
//! **Checked SQL.** Every static statement is a `query!`-family macro, checked at compile time
//! against the schema (offline through `.sqlx/`, which `make sqlx-prepare` regenerates and CI
//! compares). Two kinds of statement are built at run time instead, and only these:
//! - the dynamic filter builders (`QueryBuilder`): the order list, the exception queue and the
//!   dashboard's KPI reads add a clause per filter the user set and a scope predicate per
//!   role (`orders.rs`, `exceptions.rs`, `kpis.rs`);
//! - in `server::store`, statements whose table or column names are data: the projection
//!   parts written in one loop (`projections.rs`) and the KPI rollup sums generated from the
//!   list of measures (`sla/rollups.rs`); and `server::pg`, which creates roles and databases.
//!
//! Macro conventions: timestamps are read with an explicit override (`as "x: DateTime<Utc>"`)
//! and bound with `as _`, because the session store turns on sqlx's `time` feature, which the
//! macros would otherwise prefer; status columns read straight into their enums
//! (`as "status: OrderStatus"`, see `domain::status`); `!` marks a column Postgres cannot prove
//! non-null (an aggregate, a `coalesce`, a `returning` of a CTE).

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod chain;
pub mod disputes;
pub mod evidence;
pub mod exceptions;
pub mod inbox;
pub mod jobs;
pub mod kpis;
pub mod login_failures;
pub mod orders;
pub mod quarantine;
pub mod reports;
pub mod schema;
pub mod scorecards;
pub mod sla;
pub mod users;

/// The schema migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A read-only transaction without the pool's statement timeout, for a download that streams
/// rows as slowly as its reader takes them (the timeout guards pages against runaway queries;
/// a download is bounded by its reader instead). Dropped, it rolls back.
pub async fn long_read(
    pool: &sqlx::PgPool,
) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query!("set transaction read only")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("set local statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
