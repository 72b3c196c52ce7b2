//! The `milepost` binary's library: settings, start-up, HTTP layers, the embedded Postgres,
//! background workers and the command-line commands. The web application itself is the `app`
//! crate.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod database;
pub mod demo;
pub mod http;
pub mod ingest;
pub mod pg;
pub mod settings;
pub mod simulators;
pub mod sla;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod workers;
