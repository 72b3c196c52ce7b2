//! SLA reports' types: the evidence pack of one clock (what it measured, under which rules, and
//! every event that started, paused, resumed or stopped it, each with the hash of the raw
//! message it came in, so a third party can check the evidence against what was received).

use serde::{Deserialize, Serialize};

/// One clock's evidence, as the printable page and the JSON download show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    pub order_ref: String,
    pub account: Option<String>,
    /// `release`, `ship`, `deliver` or `promise`.
    pub segment: String,
    pub segment_label: String,
    pub clock: ClockEvidence,
    pub pauses: Vec<PauseEvidence>,
    pub events: Vec<EventEvidence>,
    /// When the pack was made (RFC 3339, UTC).
    pub generated_at: String,
    /// How to check the hashes.
    pub how_to_verify: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockEvidence {
    /// `met`, `breached`, `running`, `at_risk` or `paused`, as of `generated_at`.
    pub state: String,
    pub started_at: String,
    pub due_at: Option<String>,
    pub ended_at: Option<String>,
    pub target_seconds: i64,
    /// Business time spent paused, in seconds.
    pub paused_seconds: i64,
    /// Ended without reaching its goal (a parcel returned to the sender).
    pub failed: bool,
    pub policy_id: i64,
    pub policy_version: i32,
    pub policy_name: String,
    /// The business calendar the clock counted in, as stored when the pack was made
    /// (calendars are not versioned: an edit recomputes the clocks that use it).
    pub calendar: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseEvidence {
    pub reason: String,
    pub from: String,
    pub until: Option<String>,
}

/// An event the clock's start, stop or a pause rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventEvidence {
    /// `started`, `stopped`, `paused` or `resumed` the clock.
    pub role: String,
    pub event_id: String,
    pub event_type: String,
    /// The connector it came through and its kind (`erp`, `wms`, `carrier`).
    pub source: String,
    /// The sender's id of the event.
    pub external_id: String,
    /// When it happened, in the offset its source wrote it in; `None` when it gave no time.
    pub occurred_at: Option<String>,
    pub recorded_at: String,
    /// The message it came in: its id as the sender gave it (or as Milepost derived it).
    pub message_id: String,
    pub inbox_message_id: i64,
    pub disposition: String,
    /// SHA-256 of the raw message as received, lower-case hex.
    pub message_sha256: String,
}
