//! What the order pages show: the list with its filters, and one order with its timeline. Times
//! arrive formatted by the server, so the browser shows exactly what the server rendered.

use crate::domain::status::{ExceptionDomain, OrderStatus, Severity, ShipmentStatus};
use serde::{Deserialize, Serialize};

/// Orders per page.
pub const PAGE_SIZE: i64 = 50;

/// The list's search and filters, as they appear in the URL. Absent fields mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    /// Order number, customer PO, tracking number or customer name.
    pub q: String,
    pub status: String,
    pub warehouse: String,
    pub carrier: String,
    /// Ordered on or after this day (`YYYY-MM-DD`).
    pub from: String,
    /// Ordered on or before this day.
    pub to: String,
    /// 1-based.
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    pub order_ref: String,
    pub account: Option<String>,
    pub customer: Option<String>,
    pub customer_po: Option<String>,
    pub status: OrderStatus,
    pub on_hold: bool,
    pub warehouse: Option<String>,
    pub carrier: Option<String>,
    pub ordered_at: Option<String>,
    pub promised_deliver_by: Option<String>,
    pub tracking_numbers: Vec<String>,
    pub open_exceptions: i32,
    pub last_event_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderPage {
    pub rows: Vec<OrderRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    /// What the filters offer, within the caller's scope.
    pub warehouses: Vec<String>,
    pub carriers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShipmentDetail {
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub status: ShipmentStatus,
    pub dispatched_at: Option<String>,
    pub delivered_at: Option<String>,
    pub eta: Option<String>,
    pub signed_by: Option<String>,
    pub delivery_attempts: i32,
    pub packages: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExceptionDetail {
    pub kind: String,
    pub domain: ExceptionDomain,
    pub severity: Severity,
    pub summary: String,
    pub opened_at: Option<String>,
    pub closed_at: Option<String>,
    pub open: bool,
}

/// One event on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub event_type: String,
    /// `ERP`, `Warehouse` or `Carrier`, and for staff the connector's name.
    pub source: String,
    /// In the source's own offset, e.g. `2026-03-03 16:40 -08:00`; `None` when unknown.
    pub occurred_at: Option<String>,
    /// `given`, `assumed_facility_local` or `unknown`.
    pub time_provenance: String,
    pub recorded_at: String,
    pub disposition: String,
    pub disposition_reason: Option<String>,
    /// The source's own status words (staff only).
    pub source_status: Option<String>,
    /// The inbox message behind the event, for roles that may read raw messages.
    pub inbox_message_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    pub header: OrderRow,
    pub service_level: Option<String>,
    pub promised_ship_by: Option<String>,
    pub lines: Vec<crate::domain::projection::LineView>,
    pub shipments: Vec<ShipmentDetail>,
    pub exceptions: Vec<ExceptionDetail>,
    pub timeline: Vec<TimelineEntry>,
    /// The order's SLA clocks, one per measured segment.
    #[serde(default)]
    pub clocks: Vec<crate::domain::sla::views::ClockView>,
    /// Whether the viewer may open raw messages and see the order's sync jobs (agents,
    /// integrators, admins).
    pub raw_allowed: bool,
    /// Whether the viewer may replay the order's failed jobs (integrators, admins).
    pub replay_allowed: bool,
    /// The latest ETA any carrier gave, and when it was given ("as of").
    #[serde(default)]
    pub latest_eta: Option<String>,
    #[serde(default)]
    pub eta_as_of: Option<String>,
    /// Since when this order's data may be out of date (a source that fed it has gone quiet,
    /// or a sync job about it keeps failing); open clocks then say so instead of a status.
    #[serde(default)]
    pub data_delayed_since: Option<String>,
}

/// A raw inbound message as it arrived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawMessage {
    pub inbox_message_id: i64,
    pub connector: String,
    pub message_id: String,
    pub received_at: String,
    pub content_type: Option<String>,
    pub headers: String,
    /// The body as text (bytes that are not UTF-8 shown as replacement characters).
    pub body: String,
    pub outcome: String,
    pub delivery_count: i32,
}
