//! The state of the schema itself.

use sqlx::PgExecutor;

/// Whether every migration this binary embeds has been applied successfully.
pub async fn migrations_applied(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    // `_sqlx_migrations` is sqlx's own bookkeeping table, created by the migrator itself, so this
    // one query is not checked at compile time.
    let applied: Vec<i64> =
        sqlx::query_scalar!("select version from _sqlx_migrations where success")
            .fetch_all(db)
            .await?;
    Ok(super::MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}
