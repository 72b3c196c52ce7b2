//! Server-only: who is calling and may they. Shared state handed to server functions, the typed
//! session, the role checks every server function starts with, sign-in with its password hashing
//! and throttling, the account scope of a user's queries, and the CSP nonce. Compiled only with
//! feature `ssr`. What each feature does once the caller is allowed is `services`.

mod check;
pub mod client_addr;
pub mod csp;
pub mod password;
pub mod scope;
pub mod session;
pub mod sign_in;
pub mod state;
pub mod throttle;

pub use check::{client_addr, current_user, require_role, require_user, resolve};
pub use sign_in::sign_in;
pub use state::{ctx, AppState, AuthConfig};
