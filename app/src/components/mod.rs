//! Reusable pieces of the interface: anything more than one page shows lives here, not in the
//! page that showed it first.

pub mod alert_banner;
pub mod auth;
pub mod badge;
pub mod disputes;
pub mod guard;
pub mod jobs;
pub mod live;
pub mod nav;
pub mod scorecards;
pub mod status;
pub mod upcoming;

pub use auth::Auth;
pub use badge::StatusBadge;
pub use disputes::DisputePanel;
pub use guard::{Guarded, SignedIn};
pub use nav::Nav;
pub use scorecards::EtaScorecards;
pub use status::{action_outcome, ErrorNotice, Forbidden};
pub use upcoming::Upcoming;
