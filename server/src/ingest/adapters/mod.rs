//! One adapter per source format. Each turns a message's bytes into canonical events, the id
//! that makes the message idempotent (when the provider gives one), and the codes it did not
//! know. Adapters are pure: no database, no clock; the pipeline does the rest.

pub mod aftership;
pub mod canonical;
#[cfg(test)]
mod code_rows;
pub mod easypost;
mod event;
#[cfg(any(test, feature = "tools"))]
pub mod fuzzing;
pub mod milepost_wms;
pub mod odoo;
pub mod shipbob;
pub mod shiphero;
pub mod shippo;
pub mod x12;

pub use crate::connectors::odoo::RecordRef;

pub use event::{CanonicalEvent, SourceStatus, Stamp};

use app::domain::event::EventType;
use chrono_tz::Tz;

/// The formats Milepost reads; a connector speaks exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Canonical,
    Odoo,
    MilepostWms,
    ShipHero,
    ShipBob,
    EasyPost,
    Shippo,
    AfterShip,
    X12,
}

impl Format {
    pub const ALL: &'static [Format] = &[
        Format::Canonical,
        Format::Odoo,
        Format::MilepostWms,
        Format::ShipHero,
        Format::ShipBob,
        Format::EasyPost,
        Format::Shippo,
        Format::AfterShip,
        Format::X12,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Canonical => "canonical",
            Format::Odoo => "odoo",
            Format::MilepostWms => "milepost_wms",
            Format::ShipHero => "shiphero",
            Format::ShipBob => "shipbob",
            Format::EasyPost => "easypost",
            Format::Shippo => "shippo",
            Format::AfterShip => "aftership",
            Format::X12 => "x12",
        }
    }

    pub fn parse(word: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.as_str() == word)
    }
}

/// What an adapter knows about the connector that sent the message.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The connector's name, used in event sources and derived ids.
    pub connector: String,
    /// The facility's zone, for times written without an offset.
    pub time_zone: Option<Tz>,
    /// The warehouse a WMS connector speaks for.
    pub warehouse_code: Option<String>,
}

impl Origin {
    /// The CloudEvents `source` of events an adapter derives.
    pub fn source(&self, format: Format) -> String {
        format!("urn:milepost:{}:{}", format.as_str(), self.connector)
    }
}

/// A source code no mapping table knows: kept, mapped to the nearest safe type or to none, listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownCode {
    /// Where the code was, e.g. `status_detail` or `AT701`.
    pub field: String,
    pub code: String,
    pub mapped_to: Option<EventType>,
}

/// Who must make the next move after a carrier's scan. The consignee's moves (collect a parcel,
/// be home for a second attempt, pay) pause the SLA clocks: the fold reads `action_owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Carrier,
    Consignee,
}

impl Owner {
    /// Writes the owner on an event's data when it is the consignee (the carrier's move is the
    /// default and is not written).
    pub fn mark(self, data: &mut serde_json::Value) {
        if self == Owner::Consignee {
            data["action_owner"] = serde_json::json!("consignee");
        }
    }
}

/// Looks `code` up in a format's mapping table. A code the table lacks is reported as unknown,
/// with `fallback` as what it was mapped to meanwhile, and gives `None`.
pub fn look_up<T: Copy>(
    table: &[(&str, T)],
    field: &str,
    code: &str,
    fallback: Option<EventType>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<T> {
    let found = table.iter().find(|(c, _)| *c == code).map(|(_, t)| *t);
    if found.is_none() {
        unknown.push(UnknownCode {
            field: field.into(),
            code: code.into(),
            mapped_to: fallback,
        });
    }
    found
}

/// An adapter's result.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The provider's message id, when it gives one; otherwise the pipeline derives one.
    pub message_id: Option<String>,
    pub events: Vec<CanonicalEvent>,
    pub unknown_codes: Vec<UnknownCode>,
    /// Records the sender only pointed at (an Odoo automation-rule webhook): the sync engine
    /// reads each one, deduplicated, when Milepost calls this connector's system.
    pub reads: Vec<RecordRef>,
    /// For formats whose message id is a sender's counter that may wrap or reset (X12's sender
    /// and control number): that id without the content, so intake can tell a redelivery (same
    /// content) from a reuse (different content) of it.
    pub envelope_id: Option<String>,
}

/// Why a message cannot be read. Each maps to one HTTP status (see `ingest::error`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// 400: not UTF-8, not JSON, not an X12 envelope.
    #[error("malformed: {0}")]
    Malformed(String),
    /// 413: more events than one request may carry.
    #[error("the batch has {count} events; the limit is {limit}")]
    TooMany { count: usize, limit: usize },
    /// 422: readable, but breaks a rule; `location` names the field, event or segment.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

impl AdapterError {
    pub fn invalid(location: impl Into<String>, message: impl Into<String>) -> Self {
        AdapterError::Invalid {
            location: location.into(),
            message: message.into(),
        }
    }
}

/// Reads a JSON body, refusing non-UTF-8 bytes and bad JSON with the place it went wrong.
pub fn json_body(body: &[u8]) -> Result<serde_json::Value, AdapterError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        AdapterError::Malformed(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    serde_json::from_str(text).map_err(|e| AdapterError::Malformed(format!("not JSON: {e}")))
}

/// Dispatches to the adapter of `format`.
pub fn parse(format: Format, origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    match format {
        Format::Canonical => canonical::parse_message(body, canonical::BATCH_LIMIT),
        Format::Odoo => odoo::parse(origin, body),
        Format::MilepostWms => milepost_wms::parse(origin, body),
        Format::ShipHero => shiphero::parse(origin, body),
        Format::ShipBob => shipbob::parse(origin, body),
        Format::EasyPost => easypost::parse(origin, body),
        Format::Shippo => shippo::parse(origin, body),
        Format::AfterShip => aftership::parse(origin, body),
        Format::X12 => x12::parse_message(origin, body),
    }
}

#[cfg(test)]
mod fuzz {
    //! No parser panics, whatever the bytes: random bytes, random JSON, and fixtures with random
    //! bytes changed, fed to every format's adapter.
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    const FIXTURES: &[&str] = &[
        include_str!("../../../tests/fixtures/carriers/easypost_tracker_updated.json"),
        include_str!("../../../tests/fixtures/carriers/shippo_track_updated.json"),
        include_str!("../../../tests/fixtures/carriers/aftership_tracking_update.json"),
        include_str!("../../../tests/fixtures/wms/shiphero_shipment_update.json"),
        include_str!("../../../tests/fixtures/wms/shiphero_order_allocated.json"),
        include_str!("../../../tests/fixtures/wms/shipbob_order_shipped.json"),
        include_str!("../../../tests/fixtures/x12/945_partial_backorder.edi"),
        include_str!("../../../tests/fixtures/x12/214_ltl_multistop.edi"),
        include_str!("../../../tests/fixtures/x12/856_asn.edi"),
        include_str!("../../../tests/fixtures/canonical/examples.jsonl"),
    ];

    fn origin() -> Origin {
        Origin {
            connector: "fuzz".into(),
            time_zone: Some(chrono_tz::Europe::Berlin),
            warehouse_code: Some("W".into()),
        }
    }

    fn every_format(body: &[u8]) {
        for format in Format::ALL {
            let _ = parse(*format, &origin(), body);
        }
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z0-9_ :.+-]{0,24}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("_model".to_string()),
                        Just("state".to_string()),
                        Just("result".to_string()),
                        Just("tracking_details".to_string()),
                        Just("msg".to_string()),
                        Just("data".to_string()),
                        Just("webhook_type".to_string()),
                        Just("topic".to_string()),
                        "[a-z_]{1,12}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            every_format(&bytes);
        }

        #[test]
        fn random_json(value in json()) {
            every_format(value.to_string().as_bytes());
        }

        #[test]
        fn fixtures_with_bytes_changed(
            which in 0..FIXTURES.len(),
            changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        ) {
            let mut body = FIXTURES[which].as_bytes().to_vec();
            for (at, byte) in changes {
                let i = at.index(body.len());
                body[i] = byte;
            }
            every_format(&body);
        }
    }

    /// How many mutated messages each parser gets (`cargo test` runs them all).
    pub(crate) const CASES_PER_PARSER: u32 = 1000;

    use super::fuzzing::{mutated, seed};

    macro_rules! per_parser {
        ($($name:ident => $format:expr),+ $(,)?) => {
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(CASES_PER_PARSER))]
                $(
                    #[test]
                    fn $name(body in mutated($format)) {
                        // Never a panic; an answer either way.
                        let _ = parse($format, &origin(), &body);
                    }
                )+
            }
        };
    }

    per_parser! {
        canonical_cloudevents_mutated => Format::Canonical,
        odoo_mutated => Format::Odoo,
        milepost_wms_contract_mutated => Format::MilepostWms,
        shiphero_mutated => Format::ShipHero,
        shipbob_mutated => Format::ShipBob,
        easypost_mutated => Format::EasyPost,
        shippo_mutated => Format::Shippo,
        aftership_mutated => Format::AfterShip,
        x12_mutated => Format::X12,
    }

    #[test]
    fn every_seed_parses_as_it_is() {
        for format in Format::ALL {
            let seed = seed(*format);
            assert!(
                parse(*format, &origin(), seed.as_bytes()).is_ok(),
                "{format:?}: {:?}",
                parse(*format, &origin(), seed.as_bytes()).err()
            );
        }
    }
}
