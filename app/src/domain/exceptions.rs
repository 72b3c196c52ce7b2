//! The exception queue as the page shows it.

use crate::domain::status::{CaseStatus, Severity};
use serde::{Deserialize, Serialize};

/// Which cases to list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueFilter {
    /// `open` (the default: not closed, not snoozed), `snoozed`, `closed` or `all`.
    pub status: String,
    pub category: String,
    /// `me`, `unassigned`, or empty for anyone.
    pub assignee: String,
    /// Part of an order reference.
    pub order: String,
    pub page: i64,
}

/// One case in the queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub case_id: i64,
    pub category: String,
    pub category_label: String,
    pub kind: String,
    pub severity: Severity,
    pub summary: String,
    pub order_id: Option<i64>,
    pub order_ref: Option<String>,
    pub account: Option<String>,
    pub order_value: Option<String>,
    /// When the order breaches its next SLA, and how far that is ("in 3 h", "2 h overdue").
    pub due_at: Option<String>,
    pub due_in: Option<String>,
    pub overdue: bool,
    pub opened_at: String,
    pub status: CaseStatus,
    pub assignee: Option<String>,
    pub snoozed_until: Option<String>,
    pub snooze_reason: Option<String>,
    pub resolution: Option<String>,
    pub comments: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub author: String,
    pub body: String,
    pub at: String,
}

/// A person cases can be assigned to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignee {
    pub user_id: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueuePage {
    pub cases: Vec<CaseView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub assignees: Vec<Assignee>,
}

/// What an action did to the selected cases.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionResult {
    pub changed: usize,
}
