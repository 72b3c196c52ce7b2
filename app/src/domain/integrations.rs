//! What the integrations page and the order page's sync section show: each queue's health, jobs
//! with their attempts, and the codes no mapping knew.

use crate::domain::status::JobState;
use serde::{Deserialize, Serialize};

/// One endpoint's queue, as operators watch it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueHealth {
    /// e.g. `odoo:main`, `wms:reno`.
    pub queue: String,
    /// `closed`, `open` or `half_open`.
    pub circuit: String,
    pub paused: bool,
    pub paused_reason: Option<String>,
    /// Jobs waiting (pending or failed and due again).
    pub depth: i64,
    pub running: i64,
    pub dead: i64,
    pub last_success_at: Option<String>,
    /// Minutes since the last success, for "how stale is this connection".
    pub minutes_since_success: Option<i64>,
    /// Attempts of the last hour that failed, in percent.
    pub error_rate_pct: Option<f64>,
    /// Jobs done in the last hour.
    pub succeeded_last_hour: i64,
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

/// The jobs list's filters (all optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JobFilter {
    pub queue: Option<String>,
    pub state: Option<String>,
    pub kind: Option<String>,
    /// The order's reference (the jobs' ordering key).
    pub order_ref: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub job_id: i64,
    pub queue: String,
    pub kind: String,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub replays: i32,
    pub order_ref: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: String,
    /// Pretty-printed, for reading and editing before a replay.
    pub payload: String,
    /// Dead or cancelled: may be replayed.
    pub replayable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptView {
    pub replay: i32,
    pub attempt: i32,
    pub outcome: String,
    pub started_at: String,
    pub duration_ms: i32,
    pub request: Option<String>,
    pub response: Option<String>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: JobView,
    pub attempts: Vec<AttemptView>,
}

/// A code a source sent that no mapping knew (the mapping inbox).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnknownCodeView {
    pub connector: String,
    pub field: String,
    pub code: String,
    pub occurrences: i64,
    pub last_seen_at: String,
}

/// A release Milepost kept instead of sending, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldReleaseView {
    pub order_ref: String,
    /// What to do about it, in words.
    pub why: String,
    pub held_at: String,
}

/// A connector's latest reconciliation run, as counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReconciliationView {
    pub connector: String,
    pub finished_at: String,
    pub open_deliveries: i64,
    /// Orders out of step with their open delivery in Odoo, read again to repair them.
    pub out_of_step: i64,
    pub reads_enqueued: i64,
    pub inventory_comparisons: i64,
    pub quiet_shipments: i64,
    pub quiet_after_hours: i64,
    /// The first repairs and quiet shipments, in words.
    pub details: Vec<String>,
}

/// Everything the integrations page opens with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IntegrationsOverview {
    pub queues: Vec<QueueHealth>,
    pub unknown_codes: Vec<UnknownCodeView>,
    #[serde(default)]
    pub held_releases: Vec<HeldReleaseView>,
    #[serde(default)]
    pub reconciliations: Vec<ReconciliationView>,
    /// Events the projector set aside, newest first.
    #[serde(default)]
    pub quarantined: Vec<QuarantinedView>,
}

/// An event the projector could not fold, set aside so the rest keep flowing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuarantinedView {
    pub quarantine_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub order_ref: Option<String>,
    pub error: String,
    pub quarantined_at: String,
}

/// What a bulk replay did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkReplay {
    pub replayed: usize,
    /// Jobs left dead, each with the reason.
    pub refused: Vec<String>,
}

/// One link of a message's chain across systems (`/integrations`, "Follow a message").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChainLink {
    /// `message`, `event`, `job` or `attempt`.
    pub kind: String,
    pub at: String,
    /// The connector or queue.
    pub place: String,
    pub title: String,
    pub status: String,
    /// The error, the verdict's reason, or an attempt's request and answer.
    pub detail: Option<String>,
    pub correlation_id: Option<String>,
    /// The row's id: the message, event or job.
    pub reference: String,
}

/// What "Follow a message" found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chain {
    pub query: String,
    /// The correlation ids it followed.
    pub correlation_ids: Vec<String>,
    pub links: Vec<ChainLink>,
    /// More links than shown.
    pub truncated: bool,
}
