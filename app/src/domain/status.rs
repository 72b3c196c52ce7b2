//! The closed vocabularies of states: each is an enum whose words are the ones stored in the
//! database, sent as JSON and shown (with `_` as a space) on the pages. `words!` gives each enum
//! the same four things: `as_str`/`Display`, `FromStr` (an unknown word is an error that names
//! the vocabulary), serde as the word, and, on the server, `sqlx` encoding as `text` so a
//! column reads straight into the enum.
//!
//! Exception *kinds* are not here: they carry the partners' own reason codes (an open set), as
//! do job kinds, which the server's job catalogue defines.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A word that is not in a vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{word:?} is not a known {vocabulary}")]
pub struct UnknownWord {
    pub vocabulary: &'static str,
    pub word: String,
}

macro_rules! words {
    ($(#[$meta:meta])* pub enum $name:ident ($label:literal) {
        $($(#[$vmeta:meta])* $variant:ident = $word:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every word, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)*
                }
            }

            /// The word as people read it: `partial_backordered` is "partial backordered".
            pub fn label(self) -> String {
                self.as_str().replace('_', " ")
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownWord;
            fn from_str(word: &str) -> Result<Self, UnknownWord> {
                match word {
                    $($word => Ok($name::$variant),)*
                    _ => Err(UnknownWord { vocabulary: $label, word: word.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let word = String::deserialize(d)?;
                word.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "ssr")]
        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        #[cfg(feature = "ssr")]
        impl sqlx::Encode<'_, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let word = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                Ok(word.parse()?)
            }
        }
    };
}

words! {
    /// The kind of system a message comes from (`connector.kind`).
    pub enum SourceKind ("kind of system") {
        /// The ERP (Odoo): commercial facts, and the release command it asks Milepost to send.
        Erp = "erp",
        /// A warehouse management system (own or a 3PL's): warehouse execution.
        Wms = "wms",
        /// A carrier or tracking aggregator: transport milestones.
        Carrier = "carrier",
    }
}

words! {
    /// Where an order stands, in lifecycle order.
    #[derive(Default)]
    pub enum OrderStatus ("order status") {
        #[default]
        Created = "created",
        Confirmed = "confirmed",
        Released = "released",
        Acknowledged = "acknowledged",
        Allocated = "allocated",
        Picking = "picking",
        Picked = "picked",
        Packed = "packed",
        LabelCreated = "label_created",
        Rejected = "rejected",
        PartiallyShipped = "partially_shipped",
        Shipped = "shipped",
        InTransit = "in_transit",
        OutForDelivery = "out_for_delivery",
        DeliveryAttempted = "delivery_attempted",
        AvailableForPickup = "available_for_pickup",
        PartiallyDelivered = "partially_delivered",
        Delivered = "delivered",
        Returned = "returned",
        Cancelled = "cancelled",
    }
}

words! {
    /// Where an order line stands.
    #[derive(Default)]
    pub enum LineStatus ("line status") {
        #[default]
        Open = "open",
        Complete = "complete",
        /// Part shipped, the rest to follow.
        PartialBackordered = "partial_backordered",
        /// Shipped less than ordered, and final.
        Short = "short",
        /// Replaced by another line.
        Substituted = "substituted",
        Cancelled = "cancelled",
        Backordered = "backordered",
        /// The warehouse had none to ship (a 945's `W12*OS`, or the WMS contract's word).
        OutOfStock = "out_of_stock",
    }
}

impl LineStatus {
    /// Nothing more will ship on this line.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LineStatus::Complete
                | LineStatus::Short
                | LineStatus::Cancelled
                | LineStatus::Substituted
        )
    }

    /// Less shipped than ordered, for now or for good: worth telling someone.
    pub fn is_shortfall(self) -> bool {
        matches!(
            self,
            LineStatus::PartialBackordered | LineStatus::Short | LineStatus::OutOfStock
        )
    }
}

words! {
    /// Where a parcel stands.
    #[derive(Default)]
    pub enum ShipmentStatus ("shipment status") {
        LabelCreated = "label_created",
        #[default]
        Dispatched = "dispatched",
        PickedUp = "picked_up",
        InTransit = "in_transit",
        OutForDelivery = "out_for_delivery",
        AvailableForPickup = "available_for_pickup",
        DeliveryAttempted = "delivery_attempted",
        Returned = "returned",
        Delivered = "delivered",
    }
}

words! {
    /// How urgent an exception is.
    pub enum Severity ("severity") {
        Info = "info",
        Warning = "warning",
        Critical = "critical",
    }
}

words! {
    /// Which side of the business an exception belongs to.
    pub enum ExceptionDomain ("exception domain") {
        /// The warehouse's: holds, backorders, rejections, short picks.
        Fulfillment = "fulfillment",
        /// The carrier's: failed attempts, delays, returns to sender.
        Transport = "transport",
    }
}

words! {
    /// Why an SLA clock stopped counting for a while.
    pub enum PauseReason ("pause reason") {
        /// The order is held at the warehouse.
        OnHold = "on_hold",
        /// The warehouse waits for the customer (a hold whose reason names the customer).
        WaitingForCustomer = "waiting_for_customer",
        /// The consignee caused a carrier exception (refused, not home, closed).
        Consignee = "consignee",
    }
}

words! {
    /// Where a sync job stands. `succeeded`, `dead` and `cancelled` are final; a dead or cancelled
    /// job may be replayed.
    pub enum JobState ("job state") {
        Pending = "pending",
        Running = "running",
        /// An attempt failed and a retry waits for its time.
        Failed = "failed",
        Succeeded = "succeeded",
        Dead = "dead",
        Cancelled = "cancelled",
    }
}

impl JobState {
    /// May be put back in line by an operator.
    pub fn replayable(self) -> bool {
        matches!(self, JobState::Dead | JobState::Cancelled)
    }
}

words! {
    /// Where an exception case stands in the queue.
    pub enum CaseStatus ("case status") {
        Open = "open",
        Acknowledged = "acknowledged",
        Snoozed = "snoozed",
        Resolved = "resolved",
        /// Closed by Milepost because the condition went away.
        Cleared = "cleared",
    }
}

words! {
    /// Why the breach is disputed.
    pub enum DisputeReason ("dispute reason") {
        /// The carrier's scan time (or the warehouse's) is wrong: it happened earlier.
        CarrierDataWrong = "carrier_data_wrong",
        /// The consignee or the customer caused the delay.
        CustomerCaused = "customer_caused",
        /// Weather, strike, disaster: outside anyone's control.
        ForceMajeure = "force_majeure",
        /// The promise the clock measured against was not the one agreed.
        WrongPromise = "wrong_promise",
        Other = "other",
    }
}

words! {
    /// Where a dispute stands.
    pub enum DisputeState ("dispute state") {
        Open = "open",
        /// The breach stands.
        Upheld = "upheld",
        /// Left out of attainment "after excusals".
        Excused = "excused",
        /// The clock was recomputed after a correction of its stop.
        Corrected = "corrected",
    }
}

words! {
    /// Why a breach was excused.
    pub enum ExcuseReason ("excuse reason") {
        ForceMajeure = "force_majeure",
        CustomerCaused = "customer_caused",
        CarrierDataWrong = "carrier_data_wrong",
        AgreedWithCustomer = "agreed_with_customer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself_and_unknown_words_name_their_vocabulary() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in LineStatus::ALL {
            assert_eq!(s.as_str().parse::<LineStatus>(), Ok(*s));
        }
        let error = "teleported".parse::<ShipmentStatus>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"teleported\" is not a known shipment status"
        );
        assert!(serde_json::from_value::<Severity>(serde_json::json!("dire")).is_err());
    }

    #[test]
    fn final_lines_and_replayable_jobs() {
        assert!(LineStatus::Short.is_final() && !LineStatus::PartialBackordered.is_final());
        assert!(JobState::Dead.replayable() && !JobState::Running.replayable());
    }
}
