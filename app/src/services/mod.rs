//! Server-only: one service per feature, the plain functions server functions call once the
//! caller is allowed (`auth`): they validate, call the store, and shape what the page shows.
//! Compiled only with feature `ssr`.

pub mod accounts;
pub mod alerts;
pub mod csv_export;
pub mod dashboard;
pub mod db_error;
pub mod disputes;
pub mod exceptions;
pub mod exports;
pub mod integrations;
pub mod orders;
pub mod reports;
pub mod scorecards;
pub mod sla;
pub mod users;
