//! ANSI X12 interchanges (214 carrier status, 945 warehouse shipping advice, 856 ship notice):
//! the envelope parser. Mapping the transaction sets to canonical events comes with the event
//! store; this layer guarantees that what it hands on is a complete, correctly counted
//! interchange, or says exactly where it is not.

mod envelope;

pub use envelope::{parse, FunctionalGroup, Interchange, Segment, TransactionSet, X12Error};
