//! Ingest: everything that turns an inbound message into canonical events. Handlers, key and
//! signature checks and the inbox arrive with the event store; the format adapters start here.

pub mod adapters;
