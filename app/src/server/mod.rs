//! Server-only plumbing for server functions: shared state, the typed session, authentication and
//! role checks, password hashing and sign-in throttling. Compiled only with feature `ssr`.

pub mod accounts;
pub mod auth;
pub mod csp;
pub mod dashboard;
mod db_error;
pub mod exceptions;
pub mod integrations;
pub mod orders;
pub mod password;
pub mod scope;
pub mod session;
pub mod sla;
pub mod state;
pub mod throttle;
pub mod users;

pub use auth::{current_user, require_role, require_user};
pub use state::{ctx, AppState, AuthConfig};
