//! The `milepost` binary's library. The stages a message passes, each importing only those
//! before it: `ingest` (intake) → `projector` → `sync`, with `jobs` (the job catalogue),
//! `connectors` (one folder per external system), `signing`, `attempt` and `store` (the server's
//! SQL) below them; `sla` measures what the projector folds. Around them: settings, start-up,
//! HTTP layers, the embedded Postgres, the workers and the command line. The web application
//! itself is the `app` crate. `docs/ARCHITECTURE.md` draws the picture.
//!
//! The demo, the stand-ins of Odoo, the WMS and the carriers, and the benchmarks are behind the
//! `tools` feature: `make demo`, `make bench` and the tests turn it on; the serving binary
//! (`make run`, a release build) does not carry them.

pub mod alerts;
pub mod attempt;
#[cfg(feature = "tools")]
pub mod bench;
pub mod cli;
pub mod commands;
pub mod connectors;
pub mod correlation;
pub mod database;
#[cfg(feature = "tools")]
pub mod demo;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod pg;
pub mod projector;
pub mod retention;
pub mod secrets;
pub mod settings;
pub mod signing;
#[cfg(feature = "tools")]
pub mod simulators;
pub mod sla;
pub mod startup;
pub mod store;
pub mod supervisor;
pub mod sync;
pub mod telemetry;
pub mod workers;
