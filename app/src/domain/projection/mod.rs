//! The order projection: a pure function of the set of an order's events.
//!
//! Arrival order never matters: the fold first puts events in one canonical order (time they
//! happened, then lifecycle stage, then identity), drops repeated identities, and only then walks
//! them. So any permutation of the same events, with any duplicates, gives the same order; the
//! property tests in `tests.rs` hold it to that. A late event lands where it belongs in time, and
//! nothing moves a delivered shipment back: such an event is kept with the verdict `superseded`.

mod fold;
mod json;
pub mod model;
#[cfg(test)]
mod tests;

pub use fold::fold;
pub use model::*;

/// Every order status, in lifecycle order, for filters and badges.
pub const ORDER_STATUSES: &[&str] = &[
    "created",
    "confirmed",
    "released",
    "acknowledged",
    "allocated",
    "picking",
    "picked",
    "packed",
    "label_created",
    "rejected",
    "partially_shipped",
    "shipped",
    "in_transit",
    "out_for_delivery",
    "delivery_attempted",
    "available_for_pickup",
    "partially_delivered",
    "delivered",
    "returned",
    "cancelled",
];
