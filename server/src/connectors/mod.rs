//! One folder per external system the sync engine writes to or reads from. Each turns its
//! system's answers into `JobError`s the runner understands (retry or give up). `outbound` reads
//! each connector's settings into the endpoint its queue calls. `http` is the guarded client
//! every outbound call goes through (no redirects, public targets only unless allowed).

pub mod alerts;
pub mod http;
pub mod odoo;
pub mod outbound;
pub mod webhooks;
pub mod wms;
