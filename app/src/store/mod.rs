//! All SQL, one module per aggregate. Timestamps are read as `chrono` types with explicit
//! overrides (`as "x: DateTime<Utc>"`): the session store switches on sqlx's `time` feature, which
//! the macros would otherwise prefer.
//! Functions take an executor so the caller owns the
//! transaction. Queries are checked at compile time against `.sqlx/`.

pub mod accounts;
pub mod audit;
pub mod exceptions;
pub mod inbox;
pub mod jobs;
pub mod kpis;
pub mod login_failures;
pub mod orders;
pub mod schema;
pub mod sla;
pub mod users;

/// The schema migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
