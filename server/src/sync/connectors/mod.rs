//! One folder per external system the sync engine writes to or reads from. Each turns its
//! system's answers into `JobError`s the runner understands (retry or give up).

pub mod odoo;
pub mod wms;
