//! Disputes of breached clocks: why someone says a breach should not count, and what an agent
//! decided. See `migrations/*_disputes.sql` for the rules the database keeps.

use crate::domain::sla::Segment;
pub use crate::domain::status::{DisputeReason, DisputeState, ExcuseReason};
use serde::{Deserialize, Serialize};

impl DisputeReason {
    /// The words a form shows.
    pub fn describe(self) -> &'static str {
        match self {
            DisputeReason::CarrierDataWrong => "The recorded time is wrong (it happened earlier)",
            DisputeReason::CustomerCaused => "Caused by the customer or the consignee",
            DisputeReason::ForceMajeure => "Force majeure (weather, strike, disaster)",
            DisputeReason::WrongPromise => "Measured against the wrong promise",
            DisputeReason::Other => "Something else (say what in the comment)",
        }
    }
}

impl ExcuseReason {
    pub fn describe(self) -> &'static str {
        match self {
            ExcuseReason::ForceMajeure => "Force majeure",
            ExcuseReason::CustomerCaused => "Caused by the customer",
            ExcuseReason::CarrierDataWrong => "The carrier's data was wrong",
            ExcuseReason::AgreedWithCustomer => "Agreed with the customer",
        }
    }
}

impl DisputeState {
    /// The state in the words a customer reads.
    pub fn describe(self) -> &'static str {
        match self {
            DisputeState::Open => "under review",
            DisputeState::Upheld => "reviewed: the delay stands",
            DisputeState::Excused => "accepted: not counted against the service level",
            DisputeState::Corrected => "accepted: the times were corrected",
        }
    }
}

/// The fact a correction of `segment`'s stop changes (`sla_correction.milestone`).
pub fn corrected_milestone(segment: Segment) -> &'static str {
    match segment {
        Segment::Release => "released_at",
        Segment::Ship => "dispatched_at",
        Segment::Deliver | Segment::Promise => "delivered_at",
    }
}

/// What the dispute form sends, as typed (checked by `services::disputes::open`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DisputeRequest {
    pub order_ref: String,
    pub segment: String,
    pub reason: String,
    pub comment: String,
}

/// A dispute as the pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeView {
    pub dispute_id: i64,
    pub order_ref: String,
    pub account: Option<String>,
    pub segment: String,
    pub segment_label: String,
    pub reason: DisputeReason,
    pub comment: String,
    pub state: DisputeState,
    pub opened_by: String,
    pub opened_at: String,
    /// How long it has been (or was) open, e.g. "3 d 4 h".
    pub age: String,
    /// Who works it: the queue case's assignee.
    pub owner: Option<String>,
    pub case_id: Option<i64>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub excuse_reason: Option<ExcuseReason>,
    pub decision_note: Option<String>,
    /// For a correction: the stop time recorded, and whether the clocks were recomputed yet.
    pub corrected_to: Option<String>,
    pub correction_applied: bool,
}

/// What an agent decides about a dispute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum DisputeDecision {
    Upheld {
        note: String,
    },
    Excused {
        reason: ExcuseReason,
        note: String,
    },
    /// The segment's stop really happened at `stopped_at` (RFC 3339).
    Corrected {
        stopped_at: String,
        note: String,
    },
}

impl DisputeDecision {
    pub fn state(&self) -> DisputeState {
        match self {
            DisputeDecision::Upheld { .. } => DisputeState::Upheld,
            DisputeDecision::Excused { .. } => DisputeState::Excused,
            DisputeDecision::Corrected { .. } => DisputeState::Corrected,
        }
    }
}

/// An excused breach, as a report lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExcusalRow {
    pub dispute_id: i64,
    pub order_ref: String,
    pub segment: String,
    pub reason: ExcuseReason,
    pub note: String,
    pub decided_by: String,
    pub decided_at: String,
}
