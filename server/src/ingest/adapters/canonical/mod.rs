//! Milepost's own format: CloudEvents 1.0 in structured JSON, one event
//! (`application/cloudevents+json`) or a batch (`application/cloudevents-batch+json`).
//!
//! This layer turns bytes into checked [`CanonicalEvent`]s or an error that names the event (by
//! its index in a batch) and the field. Storing, idempotency and ownership come with the event
//! store.

use super::{AdapterError, CanonicalEvent, Parsed, SourceStatus};
use app::domain::event::{EventType, TimeProvenance};
use chrono::DateTime;
use serde_json::{Map, Value};

/// The most events one batch may carry.
pub const BATCH_LIMIT: usize = 1000;

/// Extension attributes Milepost reads itself; other extensions are kept as they came.
const CORRELATION_ID: &str = "correlationid";

/// Why a body was refused; each maps to one HTTP status in the ingest API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// 400: not UTF-8, not JSON, or not the expected JSON shape.
    #[error("malformed body: {0}")]
    Malformed(String),
    /// 413: more events in one batch than allowed.
    #[error("the batch has {count} events; the limit is {limit}")]
    BatchTooLarge { count: usize, limit: usize },
    /// 422: an event breaks a rule; `index` is its place in a batch.
    #[error("{}{field}: {message}", index.map(|i| format!("event {i}: ")).unwrap_or_default())]
    Invalid {
        index: Option<usize>,
        field: String,
        message: String,
    },
}

impl From<CanonicalError> for AdapterError {
    fn from(e: CanonicalError) -> Self {
        match e {
            CanonicalError::Malformed(m) => AdapterError::Malformed(m),
            CanonicalError::BatchTooLarge { count, limit } => {
                AdapterError::TooMany { count, limit }
            }
            CanonicalError::Invalid {
                index,
                field,
                message,
            } => AdapterError::Invalid {
                location: match index {
                    Some(i) => format!("event {i}: {field}"),
                    None => field,
                },
                message,
            },
        }
    }
}

/// A canonical message whose shape says what it is: an array is a batch, an object one event.
/// Used where no content type tells them apart (a signed canonical webhook).
pub fn parse_message(body: &[u8], limit: usize) -> Result<Parsed, AdapterError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let events = if first == Some(&b'[') {
        parse_batch(body, limit)?
    } else {
        vec![parse_single(body)?]
    };
    Ok(Parsed {
        events,
        ..Parsed::default()
    })
}

/// One structured event.
pub fn parse_single(body: &[u8]) -> Result<CanonicalEvent, CanonicalError> {
    match json(body)? {
        Value::Object(object) => event(object, None),
        _ => Err(CanonicalError::Malformed(
            "expected one JSON object (a CloudEvent)".into(),
        )),
    }
}

/// A batch of structured events, at most `limit`. Any invalid event refuses the whole batch, so
/// nothing is half-applied.
pub fn parse_batch(body: &[u8], limit: usize) -> Result<Vec<CanonicalEvent>, CanonicalError> {
    let Value::Array(items) = json(body)? else {
        return Err(CanonicalError::Malformed(
            "expected a JSON array of CloudEvents".into(),
        ));
    };
    if items.is_empty() {
        return Err(CanonicalError::Invalid {
            index: None,
            field: "batch".into(),
            message: "is empty".into(),
        });
    }
    if items.len() > limit {
        return Err(CanonicalError::BatchTooLarge {
            count: items.len(),
            limit,
        });
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(object) => event(object, Some(i)),
            _ => Err(CanonicalError::Invalid {
                index: Some(i),
                field: "event".into(),
                message: "is not a JSON object".into(),
            }),
        })
        .collect()
}

fn json(body: &[u8]) -> Result<Value, CanonicalError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        CanonicalError::Malformed(format!("the body is not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    serde_json::from_str(text).map_err(|e| CanonicalError::Malformed(format!("not JSON: {e}")))
}

fn event(
    mut object: Map<String, Value>,
    index: Option<usize>,
) -> Result<CanonicalEvent, CanonicalError> {
    let invalid = |field: &str, message: &str| CanonicalError::Invalid {
        index,
        field: field.to_string(),
        message: message.to_string(),
    };
    let text = |object: &mut Map<String, Value>,
                field: &str,
                required: bool|
     -> Result<Option<String>, CanonicalError> {
        match object.remove(field) {
            None | Some(Value::Null) if required => Err(invalid(field, "is required")),
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => {
                Err(invalid(field, "must not be empty"))
            }
            Some(Value::String(s)) if s.chars().any(is_forbidden_in_attributes) => Err(invalid(
                field,
                "must not contain control characters (CloudEvents: U+0000-U+001F, U+007F-U+009F)",
            )),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(field, "must be a string")),
        }
    };
    let specversion = text(&mut object, "specversion", true)?.unwrap_or_default();
    if specversion != "1.0" {
        return Err(invalid(
            "specversion",
            &format!("must be \"1.0\", not {specversion:?}"),
        ));
    }
    let id = text(&mut object, "id", true)?.unwrap_or_default();
    let source = text(&mut object, "source", true)?.unwrap_or_default();
    let type_name = text(&mut object, "type", true)?.unwrap_or_default();
    let event_type = type_name.parse::<EventType>().map_err(|e| {
        invalid(
            "type",
            &format!("{e}; the canonical event types are listed in docs/events.md"),
        )
    })?;
    let subject = text(&mut object, "subject", false)?;
    let (occurred_at, time_provenance) = match text(&mut object, "time", false)? {
        None => (None, TimeProvenance::Unknown),
        Some(time) => {
            let parsed = DateTime::parse_from_rfc3339(&time).map_err(|_| {
                invalid("time", &format!("{time:?} is not an RFC 3339 timestamp with an offset (e.g. 2026-03-02T09:14:05Z)"))
            })?;
            (Some(parsed), TimeProvenance::Given)
        }
    };
    if let Some(content_type) = text(&mut object, "datacontenttype", false)? {
        if !content_type.starts_with("application/json") {
            return Err(invalid("datacontenttype", "must be application/json"));
        }
    }
    let correlation_id = text(&mut object, CORRELATION_ID, false)?;
    let data = object.remove("data").unwrap_or(Value::Null);
    let source_status = data
        .get("source_status")
        .and_then(|s| serde_json::from_value::<SourceStatus>(s.clone()).ok());
    if object.contains_key("data_base64") {
        return Err(invalid(
            "data_base64",
            "binary data is not accepted; send data as JSON",
        ));
    }
    check_extensions(&mut object, index)?;
    Ok(CanonicalEvent {
        id,
        source,
        event_type,
        type_name,
        subject,
        occurred_at,
        time_provenance,
        correlation_id,
        data,
        source_status,
        extensions: object,
    })
}

/// Characters CloudEvents forbids in string attributes.
fn is_forbidden_in_attributes(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}')
}

/// Extension attributes as CloudEvents defines them: names of lower-case ASCII letters and
/// digits; values strings (no control characters), numbers or booleans; null means absent.
fn check_extensions(
    object: &mut Map<String, Value>,
    index: Option<usize>,
) -> Result<(), CanonicalError> {
    let invalid = |field: &str, message: &str| CanonicalError::Invalid {
        index,
        field: field.escape_debug().to_string(),
        message: message.to_string(),
    };
    object.retain(|_, v| !v.is_null());
    for (name, value) in object.iter() {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(invalid(
                name,
                "is not a CloudEvents attribute name: use lower-case letters and digits only",
            ));
        }
        match value {
            Value::String(s) if s.chars().any(is_forbidden_in_attributes) => {
                return Err(invalid(name, "must not contain control characters"));
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
            _ => {
                return Err(invalid(
                    name,
                    "an extension attribute must be a string, a number or a boolean",
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
