//! Failed sign-ins, counted for throttling.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Recent failures for one email and for one client address.
#[derive(Debug, Default)]
pub struct RecentFailures {
    pub by_email: i64,
    pub oldest_by_email: Option<DateTime<Utc>>,
    pub by_client_addr: i64,
    pub oldest_by_client_addr: Option<DateTime<Utc>>,
}

/// Records an attempt (a failure until it is known to have succeeded); returns its id.
pub async fn record(db: impl PgExecutor<'_>, email: &str, client_addr: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into login_failure (email, client_addr) values ($1, $2) returning login_failure_id"#,
        email,
        client_addr
    )
    .fetch_one(db)
    .await
}

/// Removes one recorded attempt (refused before it guessed, or it succeeded).
pub async fn remove(db: impl PgExecutor<'_>, attempt_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        r#"delete from login_failure where login_failure_id = $1"#,
        attempt_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn recent(
    db: impl PgExecutor<'_>,
    email: &str,
    client_addr: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<RecentFailures> {
    sqlx::query_as!(
        RecentFailures,
        r#"
        select
            count(*) filter (where lower(email) = lower($1)) as "by_email!",
            min(failed_at) filter (where lower(email) = lower($1)) as "oldest_by_email: DateTime<Utc>",
            count(*) filter (where client_addr = $2) as "by_client_addr!",
            min(failed_at) filter (where client_addr = $2) as "oldest_by_client_addr: DateTime<Utc>"
        from login_failure
        where failed_at > $3 and (lower(email) = lower($1) or client_addr = $2)
        "#,
        email,
        client_addr,
        since as _
    )
    .fetch_one(db)
    .await
}

/// A successful sign-in forgives that email's earlier failures (not the address's).
pub async fn clear_for_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<()> {
    sqlx::query!(
        r#"delete from login_failure where lower(email) = lower($1)"#,
        email
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes failures older than `before`; run periodically so the table stays small.
pub async fn delete_older_than(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"delete from login_failure where failed_at < $1"#,
        before as _
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
