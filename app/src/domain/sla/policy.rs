//! SLA policies: ordered, first match wins, versioned.
//!
//! Editing a policy never changes it in place: it closes the current version and starts a new
//! one from that moment. An order is matched against the versions in force when its clock
//! started, so a change applies to orders from then on and old clocks keep their version, even
//! when their events arrive late and the clocks are recomputed.

use crate::error::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an order is matched on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderKeys {
    pub account_id: Option<Uuid>,
    pub service_level: Option<String>,
    pub priority: Option<String>,
    pub warehouse_code: Option<String>,
}

/// The targets of a policy, per segment; a missing target means the segment is not measured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    /// Confirmed in Odoo to released to the WMS, in warehouse business minutes.
    pub release_minutes: Option<i32>,
    /// Released to dispatched, in warehouse business minutes, counted from the cut-off rule.
    pub ship_minutes: Option<i32>,
    /// Dispatched to delivered, in carrier business days.
    pub deliver_days: Option<i32>,
    /// Delivered by the promised date Odoo gave.
    pub promise: bool,
}

/// One version of a policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub policy_id: i64,
    pub version: i32,
    pub name: String,
    /// Lower first; the first matching policy wins.
    pub position: i32,
    /// `None` matches any value.
    pub account_id: Option<Uuid>,
    pub service_level: Option<String>,
    pub priority: Option<String>,
    pub warehouse_code: Option<String>,
    pub targets: Targets,
    /// A running clock is at risk once its remaining time is below this share of its target.
    pub at_risk_percent: i32,
    pub effective_from: DateTime<Utc>,
    /// When the next version (or the removal) took over; `None` for the current version.
    pub effective_to: Option<DateTime<Utc>>,
}

impl PolicyVersion {
    /// Whether this version was in force at `at`.
    pub fn in_force_at(&self, at: DateTime<Utc>) -> bool {
        self.effective_from <= at && self.effective_to.is_none_or(|to| at < to)
    }

    /// Whether every condition this policy sets holds for the order.
    pub fn matches(&self, order: &OrderKeys) -> bool {
        fn same<T: PartialEq>(want: &Option<T>, have: &Option<T>) -> bool {
            want.is_none() || want == have
        }
        fn same_text(want: &Option<String>, have: &Option<String>) -> bool {
            match (want, have) {
                (None, _) => true,
                (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
                (Some(_), None) => false,
            }
        }
        same(&self.account_id, &order.account_id)
            && same_text(&self.service_level, &order.service_level)
            && same_text(&self.priority, &order.priority)
            && same_text(&self.warehouse_code, &order.warehouse_code)
    }
}

/// The policy version that governs an order whose clock started at `at`: among the versions in
/// force then, the first by position (then by id) whose conditions all hold.
pub fn select<'a>(
    versions: &'a [PolicyVersion],
    order: &OrderKeys,
    at: DateTime<Utc>,
) -> Option<&'a PolicyVersion> {
    versions
        .iter()
        .filter(|v| v.in_force_at(at) && v.matches(order))
        .min_by_key(|v| (v.position, v.policy_id))
}

/// A policy as an admin submits it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyDraft {
    pub name: String,
    pub position: i32,
    /// An account code, or empty for any.
    pub account_code: String,
    pub service_level: String,
    pub priority: String,
    pub warehouse_code: String,
    /// Hours, as typed (decimals allowed), or empty when the segment is not measured.
    pub release_hours: String,
    pub ship_hours: String,
    pub deliver_days: String,
    pub promise: bool,
    pub at_risk_percent: i32,
}

/// A draft turned into values, once it is valid.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedPolicy {
    pub name: String,
    pub position: i32,
    pub service_level: Option<String>,
    pub priority: Option<String>,
    pub warehouse_code: Option<String>,
    pub account_code: Option<String>,
    pub targets: Targets,
    pub at_risk_percent: i32,
}

/// Checks a draft, naming each field that is wrong.
pub fn check(draft: &PolicyDraft) -> Result<CheckedPolicy, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = draft.name.trim();
    if name.is_empty() {
        errors.add("name", "give the policy a name");
    } else if name.len() > 80 {
        errors.add("name", "keep the name under 80 characters");
    }
    if !(0..=10_000).contains(&draft.position) {
        errors.add("position", "the position is a number from 0 to 10000");
    }
    if !(1..=99).contains(&draft.at_risk_percent) {
        errors.add(
            "at_risk_percent",
            "at risk is a share of the target, from 1 to 99 %",
        );
    }
    let hours = |field: &str, text: &str, errors: &mut FieldErrors| -> Option<i32> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<f64>() {
            Ok(h) if h > 0.0 && h <= 24.0 * 366.0 => Some((h * 60.0).round() as i32),
            _ => {
                errors.add(field, "a number of hours above 0, at most a year");
                None
            }
        }
    };
    let release_minutes = hours("release_hours", &draft.release_hours, &mut errors);
    let ship_minutes = hours("ship_hours", &draft.ship_hours, &mut errors);
    let deliver_days = match draft.deliver_days.trim() {
        "" => None,
        text => match text.parse::<i32>() {
            Ok(d) if (1..=366).contains(&d) => Some(d),
            _ => {
                errors.add("deliver_days", "a whole number of business days, 1 to 366");
                None
            }
        },
    };
    let targets = Targets {
        release_minutes,
        ship_minutes,
        deliver_days,
        promise: draft.promise,
    };
    if errors.is_empty() && targets == Targets::default() {
        errors.add("release_hours", "set at least one target");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let optional = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    Ok(CheckedPolicy {
        name: name.to_string(),
        position: draft.position,
        account_code: optional(&draft.account_code),
        service_level: optional(&draft.service_level),
        priority: optional(&draft.priority),
        warehouse_code: optional(&draft.warehouse_code),
        targets,
        at_risk_percent: draft.at_risk_percent,
    })
}
