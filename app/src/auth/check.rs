//! Who is calling, and may they? Every server function starts with one of these checks.

use super::session::UserSession;
use super::{ctx, AppState};
use crate::domain::{CurrentUser, Role};
use crate::error::AppError;
use crate::store;
use chrono::Utc;
use leptos::prelude::use_context;

/// The signed-in user of this request, or `None` when nobody is signed in or the session has
/// ended (absolute timeout, password or role changed since sign-in). An ended session is flushed.
pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let state = ctx()?;
    let session = UserSession::from_request().await?;
    resolve(&state, &session).await
}

/// The signed-in user, or `Unauthorized`.
pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or(AppError::Unauthorized)
}

/// The signed-in user if their role is one of `roles`: `Unauthorized` when nobody is signed in,
/// `Forbidden` when the role is not allowed.
pub async fn require_role(roles: &[Role]) -> Result<CurrentUser, AppError> {
    let user = require_user().await?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        tracing::info!(user.id = %user.user_id, user.role = %user.role, "role not allowed");
        Err(AppError::Forbidden)
    }
}

/// The signed-in user of `session`, as `current_user` finds it (for handlers outside Leptos).
pub async fn resolve(
    state: &AppState,
    session: &UserSession,
) -> Result<Option<CurrentUser>, AppError> {
    let Some(auth) = session.auth().await? else {
        return Ok(None);
    };
    let age = Utc::now() - auth.signed_in_at;
    let expired = age
        .to_std()
        .map(|a| a > state.auth.absolute_timeout)
        .unwrap_or(false);
    let user = store::users::find_by_id(&state.pool, auth.user_id).await?;
    match user {
        Some(user)
            if !expired && user.auth_epoch == auth.auth_epoch && user.disabled_at.is_none() =>
        {
            session.touch(&auth).await?;
            Ok(Some(user.into_current()))
        }
        _ => {
            tracing::info!(user.id = %auth.user_id, expired, "session ended");
            session.logout().await?;
            Ok(None)
        }
    }
}

/// The client's address for throttling: the TCP peer, or the right-most untrusted hop of the
/// configured header when the peer is a trusted proxy (`client_addr.rs`).
pub async fn client_addr() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let Ok(ConnectInfo(peer)) = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await else {
        return "unknown".to_string();
    };
    let Ok(state) = ctx() else {
        return peer.ip().to_string();
    };
    match use_context::<http::request::Parts>() {
        Some(parts) => state
            .auth
            .client_addr
            .resolve(peer.ip(), &parts.headers)
            .to_string(),
        None => peer.ip().to_string(),
    }
}
