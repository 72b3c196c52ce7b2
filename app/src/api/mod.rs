//! Server functions, grouped by feature. Each is a public HTTP endpoint under `/fn/...`: it
//! authorizes first, then validates, then calls a plain function, then maps errors.

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod dashboard;
pub mod disputes;
pub mod exceptions;
pub mod integrations;
pub mod orders;
pub mod reports;
pub mod sla;
pub mod users;
