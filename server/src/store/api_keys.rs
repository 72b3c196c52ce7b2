//! API keys for `/api/v1`: only a SHA-256 of the secret is stored, with a visible prefix.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// What a request's key is checked against.
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub api_key_id: i64,
    pub connector_id: i64,
    pub secret_sha256: Vec<u8>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A key with its connector, read in one query on every API call.
#[derive(Clone, Debug)]
pub struct KeyWithConnector {
    pub key: StoredKey,
    pub connector: super::connectors::ConnectorRecord,
}

pub async fn find_with_connector(
    db: impl PgExecutor<'_>,
    prefix: &str,
) -> sqlx::Result<Option<KeyWithConnector>> {
    let row = sqlx::query!(
        r#"select k.api_key_id, k.connector_id, k.secret_sha256,
                  k.expires_at as "expires_at: DateTime<Utc>", k.revoked_at as "revoked_at: DateTime<Utc>",
                  k.last_used_at as "last_used_at: DateTime<Utc>",
                  c.name, c.kind, c.format, c.secrets, c.allowed_types, c.time_zone, c.warehouse_code, c.enabled,
                  c.created_at as "created_at: DateTime<Utc>"
           from api_key k join connector c using (connector_id) where k.prefix = $1"#,
        prefix
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| KeyWithConnector {
        key: StoredKey {
            api_key_id: r.api_key_id,
            connector_id: r.connector_id,
            secret_sha256: r.secret_sha256,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            last_used_at: r.last_used_at,
        },
        connector: super::connectors::ConnectorRecord {
            connector_id: r.connector_id,
            name: r.name,
            kind: r.kind,
            format: r.format,
            secrets: r.secrets,
            allowed_types: r.allowed_types,
            time_zone: r.time_zone,
            warehouse_code: r.warehouse_code,
            enabled: r.enabled,
            created_at: r.created_at,
        },
    }))
}

/// A key as `milepost apikey list` shows it.
#[derive(Clone, Debug)]
pub struct KeySummary {
    pub prefix: String,
    pub name: String,
    pub connector: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    name: &str,
    prefix: &str,
    secret_sha256: &[u8],
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into api_key (connector_id, name, prefix, secret_sha256) values ($1, $2, $3, $4) returning api_key_id"#,
        connector_id,
        name,
        prefix,
        secret_sha256
    )
    .fetch_one(db)
    .await
}

/// Records a use; at most once a minute per key, so a busy sender does not write on every call.
pub async fn touch(db: impl PgExecutor<'_>, api_key_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update api_key set last_used_at = now()
           where api_key_id = $1 and (last_used_at is null or last_used_at < now() - interval '1 minute')"#,
        api_key_id
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<KeySummary>> {
    sqlx::query_as!(
        KeySummary,
        r#"select k.prefix, k.name, c.name as connector, k.created_at as "created_at: DateTime<Utc>",
                  k.expires_at as "expires_at: DateTime<Utc>", k.revoked_at as "revoked_at: DateTime<Utc>",
                  k.last_used_at as "last_used_at: DateTime<Utc>"
           from api_key k join connector c using (connector_id)
           order by c.name, k.created_at"#
    )
    .fetch_all(db)
    .await
}

/// Revokes a key at once; `false` when no live key has this prefix.
pub async fn revoke(db: impl PgExecutor<'_>, prefix: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update api_key set revoked_at = now() where prefix = $1 and revoked_at is null"#,
        prefix
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The key's connector and name, for making its replacement; `None` if revoked or unknown.
pub async fn live(
    db: impl PgExecutor<'_>,
    prefix: &str,
) -> sqlx::Result<Option<(i64, i64, String)>> {
    let row = sqlx::query!(
        r#"select api_key_id, connector_id, name from api_key
           where prefix = $1 and revoked_at is null and (expires_at is null or expires_at > now())"#,
        prefix
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.api_key_id, r.connector_id, r.name)))
}

/// Marks a key replaced: it keeps working until `expires_at` (the grace period).
pub async fn retire(
    db: impl PgExecutor<'_>,
    api_key_id: i64,
    replaced_by: i64,
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update api_key set replaced_by = $2, expires_at = $3 where api_key_id = $1"#,
        api_key_id,
        replaced_by,
        expires_at as _
    )
    .execute(db)
    .await?;
    Ok(())
}
