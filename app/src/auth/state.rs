//! Application state, handed to server functions as Leptos context by the router.

use super::client_addr::ClientAddrPolicy;
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Everything a request handler or server function needs. Cheap to clone.
#[derive(FromRef, Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    /// Where the read-heavy pages read (`Reads`).
    pub reads: Reads,
    pub auth: Arc<AuthConfig>,
}

/// Where the read-heavy pages (dashboard, reports, the portal, order lists) read: a streaming
/// replica while the server's monitor finds it within its lag bound, else the primary. What a
/// user just changed is read back from the primary (those pages read through `pool`).
#[derive(Clone, Debug)]
pub struct Reads {
    primary: PgPool,
    replica: Option<Replica>,
    /// Reads served by the primary and by the replica, for `/metrics`.
    served: Arc<[AtomicU64; 2]>,
}

#[derive(Clone, Debug)]
pub struct Replica {
    pub pool: PgPool,
    /// Set by the server's lag monitor: the replica is reachable and within its bound.
    pub fresh: Arc<AtomicBool>,
}

impl Reads {
    /// Every read on the primary (no replica configured).
    pub fn primary_only(primary: PgPool) -> Self {
        Self::new(primary, None)
    }

    pub fn new(primary: PgPool, replica: Option<Replica>) -> Self {
        Self {
            primary,
            replica,
            served: Arc::default(),
        }
    }

    /// The pool to read from now.
    pub fn pool(&self) -> &PgPool {
        match &self.replica {
            Some(r) if r.fresh.load(Ordering::Relaxed) => {
                self.served[1].fetch_add(1, Ordering::Relaxed);
                &r.pool
            }
            _ => {
                self.served[0].fetch_add(1, Ordering::Relaxed);
                &self.primary
            }
        }
    }

    pub fn replica(&self) -> Option<&Replica> {
        self.replica.as_ref()
    }

    /// Reads served so far by (the primary, the replica).
    pub fn served(&self) -> (u64, u64) {
        (
            self.served[0].load(Ordering::Relaxed),
            self.served[1].load(Ordering::Relaxed),
        )
    }
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
