//! SLA settings and clocks as the pages show them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyView {
    pub policy_id: i64,
    pub version: i32,
    pub name: String,
    pub position: i32,
    /// "any" where the policy sets no condition.
    pub account: String,
    pub service_level: String,
    pub priority: String,
    pub warehouse: String,
    pub release: String,
    pub ship: String,
    pub deliver: String,
    pub promise: bool,
    pub at_risk_percent: i32,
    pub effective_from: String,
    /// Empty for the version in force.
    pub effective_to: String,
    /// The draft that reproduces this version, to prefill the edit form.
    pub draft: super::PolicyDraft,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalendarView {
    pub calendar_id: i64,
    pub scope: String,
    pub code: String,
    pub time_zone: String,
    /// Hours per weekday, Monday first ("closed" where closed).
    pub hours: Vec<String>,
    pub holidays: Vec<String>,
    pub cutoff: Option<String>,
    pub draft: super::calendar::CalendarDraft,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlaSettings {
    /// The versions in force, in matching order.
    pub policies: Vec<PolicyView>,
    /// Every earlier version, newest first.
    pub history: Vec<PolicyView>,
    pub calendars: Vec<CalendarView>,
}

/// One clock on the order page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockView {
    pub segment: String,
    /// The segment's word (`release`, `ship`, `deliver`, `promise`), for links.
    #[serde(default)]
    pub key: String,
    pub state: super::ClockState,
    pub state_label: String,
    pub policy: String,
    pub started_at: String,
    pub due_at: Option<String>,
    pub ended_at: Option<String>,
    /// Business time left (or over), for people.
    pub remaining: Option<String>,
    pub paused: String,
    pub target: String,
}
