//! Ingest: everything that turns an inbound message into canonical events. `http` is the API,
//! `api_keys` and `signature` authenticate (`directory` caches keys and connectors), `adapters` read each source format, `pipeline` stores
//! the raw message and its events in one statement (`writer` groups concurrent messages), and `projector` folds the orders touched.

pub mod adapters;
pub mod api_keys;
pub mod connector;
pub mod directory;
pub mod error;
pub mod http;
pub mod openapi;
pub mod pipeline;
pub mod projector;
pub mod setup;
pub mod signature;
pub mod writer;
