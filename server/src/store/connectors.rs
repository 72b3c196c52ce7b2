//! Connectors: the external systems that send messages, with their secrets and allowed types.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgExecutor;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct ConnectorRecord {
    pub connector_id: i64,
    pub name: String,
    /// `erp`, `wms` or `carrier`.
    pub kind: String,
    pub format: String,
    /// Never leaves the server.
    pub secrets: Value,
    pub allowed_types: Vec<String>,
    pub time_zone: Option<String>,
    pub warehouse_code: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// What creating a connector needs.
pub struct NewConnector<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub format: &'a str,
    pub secrets: Value,
    pub allowed_types: Vec<String>,
    pub time_zone: Option<&'a str>,
    pub warehouse_code: Option<&'a str>,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewConnector<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into connector (name, kind, format, secrets, allowed_types, time_zone, warehouse_code)
           values ($1, $2, $3, $4, $5, $6, $7) returning connector_id"#,
        new.name,
        new.kind,
        new.format,
        new.secrets,
        &new.allowed_types,
        new.time_zone,
        new.warehouse_code
    )
    .fetch_one(db)
    .await
}

pub async fn find_by_name(
    db: impl PgExecutor<'_>,
    name: &str,
) -> sqlx::Result<Option<ConnectorRecord>> {
    sqlx::query_as!(
        ConnectorRecord,
        r#"select connector_id, name, kind, format, secrets, allowed_types, time_zone, warehouse_code, enabled,
                  created_at as "created_at: DateTime<Utc>"
           from connector c where name = $1"#,
        name
    )
    .fetch_optional(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ConnectorRecord>> {
    sqlx::query_as!(
        ConnectorRecord,
        r#"select connector_id, name, kind, format, secrets, allowed_types, time_zone, warehouse_code, enabled,
                  created_at as "created_at: DateTime<Utc>"
           from connector c order by name"#
    )
    .fetch_all(db)
    .await
}

/// A connector as the sync engine reads it: how Milepost calls its system, if it does.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboundRow {
    pub connector_id: i64,
    pub name: String,
    pub kind: String,
    pub warehouse_code: Option<String>,
    /// `None` for a system that only sends.
    pub outbound: Option<Value>,
    /// Never leaves the server.
    pub secrets: Value,
    pub enabled: bool,
}

pub async fn outbound_all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<OutboundRow>> {
    sqlx::query_as!(
        OutboundRow,
        r#"select connector_id, name, kind, warehouse_code, outbound, secrets, enabled
           from connector order by name"#
    )
    .fetch_all(db)
    .await
}

/// Sets how Milepost calls the connector's system, merging `secrets` into the stored ones;
/// returns the settings before, or `None` when there is no such connector.
pub async fn set_outbound(
    db: impl PgExecutor<'_>,
    name: &str,
    outbound: Option<&Value>,
    secrets: &Value,
) -> sqlx::Result<Option<Option<Value>>> {
    sqlx::query_scalar!(
        r#"update connector c set outbound = $2, secrets = c.secrets || $3
           from (select connector_id, outbound from connector where name = $1 for update) before
           where c.connector_id = before.connector_id
           returning before.outbound"#,
        name,
        outbound,
        secrets
    )
    .fetch_optional(db)
    .await
}

/// Every connector's secrets (for sealing them, `crate::secrets`).
pub async fn all_secrets(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, Value)>> {
    let rows = sqlx::query!(
        r#"select connector_id, secrets from connector order by connector_id for update"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.connector_id, r.secrets))
        .collect())
}

/// Replaces one connector's secrets (sealed by the caller).
pub async fn replace_secrets(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    secrets: &Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update connector set secrets = $2 where connector_id = $1"#,
        connector_id,
        secrets
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The accounts each scoped connector may change orders of (connectors that serve every account
/// are left out).
pub async fn scopes(db: impl PgExecutor<'_>) -> sqlx::Result<HashMap<i64, Vec<Uuid>>> {
    let rows = sqlx::query!(
        r#"select connector_id, account_ids from connector where cardinality(account_ids) > 0"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.connector_id, r.account_ids))
        .collect())
}

/// The account codes each scoped connector serves, by connector name.
pub async fn scope_codes(db: impl PgExecutor<'_>) -> sqlx::Result<HashMap<String, Vec<String>>> {
    let rows = sqlx::query!(
        r#"select c.name, array_agg(a.code order by a.code) as "codes!"
           from connector c join account a on a.account_id = any(c.account_ids) group by c.name"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.codes)).collect())
}

/// Sets the accounts a connector serves (empty: every account) from their codes; returns the
/// codes before. Fails when an account code is unknown.
pub async fn set_scope(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    account_codes: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"with chosen as (select coalesce(array_agg(account_id order by code), '{}') as ids
                           from account where code = any($2)),
               before as (select coalesce(array_agg(a.code order by a.code), '{}') as codes
                          from connector c join account a on a.account_id = any(c.account_ids)
                          where c.connector_id = $1)
           update connector set account_ids = (select ids from chosen) where connector_id = $1
           returning (select codes from before) as "codes!""#,
        connector_id,
        account_codes
    )
    .fetch_one(db)
    .await
}
