//! Signing in and out, and who is signed in.

use crate::domain::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

/// Signs in with email and password. Open to anyone (it is how one gets a session); throttled.
#[server(prefix = "/fn", endpoint = "auth/login")]
pub async fn login(email: String, password: String) -> Result<CurrentUser, AppError> {
    use crate::auth::{ctx, session::UserSession, sign_in};
    let state = ctx()?;
    let session = UserSession::from_request().await?;
    let client_addr = crate::auth::client_addr().await;
    sign_in(&state, &session, &email, password.into(), &client_addr).await
}

/// Ends the current session. Open to anyone: signing out without a session is a no-op.
#[server(prefix = "/fn", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::auth::session::UserSession;
    let session = UserSession::from_request().await?;
    if let Some(auth) = session.auth().await? {
        tracing::info!(user.id = %auth.user_id, "signed out");
    }
    session.logout().await
}

/// The signed-in user, or `None`. Open to anyone: it reveals only the caller's own identity.
#[server(prefix = "/fn", endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    crate::auth::current_user().await
}

/// Changes the caller's own password. Any signed-in role; the current password is required (and
/// throttled like a sign-in), and the caller's other sessions end while this one stays signed in.
#[server(prefix = "/fn", endpoint = "auth/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::auth::{client_addr, ctx, require_user, session::UserSession, sign_in};
    use crate::error::FieldErrors;
    use crate::services::users;
    let user = require_user().await?;
    let state = ctx()?;
    // The same throttle as sign-in: a stolen session must not become a password-guessing oracle.
    let checked = sign_in::check_password(
        &state,
        &user.email,
        current_password.into(),
        &client_addr().await,
        "password_change.failed",
    )
    .await?;
    if checked != Some(user.user_id) {
        return Err(AppError::Validation(FieldErrors::single(
            "current_password",
            "is not your current password",
        )));
    }
    let epoch = users::set_password(
        &state.pool,
        user.user_id,
        new_password.into(),
        Some(user.user_id),
    )
    .await?;
    UserSession::from_request()
        .await?
        .set_auth_epoch(epoch)
        .await
}
