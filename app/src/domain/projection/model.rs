//! What the fold reads (an order's events) and what it produces (the order as the pages show it).

use crate::domain::event::{Disposition, EventType};
pub use crate::domain::sla::Pause;
use crate::domain::status::{ExceptionDomain, LineStatus, OrderStatus, Severity, ShipmentStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// One stored event, as the fold needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldEvent {
    pub event_id: Uuid,
    /// `(connector, external id)` written as one string: the same event delivered twice has one identity.
    pub identity: String,
    pub event_type: EventType,
    /// When it happened at the source; `None` when the source did not say.
    pub occurred_at: Option<DateTime<Utc>>,
    pub data: Value,
}

/// How the order names its customer; the store resolves it to an account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerRef {
    /// A Milepost account code, when the sender knows it.
    pub account_code: Option<String>,
    /// Or the customer's id in another system, e.g. (`odoo`, partner id `47`).
    pub system: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<String>,
}

/// The order row.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderHeader {
    pub order_ref: String,
    pub customer: CustomerRef,
    pub customer_po: Option<String>,
    pub status: OrderStatus,
    pub on_hold: bool,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    pub priority: Option<String>,
    pub ordered_at: Option<DateTime<Utc>>,
    pub promised_ship_by: Option<DateTime<Utc>>,
    pub promised_deliver_by: Option<DateTime<Utc>>,
    pub tracking_numbers: Vec<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    /// The order's total as the ERP states it; ranks exceptions of equal urgency.
    #[serde(default)]
    pub order_value: Option<f64>,
    /// The ERP sent it as a quotation (Odoo's draft or sent): an offer the customer has not
    /// accepted. Until it is confirmed it promises nothing (`sla::facts`).
    #[serde(default)]
    pub quotation: bool,
    /// Where it goes (`ship_to.country`): the destination region of its carrier lane.
    #[serde(default)]
    pub ship_to_country: Option<String>,
}

/// An order line: what the fold writes, the store reads back and the order page shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LineView {
    pub line_ref: String,
    pub sku: Option<String>,
    pub uom: Option<String>,
    pub qty_ordered: f64,
    pub qty_shipped: f64,
    pub qty_short: f64,
    pub line_status: LineStatus,
    pub substitute_of: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShipmentView {
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub status: ShipmentStatus,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub eta: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub delivery_attempts: i32,
    pub last_event_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageView {
    pub package_ref: String,
    pub tracking_number: Option<String>,
    pub weight: Option<f64>,
    pub weight_unit: Option<String>,
    pub contents: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MilestoneView {
    pub milestone: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub event_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExceptionView {
    pub opened_by_event: Uuid,
    pub kind: String,
    pub domain: ExceptionDomain,
    pub severity: Severity,
    pub summary: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_by_event: Option<Uuid>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The order as every page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderProjection {
    pub header: OrderHeader,
    pub lines: Vec<LineView>,
    pub shipments: Vec<ShipmentView>,
    pub packages: Vec<PackageView>,
    pub milestones: Vec<MilestoneView>,
    pub exceptions: Vec<ExceptionView>,
    /// Stretches the SLA clocks do not count, in time order (derived, not stored as a part).
    #[serde(default)]
    pub pauses: Vec<Pause>,
}

/// The fold's verdict on one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub disposition: Disposition,
    pub reason: Option<String>,
}

/// Everything the fold decides: the order (none until its ERP side has arrived) and a verdict per event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FoldOutcome {
    pub projection: Option<OrderProjection>,
    pub verdicts: BTreeMap<Uuid, Verdict>,
}
