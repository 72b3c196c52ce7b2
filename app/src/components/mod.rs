//! Reusable pieces of the interface.

pub mod guard;
pub mod live;
pub mod nav;
pub mod status;

pub use guard::{Guarded, SignedIn};
pub use nav::Nav;
pub use status::{action_outcome, ErrorNotice, Forbidden};
