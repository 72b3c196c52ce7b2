//! Which orders the signed-in user may see, decided from the session alone.

use super::ctx;
use crate::domain::{CurrentUser, Role};
use crate::error::AppError;
use crate::store;
use crate::store::orders::Scope;

/// Agents, integrators and admins see every account; an account manager their assigned ones; a
/// customer their own.
pub async fn order_scope(user: &CurrentUser) -> Result<Scope, AppError> {
    scope_in(&ctx()?.pool, user).await
}

/// `order_scope`, for handlers outside Leptos.
pub async fn scope_in(pool: &sqlx::PgPool, user: &CurrentUser) -> Result<Scope, AppError> {
    Ok(match user.role {
        Role::Admin | Role::Agent | Role::Integrator => Scope::All,
        Role::AccountManager => {
            Scope::Accounts(store::users::assigned_account_ids(pool, user.user_id).await?)
        }
        Role::Customer => Scope::Accounts(user.account_id.into_iter().collect()),
    })
}

/// Whether the role may read raw inbound messages (never customers or account managers).
pub fn may_read_raw(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Agent | Role::Integrator)
}
