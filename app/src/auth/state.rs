//! Application state, handed to server functions as Leptos context by the router.

use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

/// Everything a request handler or server function needs. Cheap to clone.
#[derive(FromRef, Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub auth: Arc<AuthConfig>,
}

/// Session and sign-in rules, built from the settings by the server. (The idle timeout is the
/// session layer's expiry, set where the layer is built.)
#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// A session ends this long after sign-in, however active.
    pub absolute_timeout: Duration,
    /// Failed sign-ins allowed per email and per client address within `throttle_window`.
    pub throttle_max_failures: i64,
    pub throttle_window: Duration,
    /// Header carrying the client address when behind a proxy (e.g. `x-forwarded-for`).
    pub client_ip_header: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            throttle_max_failures: 5,
            throttle_window: Duration::from_secs(15 * 60),
            client_ip_header: None,
        }
    }
}

/// The application state of the current request. Fails only when the router was built without it,
/// which is a programming error, so it is reported as `Internal`.
pub fn ctx() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}
