//! Which exception-queue cases an order's state opens. Each has a stable key, so folding the
//! order again finds the same case, and a case whose condition is gone is closed by itself.

use super::clock::Clock;
use crate::domain::projection::OrderProjection;
use crate::domain::status::{ExceptionDomain, LineStatus, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of case the queue files, for filters.
pub const CATEGORIES: &[(&str, &str)] = &[
    ("carrier", "Carrier exception"),
    ("failed_attempt", "Failed delivery attempt"),
    ("delay", "Delay"),
    ("short", "Short pick or backorder"),
    ("fulfillment", "Fulfillment exception"),
    ("hold", "On hold"),
    ("sync", "Sync failure"),
    ("stale", "Stale source"),
    ("dispute", "SLA dispute"),
];

/// A case as the order's events say it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseFact {
    pub case_key: String,
    pub category: String,
    pub kind: String,
    pub severity: Severity,
    pub summary: String,
    pub opened_at: Option<DateTime<Utc>>,
    /// When the condition cleared (the event that closed the exception), if it has.
    pub cleared_at: Option<DateTime<Utc>>,
}

/// The category of an order exception, from its kind and domain.
pub fn category(kind: &str, domain: ExceptionDomain) -> &'static str {
    match kind {
        "failed_attempt" => "failed_attempt",
        "delayed" => "delay",
        "backordered" | "short" | "short_pick" | "out_of_stock" => "short",
        "on_hold" => "hold",
        _ if domain == ExceptionDomain::Transport => "carrier",
        _ => "fulfillment",
    }
}

/// Every case the order's exceptions and lines call for.
pub fn case_facts(p: &OrderProjection) -> Vec<CaseFact> {
    let mut out: Vec<CaseFact> = p
        .exceptions
        .iter()
        .map(|x| CaseFact {
            case_key: format!("event:{}", x.opened_by_event),
            category: category(&x.kind, x.domain).to_string(),
            kind: x.kind.clone(),
            severity: x.severity,
            summary: x.summary.clone(),
            opened_at: x.opened_at,
            // A closed exception with an unknown closing time still cleared.
            cleared_at: x.closed_by_event.map(|_| {
                x.closed_at
                    .or(x.opened_at)
                    .unwrap_or(DateTime::<Utc>::MIN_UTC)
            }),
        })
        .collect();
    let short: Vec<String> = p
        .lines
        .iter()
        .filter(|l| l.qty_short > 0.0 && l.line_status == LineStatus::Short)
        .map(|l| {
            format!(
                "{} short {} of {}",
                l.sku.as_deref().unwrap_or(&l.line_ref),
                l.qty_short,
                l.qty_ordered
            )
        })
        .collect();
    // The dispatch that shipped short opened its own exception (one case already): the lines
    // make a case of their own only when nothing did.
    let covered = p.exceptions.iter().any(|x| {
        matches!(
            x.kind.as_str(),
            "short_pick" | "short" | "backordered" | "out_of_stock"
        )
    });
    if !short.is_empty() && !covered {
        let dispatched = p
            .milestones
            .iter()
            .find(|m| m.milestone == "dispatched")
            .and_then(|m| m.occurred_at);
        out.push(CaseFact {
            case_key: format!("short:{}", p.header.order_ref),
            category: "short".into(),
            kind: "short_pick".into(),
            severity: Severity::Warning,
            summary: format!("Shipped short: {}", short.join(", ")),
            opened_at: dispatched,
            cleared_at: None,
        });
    }
    out
}

/// The earliest due time among the order's open clocks: how soon it breaches.
pub fn next_due(clocks: &[Clock]) -> Option<DateTime<Utc>> {
    clocks
        .iter()
        .filter(|c| c.ended_at.is_none())
        .filter_map(|c| c.due_at)
        .min()
}
