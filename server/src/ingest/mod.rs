//! Intake: everything that turns an inbound message into stored canonical events. `http` is the
//! API, `api_keys` and `signature` authenticate (`directory` caches keys and connectors),
//! `adapters` read each source format, `pipeline` stores the raw message and its events in one
//! statement (`writer` groups concurrent messages) and queues them for the projector, and
//! `reads` stores what jobs read from a partner through the same pipeline. Intake imports
//! neither the projector nor sync.

pub mod adapters;
pub mod api_keys;
pub mod connector;
pub mod directory;
pub mod error;
pub mod http;
pub mod limits;
pub mod openapi;
pub mod pipeline;
pub mod reads;
pub mod setup;
pub mod signature;
pub mod writer;
