//! The canonical event vocabulary: every type Milepost records, which system owns
//! it, and the words used for an event's disposition and the provenance of its time. Pure, so the
//! browser shows the same names the server stores.
//!
//! Groundwork for the event store: adapters map each source's codes onto [`EventType`], and the
//! ownership rule ([`EventType::owner`]) decides whether a source may emit a type at all.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use super::status::SourceKind;

macro_rules! event_types {
    ($($variant:ident => $name:literal, $owner:ident;)+) => {
        /// Every canonical event type, named as `<aggregate>.<what happened>`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum EventType { $($variant,)+ }

        impl EventType {
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)+];

            /// The stored name, e.g. `shipment.delivered`.
            pub fn as_str(self) -> &'static str {
                match self { $(EventType::$variant => $name,)+ }
            }

            /// The one kind of system allowed to emit this type; others are rejected.
            pub fn owner(self) -> SourceKind {
                match self { $(EventType::$variant => SourceKind::$owner,)+ }
            }
        }
    };
}

event_types! {
    // Commercial: the ERP owns these.
    OrderCreated => "order.created", Erp;
    OrderUpdated => "order.updated", Erp;
    OrderConfirmed => "order.confirmed", Erp;
    OrderCancelled => "order.cancelled", Erp;
    // The command to the warehouse, issued on the ERP's behalf.
    OrderReleaseRequested => "order.release_requested", Erp;
    // Fulfillment: the WMS owns these.
    OrderAcknowledged => "order.acknowledged", Wms;
    OrderRejected => "order.rejected", Wms;
    OrderOnHold => "order.on_hold", Wms;
    OrderHoldReleased => "order.hold_released", Wms;
    OrderAllocated => "order.allocated", Wms;
    OrderBackordered => "order.backordered", Wms;
    OrderPickStarted => "order.pick_started", Wms;
    OrderPicked => "order.picked", Wms;
    OrderPacked => "order.packed", Wms;
    LineSubstituted => "line.substituted", Wms;
    LineCancelled => "line.cancelled", Wms;
    ShipmentLabelCreated => "shipment.label_created", Wms;
    ShipmentDispatched => "shipment.dispatched", Wms;
    OrderFulfillmentException => "order.fulfillment_exception", Wms;
    // Transport: the carrier owns these.
    ShipmentPickedUp => "shipment.picked_up", Carrier;
    ShipmentInTransit => "shipment.in_transit", Carrier;
    ShipmentEtaUpdated => "shipment.eta_updated", Carrier;
    ShipmentDelayed => "shipment.delayed", Carrier;
    ShipmentOutForDelivery => "shipment.out_for_delivery", Carrier;
    ShipmentDeliveryAttempted => "shipment.delivery_attempted", Carrier;
    ShipmentAvailableForPickup => "shipment.available_for_pickup", Carrier;
    ShipmentDelivered => "shipment.delivered", Carrier;
    ShipmentException => "shipment.exception", Carrier;
    ShipmentReturnedToSender => "shipment.returned_to_sender", Carrier;
    // Inventory and returns: the warehouse counts and receives; the ERP authorizes returns.
    InventorySnapshot => "inventory.snapshot", Wms;
    InventoryAdjusted => "inventory.adjusted", Wms;
    ReturnAuthorized => "return.authorized", Erp;
    ReturnReceived => "return.received", Wms;
    ReturnCompleted => "return.completed", Wms;
}

impl EventType {
    /// Whether a parcel's journey to the consignee ends here: delivered, or sent back.
    pub fn ends_journey(self) -> bool {
        matches!(
            self,
            EventType::ShipmentDelivered | EventType::ShipmentReturnedToSender
        )
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A type name that is not canonical.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown event type `{0}`")]
pub struct UnknownEventType(pub String);

impl FromStr for EventType {
    type Err = UnknownEventType;

    /// Accepts the bare name (`order.allocated`) and the CloudEvents reverse-DNS, versioned form
    /// senders often use (`com.acme.fulfillment.order.allocated.v1`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unversioned = match s.rsplit_once('.') {
            Some((head, v))
                if v.len() > 1
                    && v.starts_with('v')
                    && v[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                head
            }
            _ => s,
        };
        EventType::ALL
            .iter()
            .copied()
            .find(|t| {
                unversioned == t.as_str() || unversioned.ends_with(&format!(".{}", t.as_str()))
            })
            .ok_or_else(|| UnknownEventType(s.to_string()))
    }
}

/// What the event store did with an event, always stored with the reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Changed the projections.
    Applied,
    /// Recorded but changes nothing, because newer state wins (e.g. in transit after delivered).
    Superseded,
    /// The same message again.
    Duplicate,
    /// Refused (e.g. a source emitting a type it does not own); kept for an integrator to see.
    Rejected,
    /// Kept, waiting for the order (or the shipment) it refers to; applied when that arrives.
    Pending,
}

impl Disposition {
    pub const ALL: &'static [Disposition] = &[
        Disposition::Applied,
        Disposition::Superseded,
        Disposition::Duplicate,
        Disposition::Rejected,
        Disposition::Pending,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Applied => "applied",
            Disposition::Superseded => "superseded",
            Disposition::Duplicate => "duplicate",
            Disposition::Rejected => "rejected",
            Disposition::Pending => "pending",
        }
    }

    pub fn parse(word: &str) -> Option<Disposition> {
        Disposition::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == word)
    }
}

/// Where an event's `occurred_at` came from. The ingest time never silently stands in for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeProvenance {
    /// The source gave the time with its offset.
    Given,
    /// The source gave a local time without offset; the facility's time zone was assumed.
    AssumedFacilityLocal,
    /// The source gave no usable time.
    Unknown,
}

impl TimeProvenance {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeProvenance::Given => "given",
            TimeProvenance::AssumedFacilityLocal => "assumed_facility_local",
            TimeProvenance::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>(), Ok(*t));
        }
    }

    #[test]
    fn reverse_dns_versioned_names_are_understood() {
        assert_eq!(
            "com.acme.fulfillment.order.allocated.v1".parse(),
            Ok(EventType::OrderAllocated)
        );
        assert_eq!(
            "com.acme.transport.shipment.delivered.v12".parse(),
            Ok(EventType::ShipmentDelivered)
        );
    }

    #[test]
    fn a_name_that_only_resembles_a_type_is_unknown() {
        assert!("order.allocatedx".parse::<EventType>().is_err());
        assert!("shipment.teleported".parse::<EventType>().is_err());
        assert!("xorder.allocated".parse::<EventType>().is_err());
    }

    #[test]
    fn each_family_has_its_owner() {
        assert_eq!(EventType::OrderConfirmed.owner(), SourceKind::Erp);
        assert_eq!(EventType::ShipmentDispatched.owner(), SourceKind::Wms);
        assert_eq!(EventType::ShipmentDelivered.owner(), SourceKind::Carrier);
        assert_eq!(EventType::ReturnAuthorized.owner(), SourceKind::Erp);
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
    }
}
