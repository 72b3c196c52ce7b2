//! The one path every inbound message takes, from the HTTP API, the demo and the benchmark alike:
//! keep the raw message, check ownership, append the canonical events and queue them for the
//! projector, all in one statement (grouped with concurrent messages by `writer.rs`). The answer is sent only after it commits; the projector
//! folds the events into their orders right after (`crate::projector`).

use super::adapters::{AdapterError, CanonicalEvent, Parsed};
use super::connector::Connector;
use super::error::IngestError;
use super::writer::{AcceptedMessage, Writer};
use crate::jobs::ReadOdooRecord;
use crate::store::events::{self, NewEvent, SeenCode};
use crate::store::inbox::{self, NewMessage};
use app::domain::event::Disposition;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A message as it arrived.
pub struct Inbound<'a> {
    pub connector: &'a Connector,
    pub body: &'a [u8],
    pub content_type: Option<&'a str>,
    /// Headers worth keeping (never credentials).
    pub headers: Value,
    /// The message id a signature scheme carried (Standard Webhooks' `webhook-id`).
    pub header_message_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// What the sender is told once the message is committed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Receipt {
    pub inbox_message_id: i64,
    /// New events stored.
    pub accepted: usize,
    /// Events already stored (a re-delivered message, or the same event in another message).
    pub duplicates: usize,
    pub event_ids: Vec<Uuid>,
    /// The same message (connector, message id) was accepted before.
    pub redelivery: bool,
    /// The sender's envelope id (X12 sender and control number) was used before by this
    /// earlier, different message: both are kept, and integrators see the reuse.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reuses_envelope_of: Option<i64>,
}

impl Inbound<'_> {
    /// The message's correlation id, as intake recorded it among the kept headers.
    pub fn correlation_id(&self) -> Option<String> {
        self.headers
            .get(crate::correlation::HEADER)
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The provider's id, else the one a signature header carried, else a hash of the bytes.
    fn message_id(&self, parsed: Option<&Parsed>) -> (String, bool) {
        if let Some(id) = parsed
            .and_then(|p| p.message_id.clone())
            .or(self.header_message_id.clone())
        {
            return (id, false);
        }
        let digest = Sha256::digest(self.body);
        (
            format!(
                "sha256:{}",
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
            true,
        )
    }

    fn new_message<'b>(
        &'b self,
        message_id: &'b str,
        derived: bool,
        event_count: usize,
    ) -> NewMessage<'b> {
        NewMessage {
            connector_id: self.connector.id,
            message_id,
            message_id_derived: derived,
            received_at: self.received_at,
            content_type: self.content_type,
            headers: &self.headers,
            body: self.body,
            event_count: event_count as i32,
        }
    }
}

/// Keeps a refused message in the inbox, marked rejected with the error its sender gets.
pub async fn reject(
    pool: &PgPool,
    inbound: &Inbound<'_>,
    error: &IngestError,
) -> Result<i64, IngestError> {
    let (message_id, derived) = inbound.message_id(None);
    let id = inbox::reject(
        pool,
        &inbound.new_message(&message_id, derived, 0),
        &error.body(),
    )
    .await?;
    tracing::info!(connector = %inbound.connector.name, inbox_message_id = id, code = error.code(), "message rejected");
    Ok(id)
}

/// Stores one message and everything it means, or rejects it whole.
pub async fn ingest(
    writer: &Writer,
    inbound: &Inbound<'_>,
    parsed: Result<Parsed, AdapterError>,
) -> Result<Receipt, IngestError> {
    let parsed = match check(inbound.connector, inbound.body, parsed) {
        Ok(parsed) => parsed,
        Err(error) => {
            reject(writer.pool(), inbound, &error).await?;
            return Err(error);
        }
    };
    let (message_id, derived) = inbound.message_id(Some(&parsed));
    let envelope = match &parsed.envelope_id {
        Some(envelope_id) => {
            match check_envelope(writer.pool(), inbound, envelope_id, &message_id).await? {
                EnvelopeSeen::Redelivery(receipt) => return Ok(receipt),
                EnvelopeSeen::Reused(earlier) => Some((envelope_id.clone(), earlier)),
                EnvelopeSeen::New => None,
            }
        }
        None => None,
    };
    let mut new_events: Vec<NewEvent> = parsed.events.iter().map(to_new_event).collect();
    // An event without a correlation id of its own has its message's.
    let correlation = inbound.correlation_id();
    for e in new_events.iter_mut().filter(|e| e.correlation_id.is_none()) {
        e.correlation_id = correlation.clone();
    }
    mark_repeats_within(&mut new_events);
    let connector_id = inbound.connector.id;
    for e in new_events.iter_mut() {
        if e.disposition != Disposition::Duplicate {
            // The projector gives the real verdict when it folds the event into its order.
            e.disposition_reason = Some(QUEUED.to_string());
        }
    }
    let stored = writer
        .store(AcceptedMessage {
            connector_id,
            message_id,
            message_id_derived: derived,
            received_at: inbound.received_at,
            content_type: inbound.content_type.map(str::to_string),
            headers: inbound.headers.clone(),
            body: inbound.body.to_vec(),
            events: new_events,
            unknown_codes: parsed
                .unknown_codes
                .iter()
                .map(|c| SeenCode {
                    field: c.field.clone(),
                    code: c.code.clone(),
                    mapped_to: c.mapped_to.map(|t| t.as_str().to_string()),
                })
                .collect(),
            follow_ups: parsed
                .reads
                .iter()
                .map(|r| ReadOdooRecord::on_connector(&inbound.connector.name, r.clone()))
                .collect(),
        })
        .await?;
    if !stored.first_time {
        return redelivery_of(writer.pool(), stored.inbox_message_id).await;
    }
    if let Some((envelope_id, earlier)) = &envelope {
        inbox::record_envelope_conflict(
            writer.pool(),
            stored.inbox_message_id,
            *earlier,
            envelope_id,
        )
        .await?;
        tracing::warn!(connector = %inbound.connector.name, envelope_id, inbox_message_id = stored.inbox_message_id, earlier_inbox_message_id = earlier, "an interchange reused an earlier one's control number with different content; both kept");
    }
    let duplicates = stored
        .dispositions
        .iter()
        .filter(|(_, d)| d == Disposition::Duplicate.as_str())
        .count();
    Ok(Receipt {
        inbox_message_id: stored.inbox_message_id,
        accepted: stored.dispositions.len() - duplicates,
        duplicates,
        event_ids: stored.dispositions.into_iter().map(|(id, _)| id).collect(),
        redelivery: false,
        reuses_envelope_of: envelope.map(|(_, earlier)| earlier),
    })
}

/// The receipt of a message accepted before.
async fn redelivery_of(pool: &PgPool, inbox_message_id: i64) -> Result<Receipt, IngestError> {
    let mut conn = pool.acquire().await?;
    let event_ids = events::ids_of_message(&mut conn, inbox_message_id).await?;
    Ok(Receipt {
        inbox_message_id,
        accepted: 0,
        duplicates: event_ids.len(),
        event_ids,
        redelivery: true,
        reuses_envelope_of: None,
    })
}

/// What an envelope id (X12 sender and control number) has carried before.
enum EnvelopeSeen {
    /// Never accepted.
    New,
    /// Accepted with these very bytes (possibly under the id used before content keys).
    Redelivery(Receipt),
    /// Accepted with other content: this earlier message.
    Reused(i64),
}

async fn check_envelope(
    pool: &PgPool,
    inbound: &Inbound<'_>,
    envelope_id: &str,
    message_id: &str,
) -> Result<EnvelopeSeen, IngestError> {
    let earlier = inbox::accepted_under_envelope(pool, inbound.connector.id, envelope_id).await?;
    let ours = Sha256::digest(inbound.body);
    if let Some(same) = earlier
        .iter()
        .find(|m| m.body_sha256 == ours.as_slice() && m.message_id != message_id)
    {
        return Ok(EnvelopeSeen::Redelivery(
            redelivery_of(pool, same.inbox_message_id).await?,
        ));
    }
    Ok(earlier
        .iter()
        .rev()
        .find(|m| m.message_id != message_id)
        .map_or(EnvelopeSeen::New, |m| {
            EnvelopeSeen::Reused(m.inbox_message_id)
        }))
}

/// The provisional reason of an event stored but not folded yet.
pub const QUEUED: &str = "stored; waiting to be folded into its order";

/// Ownership: each type has one owning kind of system, and the connector's own list
/// may narrow it further. One offending event refuses the whole message.
/// Every rule a message must pass before it is stored, without the database: what the adapter
/// said, who may emit each type, and whether Postgres can hold it. The contract checker
/// (`milepost contract check`) gives partners these same answers before go-live.
pub fn check(
    connector: &Connector,
    body: &[u8],
    parsed: Result<Parsed, AdapterError>,
) -> Result<Parsed, IngestError> {
    let parsed = parsed.map_err(IngestError::from)?;
    check_ownership(connector, &parsed.events)?;
    check_storable(body, &parsed)?;
    Ok(parsed)
}

fn check_ownership(connector: &Connector, events: &[CanonicalEvent]) -> Result<(), IngestError> {
    for (index, e) in events.iter().enumerate() {
        let owner = e.event_type.owner();
        if owner != connector.kind || !connector.allowed.contains(&e.event_type) {
            let why = if owner != connector.kind {
                format!(
                    "{} events are owned by the {} system",
                    e.event_type,
                    owner.as_str()
                )
            } else {
                format!(
                    "connector {} is not allowed to emit {}",
                    connector.name, e.event_type
                )
            };
            return Err(IngestError::Forbidden {
                message: format!(
                    "event {index}: {why}; connector {} is a {} connector",
                    connector.name,
                    connector.kind.as_str()
                ),
                details: json!({"index": index, "type": e.event_type.as_str(), "owner": owner.as_str(), "connector_kind": connector.kind.as_str()}),
            });
        }
    }
    Ok(())
}

/// Postgres text and jsonb cannot hold the NUL character, which JSON allows (`\u0000`) and a raw
/// X12 body may carry: an event with one is refused whole, with a 422 naming the event, rather than
/// failing at the insert (a 500, and the message lost). The events are only looked at when the
/// body has a NUL byte or the text of the escape, so the common case costs one scan of the bytes.
fn check_storable(body: &[u8], parsed: &Parsed) -> Result<(), IngestError> {
    let suspicious = body.contains(&0) || body.windows(5).any(|w| w == b"u0000");
    if !suspicious {
        return Ok(());
    }
    let nul_in = |v: &Value| serde_json::to_string(v).is_ok_and(|t| t.contains("\\u0000"));
    let nul_in_codes = parsed
        .unknown_codes
        .iter()
        .any(|c| c.field.contains('\0') || c.code.contains('\0'))
        || parsed
            .message_id
            .as_deref()
            .is_some_and(|m| m.contains('\0'))
        || parsed
            .reads
            .iter()
            .any(|r| serde_json::to_value(r).is_ok_and(|v| nul_in(&v)));
    if nul_in_codes {
        return Err(IngestError::Invalid {
            location: "body".into(),
            message: "contains a NUL character (\\u0000) where a code or id is read, which cannot be stored; remove it".into(),
        });
    }
    for (index, e) in parsed.events.iter().enumerate() {
        let texts = [
            Some(e.id.as_str()),
            Some(e.source.as_str()),
            Some(e.type_name.as_str()),
            e.subject.as_deref(),
            e.correlation_id.as_deref(),
        ];
        let nul = texts.iter().flatten().any(|t| t.contains('\0'))
            || nul_in(&e.data)
            || e.source_status
                .as_ref()
                .is_some_and(|s| serde_json::to_value(s).is_ok_and(|v| nul_in(&v)))
            || e.extensions.values().any(nul_in);
        if nul {
            return Err(IngestError::Invalid {
                location: format!("event {index}"),
                message: "contains a NUL character (\\u0000), which cannot be stored; remove it"
                    .into(),
            });
        }
    }
    Ok(())
}

/// The same event twice in one message: the second is a duplicate of the first.
fn mark_repeats_within(events: &mut [NewEvent]) {
    let mut first: HashMap<String, Uuid> = HashMap::new();
    let mut seen = HashSet::new();
    for e in events.iter_mut() {
        if !seen.insert(e.external_id.clone()) {
            e.disposition = Disposition::Duplicate;
            e.disposition_reason = Some(format!(
                "the same event as {} in this message",
                first[&e.external_id]
            ));
        } else {
            first.insert(e.external_id.clone(), e.event_id);
        }
    }
}

fn to_new_event(e: &CanonicalEvent) -> NewEvent {
    let subject = |prefix: &str| {
        e.subject
            .as_deref()
            .and_then(|s| s.strip_prefix(prefix))
            .map(str::to_string)
    };
    let order_ref = e
        .data
        .pointer("/order/erp_order_id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| subject("order/"));
    let tracking_number = e
        .data
        .get("tracking_number")
        .and_then(Value::as_str)
        .or_else(|| {
            e.data
                .pointer("/shipment/tracking_numbers/0")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
        .or_else(|| subject("shipment/"));
    NewEvent {
        event_id: Uuid::new_v4(),
        external_id: e.id.clone(),
        source: e.source.clone(),
        event_type: e.event_type,
        subject: e.subject.clone(),
        order_ref,
        tracking_number,
        correlation_id: e.correlation_id.clone(),
        occurred_at: e.occurred_at.map(|t| t.with_timezone(&Utc)),
        occurred_offset_seconds: e.occurred_at.map(|t| t.offset().local_minus_utc()),
        time_provenance: e.time_provenance.as_str(),
        source_status: e
            .source_status
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok()),
        data: e.data.clone(),
        disposition: Disposition::Pending,
        disposition_reason: None,
    }
}
