//! One adapter per source format. Each turns a message's bytes into canonical events, the id
//! that makes the message idempotent (when the provider gives one), and the codes it did not
//! know. Adapters are pure: no database, no clock; the pipeline does the rest.

pub mod aftership;
pub mod canonical;
pub mod easypost;
mod event;
pub mod milepost_wms;
pub mod odoo;
pub mod shipbob;
pub mod shiphero;
pub mod shippo;
pub mod x12;

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

/// An adapter's result.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The provider's message id, when it gives one; otherwise the pipeline derives one.
    pub message_id: Option<String>,
    pub events: Vec<CanonicalEvent>,
    pub unknown_codes: Vec<UnknownCode>,
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
