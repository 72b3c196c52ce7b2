//! User administration (admins only).

use crate::domain::UserSummary;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// Every user with their role and accounts.
#[server(prefix = "/fn", endpoint = "users/list")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::store;
    require_role(&[Role::Admin]).await?;
    let pool = ctx()?.pool;
    let mut out = Vec::new();
    for user in store::users::list(&pool).await? {
        let account_codes = match user.role {
            Role::AccountManager => {
                store::users::assigned_account_codes(&pool, user.user_id).await?
            }
            Role::Customer => store::accounts::code_of(&pool, user.account_id)
                .await?
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        out.push(UserSummary {
            user_id: user.user_id,
            email: user.email,
            display_name: user.display_name,
            role: user.role,
            account_codes,
            disabled: user.disabled_at.is_some(),
        });
    }
    Ok(out)
}

/// Creates a user. `accounts` is a comma-separated list of account codes.
#[server(prefix = "/fn", endpoint = "users/create")]
pub async fn create_user(
    email: String,
    display_name: String,
    role: String,
    accounts: String,
    password: String,
) -> Result<Uuid, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::users;
    let admin = require_role(&[Role::Admin]).await?;
    let role = users::parse_role(&role)?;
    let new = users::NewUser {
        email,
        display_name: Some(display_name),
        role,
        account_codes: split_codes(&accounts),
        password: password.into(),
    };
    users::create(&ctx()?.pool, new, Some(admin.user_id)).await
}

/// Changes a user's role (and accounts). The user's sessions end.
#[server(prefix = "/fn", endpoint = "users/set_role")]
pub async fn set_user_role(user_id: Uuid, role: String, accounts: String) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::users;
    let admin = require_role(&[Role::Admin]).await?;
    let role = users::parse_role(&role)?;
    users::set_role(
        &ctx()?.pool,
        user_id,
        role,
        split_codes(&accounts),
        Some(admin.user_id),
    )
    .await
}

/// Sets another user's password (for a user who lost theirs). Their sessions end.
#[server(prefix = "/fn", endpoint = "users/set_password")]
pub async fn set_user_password(user_id: Uuid, password: String) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::users;
    let admin = require_role(&[Role::Admin]).await?;
    users::set_password(&ctx()?.pool, user_id, password.into(), Some(admin.user_id)).await?;
    Ok(())
}

/// Disables a user (no sign-in, sessions end) or enables them again. Admins only, audited.
#[server(prefix = "/fn", endpoint = "users/set_disabled")]
pub async fn set_user_disabled(user_id: Uuid, disabled: bool) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::users;
    let admin = require_role(&[Role::Admin]).await?;
    users::set_disabled(&ctx()?.pool, user_id, disabled, Some(admin.user_id)).await
}

/// "ACME, globex" → ["ACME", "GLOBEX"].
pub fn split_codes(list: &str) -> Vec<String> {
    list.split(',')
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty())
        .collect()
}
