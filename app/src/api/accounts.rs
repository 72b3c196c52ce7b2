//! Accounts (admins only).

use crate::domain::AccountSummary;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(prefix = "/fn", endpoint = "accounts/list")]
pub async fn list_accounts() -> Result<Vec<AccountSummary>, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::store;
    require_role(&[Role::Admin]).await?;
    let accounts = store::accounts::list(&ctx()?.pool).await?;
    Ok(accounts
        .into_iter()
        .map(|a| AccountSummary {
            account_id: a.account_id,
            code: a.code,
            name: a.name,
        })
        .collect())
}

#[server(prefix = "/fn", endpoint = "accounts/create")]
pub async fn create_account(code: String, name: String) -> Result<Uuid, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::accounts;
    let admin = require_role(&[Role::Admin]).await?;
    accounts::create(&ctx()?.pool, &code, &name, Some(admin.user_id)).await
}
