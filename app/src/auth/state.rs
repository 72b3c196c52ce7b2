//! Application state, handed to server functions as Leptos context by the router.

use super::client_addr::ClientAddrPolicy;
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

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
    /// Where the client's address comes from (the TCP peer, or a trusted proxy's header).
    pub client_addr: ClientAddrPolicy,
    /// Password hashing uses 19 MiB and a core for a good fraction of a second: at most this many
    /// run at once in this process, and a sign-in that finds none free is refused with 429
    /// rather than queued (a queue of hashes is how a flood of sign-ins exhausts memory).
    pub password_slots: Arc<Semaphore>,
}

/// Concurrent password hashes per process by default: one per core, at least two.
pub fn default_password_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            throttle_max_failures: 5,
            throttle_window: Duration::from_secs(15 * 60),
            client_addr: ClientAddrPolicy::default(),
            password_slots: Arc::new(Semaphore::new(default_password_slots())),
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
