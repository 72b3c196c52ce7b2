//! One file per route.

pub mod account;
pub mod admin;
pub mod admin_sla;
pub mod alerts;
pub mod dashboard;
pub mod evidence;
pub mod exceptions;
pub mod integrations;
pub mod landing;
pub mod login;
pub mod not_found;
pub mod order_detail;
pub mod orders;
pub mod reports;
