//! Benchmarks run as `milepost bench ...`, against a scratch database, with numbers printed.

pub mod ingest;
