//! Signing in: throttled, one message for every failure, audited.

use super::session::UserSession;
use super::{password, throttle, AppState};
use crate::domain::CurrentUser;
use crate::error::AppError;
use crate::store;
use secrecy::SecretString;
use serde_json::json;

/// Signs a user in on `session`: throttled, one message for every failure, audited.
pub async fn sign_in(
    state: &AppState,
    session: &UserSession,
    email: &str,
    password: SecretString,
    client_addr: &str,
) -> Result<CurrentUser, AppError> {
    let email = email.trim();
    throttle::check(&state.pool, &state.auth, email, client_addr).await?;
    let credentials = store::users::find_credentials_by_email(&state.pool, email).await?;
    let (user_id, stored) = match credentials {
        Some(c) => (Some(c.user_id), Some(c.password_hash)),
        None => (None, None),
    };
    let valid = password::verify(password, stored).await?;
    let user = match (valid, user_id) {
        (true, Some(id)) => store::users::find_by_id(&state.pool, id).await?,
        _ => None,
    };
    let Some(user) = user else {
        store::login_failures::record(&state.pool, email, client_addr).await?;
        store::audit::record(
            &state.pool,
            None,
            "login.failed",
            &format!("email:{}", email.to_lowercase()),
            json!({ "client_addr": client_addr }),
        )
        .await?;
        return Err(AppError::InvalidCredentials);
    };
    session.login(user.user_id, user.auth_epoch).await?;
    store::login_failures::clear_for_email(&state.pool, email).await?;
    store::audit::record(
        &state.pool,
        Some(user.user_id),
        "login.succeeded",
        &format!("user:{}", user.user_id),
        json!({ "client_addr": client_addr }),
    )
    .await?;
    tracing::info!(user.id = %user.user_id, user.role = %user.role, "signed in");
    Ok(user.into_current())
}
