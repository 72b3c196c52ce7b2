//! From an order as the fold sees it to the facts its SLA clocks and KPIs are computed from.

use super::clock::{Clock, Segment, SlaFacts};
use super::policy::OrderKeys;
use crate::domain::projection::OrderProjection;
use crate::domain::status::OrderStatus;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

fn milestone(p: &OrderProjection, name: &str) -> Option<DateTime<Utc>> {
    p.milestones
        .iter()
        .find(|m| m.milestone == name)
        .and_then(|m| m.occurred_at)
}

/// When the warehouse took the release: its acknowledgment, or else its first word about the
/// order (a WMS that never acknowledges still allocates, picks or ships). The ERP asking for the
/// release is not the warehouse accepting it: the release segment runs until this.
fn accepted_by_warehouse(p: &OrderProjection) -> Option<DateTime<Utc>> {
    [
        "acknowledged",
        "allocated",
        "pick_started",
        "picked",
        "packed",
        "dispatched",
    ]
    .iter()
    .filter_map(|m| milestone(p, m))
    .min()
}

/// The SLA facts of a projected order; the account comes from the store, which resolved it.
pub fn facts(p: &OrderProjection, account_id: Option<Uuid>) -> SlaFacts {
    let h = &p.header;
    SlaFacts {
        keys: OrderKeys {
            account_id,
            service_level: h.service_level.clone(),
            priority: h.priority.clone(),
            warehouse_code: h.warehouse_code.clone(),
        },
        carrier: h
            .carrier
            .clone()
            .or_else(|| p.shipments.iter().find_map(|s| s.carrier.clone())),
        ordered_at: h.ordered_at.or(milestone(p, "created")),
        confirmed_at: milestone(p, "confirmed"),
        released_at: accepted_by_warehouse(p),
        dispatched_at: milestone(p, "dispatched"),
        delivered_at: milestone(p, "delivered"),
        returned_at: milestone(p, "returned_to_sender")
            .filter(|_| milestone(p, "delivered").is_none()),
        promised_deliver_by: h.promised_deliver_by,
        // Sent as a quotation and never confirmed nor released: an offer, not an order yet.
        quotation: h.quotation
            && milestone(p, "confirmed").is_none()
            && milestone(p, "released").is_none(),
        cancelled: h.status == OrderStatus::Cancelled,
        pauses: p.pauses.clone(),
    }
}

/// A correction of when a milestone happened, recorded when a dispute was decided `corrected`
/// (`sla_correction`): `milestone` is `released_at`, `dispatched_at` or `delivered_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub milestone: String,
    pub at: DateTime<Utc>,
}

/// The facts with the corrections applied, oldest first (a later correction of the same
/// milestone wins). A corrected delivery replaces a return to the sender: it was delivered.
pub fn corrected(mut f: SlaFacts, corrections: &[Correction]) -> SlaFacts {
    for c in corrections {
        match c.milestone.as_str() {
            "released_at" => f.released_at = Some(c.at),
            "dispatched_at" => f.dispatched_at = Some(c.at),
            "delivered_at" => {
                f.delivered_at = Some(c.at);
                f.returned_at = None;
            }
            // `sla_correction_milestone_known` keeps any other word out of the table.
            _ => {}
        }
    }
    f
}

/// One order's share of the KPI rollups. The rollups are sums of these, so when an order
/// changes, its old share is taken out and the new one put in (see `store::sla`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderKpi {
    /// The day the order was placed (UTC): the day it counts on.
    pub day: NaiveDate,
    pub account_id: Option<Uuid>,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    /// The ship clock ended (dispatched), and whether by its due time.
    pub ship_measured: bool,
    pub ship_on_time: bool,
    /// Delivered (or returned to the sender instead), with a deliver (or else promise) clock,
    /// and whether delivered by its due time.
    pub deliver_measured: bool,
    pub deliver_on_time: bool,
    /// Lines of delivered orders, and those delivered in full and on time.
    pub lines: i32,
    pub lines_otif: i32,
    /// Confirmed to accepted by the warehouse, in seconds of wall time.
    pub release_delay_seconds: Option<i64>,
    /// Released to dispatched.
    pub processing_seconds: Option<i64>,
    /// Dispatched to the carrier's first scan.
    pub pickup_seconds: Option<i64>,
    /// First scan (or dispatch) to delivered.
    pub transit_seconds: Option<i64>,
    pub delivered: bool,
    /// Delivered without a failed attempt first.
    pub first_attempt: bool,
    /// Any exception, open or closed.
    pub with_exception: bool,
}

/// The order's KPI share, or `None` when it has no date to count on yet or is a quotation.
pub fn order_kpi(p: &OrderProjection, facts: &SlaFacts, clocks: &[Clock]) -> Option<OrderKpi> {
    // A quotation is not an order: it counts in no KPI, even once cancelled.
    if facts.quotation {
        return None;
    }
    let day = facts.ordered_at.or(facts.confirmed_at)?.date_naive();
    let ended = |segment: Segment| {
        clocks
            .iter()
            .find(|c| c.segment == segment && c.ended_at.is_some())
            .map(|c| {
                !c.failed
                    && c.due_at
                        .is_none_or(|due| c.ended_at.is_some_and(|e| e <= due))
            })
    };
    let ship = ended(Segment::Ship);
    let deliver = ended(Segment::Deliver).or(ended(Segment::Promise));
    let delivered = facts.delivered_at.is_some();
    let deliver_on_time = deliver == Some(true);
    let lines: Vec<_> = p
        .lines
        .iter()
        .filter(|l| l.substitute_of.is_none() && l.qty_ordered > 0.0)
        .collect();
    let in_full = lines
        .iter()
        .filter(|l| l.qty_shipped + 1e-9 >= l.qty_ordered)
        .count();
    let span = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) if b >= a => Some((b - a).num_seconds()),
        _ => None,
    };
    let picked_up = milestone(p, "picked_up");
    Some(OrderKpi {
        day,
        account_id: facts.keys.account_id,
        warehouse_code: facts.keys.warehouse_code.clone(),
        carrier: facts.carrier.clone(),
        service_level: facts.keys.service_level.clone(),
        ship_measured: ship.is_some(),
        ship_on_time: ship == Some(true),
        // A parcel returned to the sender is a delivery that failed: measured, not on time.
        deliver_measured: (delivered || facts.returned_at.is_some()) && deliver.is_some(),
        deliver_on_time: delivered && deliver_on_time,
        lines: if delivered { lines.len() as i32 } else { 0 },
        lines_otif: if delivered && deliver_on_time {
            in_full as i32
        } else {
            0
        },
        release_delay_seconds: span(facts.confirmed_at, facts.released_at),
        processing_seconds: span(facts.released_at, facts.dispatched_at),
        pickup_seconds: span(facts.dispatched_at, picked_up),
        transit_seconds: span(picked_up.or(facts.dispatched_at), facts.delivered_at),
        delivered,
        first_attempt: delivered && milestone(p, "first_attempt").is_none(),
        with_exception: !p.exceptions.is_empty(),
    })
}
