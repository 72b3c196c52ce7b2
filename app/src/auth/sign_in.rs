//! Signing in: throttled before any hashing, bounded in concurrent hashing, one message for every
//! failure, audited.

use super::session::UserSession;
use super::{password, throttle, AppState};
use crate::domain::CurrentUser;
use crate::error::AppError;
use crate::store;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

/// Checks `password` for `email` as one throttled attempt from `client_addr`: recorded before the
/// hash runs (`throttle.rs`), run in one of the process's hashing slots. Returns the user's id
/// when it is right; a wrong password stays recorded as a failure and is audited as `what`.
pub async fn check_password(
    state: &AppState,
    email: &str,
    password: SecretString,
    client_addr: &str,
    what: &str,
) -> Result<Option<Uuid>, AppError> {
    let admitted = throttle::admit(&state.pool, &state.auth, email, client_addr).await?;
    let credentials = store::users::find_credentials_by_email(&state.pool, email).await?;
    let (user_id, stored) = match credentials {
        Some(c) => (Some(c.user_id), Some(c.password_hash)),
        None => (None, None),
    };
    let valid = match password::verify(&state.auth.password_slots, password, stored).await {
        Ok(valid) => valid,
        Err(e) => {
            // No guess was made (no slot, or a fault): the attempt must not count.
            throttle::forgive_unchecked(&state.pool, admitted).await?;
            return Err(e);
        }
    };
    match (valid, user_id) {
        (true, Some(id)) => {
            throttle::forgive(&state.pool, admitted, email).await?;
            Ok(Some(id))
        }
        _ => {
            store::audit::record(
                &state.pool,
                None,
                what,
                &format!("email:{}", email.to_lowercase()),
                json!({ "client_addr": client_addr }),
            )
            .await?;
            Ok(None)
        }
    }
}

/// Signs a user in on `session`. Every failure (unknown email, wrong password, disabled user)
/// gets the same answer.
pub async fn sign_in(
    state: &AppState,
    session: &UserSession,
    email: &str,
    password: SecretString,
    client_addr: &str,
) -> Result<CurrentUser, AppError> {
    let email = email.trim();
    let user_id = check_password(state, email, password, client_addr, "login.failed").await?;
    let user = match user_id {
        Some(id) => store::users::find_by_id(&state.pool, id).await?,
        None => None,
    };
    let Some(user) = user else {
        return Err(AppError::InvalidCredentials);
    };
    if user.disabled_at.is_some() {
        // The same answer as any failure; the attempt is audited so an admin sees it.
        store::audit::record(
            &state.pool,
            None,
            "login.refused_disabled",
            &format!("user:{}", user.user_id),
            json!({ "client_addr": client_addr }),
        )
        .await?;
        return Err(AppError::InvalidCredentials);
    }
    session.login(user.user_id, user.auth_epoch).await?;
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
