//! Requests refused before they were authenticated: metadata only (never the body), so that
//! anyone on the internet cannot fill the disk through the ingest door.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// What is kept of one unauthenticated refusal.
pub struct Refusal<'a> {
    pub client_addr: &'a str,
    pub path: &'a str,
    pub body_bytes: usize,
    pub body_sha256: Option<&'a [u8]>,
    pub code: &'a str,
    pub reason: &'a str,
}

pub async fn record(db: impl PgExecutor<'_>, r: &Refusal<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into refused_request (client_addr, path, body_bytes, body_sha256, code, reason)
           values ($1, $2, $3, $4, $5, $6)
           returning refused_request_id"#,
        r.client_addr,
        r.path,
        i32::try_from(r.body_bytes).unwrap_or(i32::MAX),
        r.body_sha256,
        r.code,
        r.reason
    )
    .fetch_one(db)
    .await
}

/// Deletes refusals older than `before` (housekeeping).
pub async fn delete_older_than(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"delete from refused_request where refused_at < $1"#,
        before as _
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
