//! Pure types and rules shared by the server and the browser.

pub mod alerts;
pub mod carrier;
pub mod dashboard;
pub mod display;
pub mod disputes;
pub mod event;
pub mod exceptions;
pub mod integrations;
pub mod orders;
pub mod projection;
pub mod reports;
pub mod role;
pub mod scorecards;
pub mod sla;
pub mod status;
pub mod user;

pub use role::{Role, Section};
pub use user::{AccountSummary, CurrentUser, UserSummary};
