//! The canonical event every adapter produces, and the helpers that keep their times honest.

use super::{Format, Origin};
use app::domain::event::{EventType, TimeProvenance};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Map, Value};

/// A checked canonical event.
#[derive(Debug, Clone, PartialEq)]
pub struct CanonicalEvent {
    pub id: String,
    pub source: String,
    pub event_type: EventType,
    /// The type exactly as sent (it may be a reverse-DNS, versioned name).
    pub type_name: String,
    pub subject: Option<String>,
    /// When it happened at the source, with its offset; `None` when the sender gave no time.
    pub occurred_at: Option<DateTime<FixedOffset>>,
    pub time_provenance: TimeProvenance,
    pub correlation_id: Option<String>,
    pub data: Value,
    /// The source's own words, always kept for audit and remapping.
    pub source_status: Option<SourceStatus>,
    /// Extension attributes (e.g. `tenantid`, `partitionkey`), kept for audit.
    pub extensions: Map<String, Value>,
}

/// `{system, code, text, raw_time}` (the canonical reason shape).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, Default)]
pub struct SourceStatus {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_time: Option<String>,
}

/// A time with where it came from. The ingest time never stands in for a missing one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stamp {
    pub at: Option<DateTime<FixedOffset>>,
    pub provenance: TimeProvenance,
}

impl Stamp {
    pub const UNKNOWN: Stamp = Stamp {
        at: None,
        provenance: TimeProvenance::Unknown,
    };

    /// An RFC 3339 time with its offset; anything else is unknown (kept raw in the source status).
    pub fn rfc3339(raw: Option<&str>) -> Stamp {
        match raw.and_then(|r| DateTime::parse_from_rfc3339(r.trim()).ok()) {
            Some(at) => Stamp {
                at: Some(at),
                provenance: TimeProvenance::Given,
            },
            None => Stamp::UNKNOWN,
        }
    }

    /// A time written in UTC without an offset, by a documented convention (Odoo's datetimes).
    pub fn utc_by_convention(raw: Option<&str>, formats: &[&str]) -> Stamp {
        match raw.and_then(|r| naive(r, formats)) {
            Some(at) => Stamp {
                at: Some(at.and_utc().fixed_offset()),
                provenance: TimeProvenance::Given,
            },
            None => Stamp::UNKNOWN,
        }
    }

    /// A local time without offset: placed in the facility's zone when the connector has one,
    /// and marked as assumed; without a zone it stays unknown rather than guessed.
    pub fn facility_local(raw: Option<&str>, formats: &[&str], zone: Option<Tz>) -> Stamp {
        let (Some(local), Some(zone)) = (raw.and_then(|r| naive(r, formats)), zone) else {
            return Stamp::UNKNOWN;
        };
        match zone.from_local_datetime(&local).earliest() {
            Some(at) => Stamp {
                at: Some(at.with_timezone(&at.offset().fix())),
                provenance: TimeProvenance::AssumedFacilityLocal,
            },
            None => Stamp::UNKNOWN,
        }
    }

    /// An RFC 3339 time if it has an offset, else a facility-local one.
    pub fn given_or_local(raw: Option<&str>, formats: &[&str], zone: Option<Tz>) -> Stamp {
        let given = Stamp::rfc3339(raw);
        if given.at.is_some() {
            given
        } else {
            Stamp::facility_local(raw, formats, zone)
        }
    }
}

fn naive(raw: &str, formats: &[&str]) -> Option<NaiveDateTime> {
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw.trim(), f).ok())
}

/// What an adapter knows about one event it derived from a provider's message.
pub struct Derived {
    pub id: String,
    pub event_type: EventType,
    pub subject: String,
    pub stamp: Stamp,
    pub data: Value,
    pub status: SourceStatus,
}

impl CanonicalEvent {
    /// An event derived from a provider's message.
    pub fn derived(origin: &Origin, format: Format, d: Derived) -> CanonicalEvent {
        CanonicalEvent {
            id: d.id,
            source: origin.source(format),
            event_type: d.event_type,
            type_name: d.event_type.as_str().to_string(),
            subject: Some(d.subject),
            occurred_at: d.stamp.at,
            time_provenance: d.stamp.provenance,
            correlation_id: None,
            data: d.data,
            source_status: Some(d.status),
            extensions: Map::new(),
        }
    }
}
