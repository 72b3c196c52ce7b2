//! Accounts: the logistics provider's customers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub account_id: Uuid,
    pub code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(db: impl PgExecutor<'_>, code: &str, name: &str) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"insert into account (code, name) values ($1, $2) returning account_id"#,
        code,
        name
    )
    .fetch_one(db)
    .await
}

pub async fn find_by_code(db: impl PgExecutor<'_>, code: &str) -> sqlx::Result<Option<Account>> {
    sqlx::query_as!(
        Account,
        r#"select account_id, code, name, created_at as "created_at: DateTime<Utc>" from account where code = $1"#,
        code
    )
    .fetch_optional(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Account>> {
    sqlx::query_as!(Account, r#"select account_id, code, name, created_at as "created_at: DateTime<Utc>" from account order by code"#)
        .fetch_all(db)
        .await
}

/// The code of an account, if the id is set and exists.
pub async fn code_of(
    db: impl PgExecutor<'_>,
    account_id: Option<Uuid>,
) -> sqlx::Result<Option<String>> {
    let Some(account_id) = account_id else {
        return Ok(None);
    };
    sqlx::query_scalar!(
        r#"select code from account where account_id = $1"#,
        account_id
    )
    .fetch_optional(db)
    .await
}

/// Records how another system names this account's customer (upserts).
pub async fn map_external_ref(
    db: impl PgExecutor<'_>,
    system: &str,
    external_id: &str,
    account_id: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into account_external_ref (system, external_id, account_id) values ($1, $2, $3)
           on conflict (system, external_id) do update set account_id = excluded.account_id"#,
        system,
        external_id,
        account_id
    )
    .execute(db)
    .await?;
    Ok(())
}
