//! The walk over an order's events in canonical order. See the module comment for the rules.

use super::json::{items, number, text, time, tracking_numbers};
use super::model::*;
use crate::domain::event::{Disposition, EventType};
use crate::domain::status::{
    ExceptionDomain as Domain, LineStatus, OrderStatus, PauseReason, Severity, ShipmentStatus,
};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

use EventType as T;

/// Folds an order's events into its projection and a verdict per event.
pub fn fold(order_ref: &str, events: &[FoldEvent]) -> FoldOutcome {
    let mut sorted: Vec<&FoldEvent> = events.iter().collect();
    sorted.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    let mut seen = HashSet::new();
    sorted.retain(|e| seen.insert(e.identity.as_str()));

    let has_order = sorted.iter().any(|e| {
        matches!(
            e.event_type,
            T::OrderCreated | T::OrderUpdated | T::OrderConfirmed | T::OrderReleaseRequested
        )
    });
    if !has_order {
        let reason = format!("waiting for order {order_ref} to arrive from the ERP");
        let verdicts = sorted
            .iter()
            .map(|e| {
                (
                    e.event_id,
                    verdict(Disposition::Pending, Some(reason.clone())),
                )
            })
            .collect();
        return FoldOutcome {
            projection: None,
            verdicts,
        };
    }

    let mut state = State::new(order_ref);
    for event in &sorted {
        let outcome = state.apply(event);
        state.verdicts.insert(event.event_id, outcome);
    }
    state.finish()
}

/// Canonical order: by time (unknown times last), then by lifecycle stage, then identity.
fn sort_key(e: &FoldEvent) -> (bool, Option<DateTime<Utc>>, u8, &str, Uuid) {
    (
        e.occurred_at.is_none(),
        e.occurred_at,
        stage_rank(e.event_type),
        e.identity.as_str(),
        e.event_id,
    )
}

/// Where a type sits in an order's life; breaks ties between events of the same instant.
fn stage_rank(t: EventType) -> u8 {
    match t {
        T::OrderCreated => 0,
        T::OrderUpdated => 1,
        T::OrderConfirmed => 2,
        T::OrderReleaseRequested => 3,
        T::OrderAcknowledged | T::OrderRejected => 4,
        T::OrderOnHold | T::OrderHoldReleased => 5,
        T::OrderAllocated | T::OrderBackordered => 6,
        T::OrderPickStarted => 7,
        T::OrderPicked | T::LineSubstituted | T::LineCancelled => 8,
        T::OrderPacked => 9,
        T::ShipmentLabelCreated => 10,
        T::OrderFulfillmentException => 11,
        T::ShipmentDispatched => 12,
        T::ShipmentPickedUp => 13,
        T::ShipmentInTransit | T::ShipmentEtaUpdated | T::ShipmentDelayed => 14,
        T::ShipmentException => 15,
        T::ShipmentOutForDelivery | T::ShipmentAvailableForPickup => 16,
        T::ShipmentDeliveryAttempted => 17,
        T::ShipmentReturnedToSender => 18,
        T::ShipmentDelivered => 19,
        T::OrderCancelled => 20,
        T::ReturnAuthorized => 21,
        T::ReturnReceived => 22,
        T::ReturnCompleted => 23,
        T::InventorySnapshot | T::InventoryAdjusted => 24,
    }
}

/// The order status a warehouse stage stands for, ranked; warehouse work only moves forward.
fn fulfillment_stage(t: EventType) -> Option<(u8, OrderStatus)> {
    Some(match t {
        T::OrderCreated | T::OrderUpdated => (0, OrderStatus::Created),
        T::OrderConfirmed => (1, OrderStatus::Confirmed),
        T::OrderReleaseRequested => (2, OrderStatus::Released),
        T::OrderAcknowledged => (3, OrderStatus::Acknowledged),
        T::OrderAllocated => (4, OrderStatus::Allocated),
        T::OrderPickStarted => (5, OrderStatus::Picking),
        T::OrderPicked => (6, OrderStatus::Picked),
        T::OrderPacked => (7, OrderStatus::Packed),
        _ => return None,
    })
}

/// The shipment status a transport event sets, ranked so an event of unknown time never regresses it.
fn shipment_status(t: EventType) -> Option<(u8, ShipmentStatus)> {
    Some(match t {
        T::ShipmentLabelCreated => (0, ShipmentStatus::LabelCreated),
        T::ShipmentDispatched => (1, ShipmentStatus::Dispatched),
        T::ShipmentPickedUp => (2, ShipmentStatus::PickedUp),
        T::ShipmentInTransit | T::ShipmentDelayed => (3, ShipmentStatus::InTransit),
        T::ShipmentOutForDelivery => (4, ShipmentStatus::OutForDelivery),
        T::ShipmentAvailableForPickup => (4, ShipmentStatus::AvailableForPickup),
        T::ShipmentDeliveryAttempted => (4, ShipmentStatus::DeliveryAttempted),
        T::ShipmentReturnedToSender => (5, ShipmentStatus::Returned),
        T::ShipmentDelivered => (6, ShipmentStatus::Delivered),
        _ => return None,
    })
}

/// The milestone a type marks the first time it happens.
fn milestone(t: EventType) -> Option<&'static str> {
    Some(match t {
        T::OrderCreated => "created",
        T::OrderConfirmed => "confirmed",
        T::OrderReleaseRequested => "released",
        T::OrderAcknowledged => "acknowledged",
        T::OrderAllocated => "allocated",
        T::OrderPickStarted => "pick_started",
        T::OrderPicked => "picked",
        T::OrderPacked => "packed",
        T::ShipmentDispatched => "dispatched",
        T::ShipmentPickedUp | T::ShipmentInTransit => "picked_up",
        T::ShipmentOutForDelivery => "out_for_delivery",
        T::ShipmentDeliveryAttempted => "first_attempt",
        T::ShipmentReturnedToSender => "returned_to_sender",
        T::OrderCancelled => "cancelled",
        T::ReturnAuthorized => "return_authorized",
        T::ReturnReceived => "return_received",
        _ => return None,
    })
}

fn verdict(disposition: Disposition, reason: Option<String>) -> Verdict {
    Verdict {
        disposition,
        reason,
    }
}

fn applied() -> Verdict {
    verdict(Disposition::Applied, None)
}

fn superseded(reason: String) -> Verdict {
    verdict(Disposition::Superseded, Some(reason))
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(crate::domain::display::utc_minute)
        .unwrap_or_else(|| "an unknown time".into())
}

struct ShipmentState {
    view: ShipmentView,
    rank: u8,
    final_dispatch: Option<bool>,
    delivered_by: Option<Uuid>,
}

struct State {
    header: OrderHeader,
    lines: BTreeMap<String, LineView>,
    /// Quantity shipped per shipment and line: a second report of one shipment (945 and 856 of
    /// the same parcel) replaces the first instead of adding to it.
    shipped: BTreeMap<String, BTreeMap<String, f64>>,
    shipments: BTreeMap<String, ShipmentState>,
    packages: BTreeMap<String, PackageView>,
    milestones: BTreeMap<&'static str, MilestoneView>,
    exceptions: Vec<ExceptionView>,
    /// Stretches the SLA clocks do not count (holds, waiting for the customer or the consignee).
    pauses: Vec<Pause>,
    stage: (u8, OrderStatus),
    cancelled: Option<(Uuid, Option<DateTime<Utc>>)>,
    rejected: bool,
    verdicts: BTreeMap<Uuid, Verdict>,
}

impl State {
    fn new(order_ref: &str) -> Self {
        State {
            header: OrderHeader {
                order_ref: order_ref.to_string(),
                ..OrderHeader::default()
            },
            lines: BTreeMap::new(),
            shipped: BTreeMap::new(),
            shipments: BTreeMap::new(),
            packages: BTreeMap::new(),
            milestones: BTreeMap::new(),
            exceptions: Vec::new(),
            pauses: Vec::new(),
            stage: (0, OrderStatus::Created),
            cancelled: None,
            rejected: false,
            verdicts: BTreeMap::new(),
        }
    }

    fn apply(&mut self, e: &FoldEvent) -> Verdict {
        if let Some((_, at)) = self.cancelled {
            let progress = fulfillment_stage(e.event_type).is_some()
                || matches!(
                    e.event_type,
                    T::ShipmentLabelCreated | T::ShipmentDispatched | T::OrderBackordered
                );
            if progress {
                return superseded(format!("the order was cancelled at {}", when(at)));
            }
        }
        if let Some(reason) = self.delivered_already(e) {
            return superseded(reason);
        }
        if e.occurred_at.is_some() {
            self.header.last_event_at = self.header.last_event_at.max(e.occurred_at);
        }
        let d = &e.data;
        match e.event_type {
            T::OrderCreated | T::OrderUpdated | T::OrderConfirmed | T::OrderReleaseRequested => {
                self.commercial(e)
            }
            T::OrderCancelled => {
                self.cancelled = Some((e.event_id, e.occurred_at));
                self.close_all(e);
                self.end_pauses(e, |_| true);
            }
            T::OrderRejected => {
                self.rejected = true;
                self.open(
                    e,
                    "rejected",
                    Domain::Fulfillment,
                    Severity::Critical,
                    reason_text(d, "the warehouse rejected the order"),
                );
            }
            T::OrderAcknowledged => self.rejected = false,
            T::OrderOnHold => {
                self.header.on_hold = true;
                let waiting = text(d, &["reason", "code"])
                    .or(text(d, &["reason"]))
                    .is_some_and(|r| r.to_ascii_lowercase().contains("customer"));
                let reason = if waiting {
                    PauseReason::WaitingForCustomer
                } else {
                    PauseReason::OnHold
                };
                self.start_pause(e, reason);
                self.open(
                    e,
                    "on_hold",
                    Domain::Fulfillment,
                    Severity::Warning,
                    reason_text(d, "on hold at the warehouse"),
                );
            }
            T::OrderHoldReleased => {
                self.header.on_hold = false;
                self.close(e, |x| x.kind == "on_hold");
                self.end_pauses(e, |p| p.reason != PauseReason::Consignee);
            }
            T::OrderBackordered => {
                for line in items(d, &["lines"]) {
                    let view = self.line(line);
                    view.line_status = LineStatus::Backordered;
                    if let Some(short) =
                        number(line, &["qty_short"]).or(number(line, &["qty_backordered"]))
                    {
                        view.qty_short = short;
                    }
                }
                self.open(
                    e,
                    "backordered",
                    Domain::Fulfillment,
                    Severity::Warning,
                    reason_text(d, "lines are backordered"),
                );
            }
            T::LineSubstituted => self.substituted(e),
            T::LineCancelled => {
                for line in line_items(d) {
                    let view = self.line(line);
                    view.line_status = LineStatus::Cancelled;
                    view.reason = text(line, &["reason", "code"]).or(view.reason.take());
                }
            }
            T::OrderPacked => self.add_packages(d, None),
            T::OrderFulfillmentException => {
                let kind =
                    text(d, &["reason", "code"]).unwrap_or_else(|| "fulfillment_exception".into());
                self.open(
                    e,
                    &kind,
                    Domain::Fulfillment,
                    Severity::Critical,
                    reason_text(d, "fulfillment exception"),
                );
            }
            T::ShipmentDispatched => self.dispatched(e),
            _ => {}
        }
        if let Some(stage) = fulfillment_stage(e.event_type) {
            if stage.0 > self.stage.0 {
                self.stage = stage;
            }
        }
        if shipment_status(e.event_type).is_some() || e.event_type.as_str().starts_with("shipment.")
        {
            self.transport(e);
        }
        if let Some(name) = milestone(e.event_type) {
            self.milestones.entry(name).or_insert(MilestoneView {
                milestone: name.to_string(),
                occurred_at: e.occurred_at,
                event_id: e.event_id,
            });
        }
        applied()
    }

    /// A transport event after its shipment's delivery changes nothing.
    fn delivered_already(&self, e: &FoldEvent) -> Option<String> {
        if !e.event_type.as_str().starts_with("shipment.") || e.event_type == T::ShipmentDispatched
        {
            return None;
        }
        tracking_numbers(&e.data).iter().find_map(|tn| {
            let shipment = self.shipments.get(tn)?;
            (shipment.view.status == ShipmentStatus::Delivered).then(|| {
                format!(
                    "shipment {tn} was already delivered at {}",
                    when(shipment.view.delivered_at)
                )
            })
        })
    }

    fn commercial(&mut self, e: &FoldEvent) {
        let d = &e.data;
        let h = &mut self.header;
        let customer = CustomerRef {
            account_code: text(d, &["customer", "account_code"]),
            system: text(d, &["customer", "system"]),
            external_id: text(d, &["customer", "external_id"]),
            name: text(d, &["customer", "name"]).or(text(d, &["ship_to", "name"])),
        };
        if customer.account_code.is_some() || customer.external_id.is_some() {
            h.customer = CustomerRef {
                name: customer.name.or(h.customer.name.take()),
                ..customer
            };
        } else if h.customer.name.is_none() {
            h.customer.name = customer.name;
        }
        if d.pointer("/order/quotation").and_then(Value::as_bool) == Some(true) {
            h.quotation = true;
        }
        set(&mut h.customer_po, text(d, &["order", "customer_po"]));
        set(&mut h.warehouse_code, text(d, &["warehouse", "code"]));
        set(&mut h.carrier, text(d, &["service", "carrier"]));
        set(&mut h.service_level, text(d, &["service", "service_level"]));
        set(&mut h.priority, text(d, &["priority"]));
        set(&mut h.ship_to_country, text(d, &["ship_to", "country"]));
        set(
            &mut h.order_value,
            number(d, &["amount_total"]).or(number(d, &["order", "amount_total"])),
        );
        set(&mut h.promised_ship_by, time(d, &["promises", "ship_by"]));
        set(
            &mut h.promised_deliver_by,
            time(d, &["promises", "deliver_by"]),
        );
        let ordered_at = time(d, &["order", "ordered_at"]);
        if ordered_at.is_some() {
            h.ordered_at = ordered_at;
        } else if h.ordered_at.is_none() && e.event_type == T::OrderCreated {
            h.ordered_at = e.occurred_at;
        }
        let release = e.event_type == T::OrderReleaseRequested;
        for line in items(d, &["lines"]) {
            let ordered = number(line, &["qty_ordered"]).or(number(line, &["qty"]));
            let view = self.line(line);
            set(&mut view.sku, text(line, &["sku"]));
            set(&mut view.uom, text(line, &["uom"]));
            // The ERP's quantity is the truth; the release command repeats it only if nothing else did.
            if let Some(qty) = ordered {
                if !release || view.qty_ordered == 0.0 {
                    view.qty_ordered = qty;
                }
            }
        }
    }

    /// The line an item names: by `line_ref`, else by SKU (an 856 item carries only its SKU).
    fn line(&mut self, line: &Value) -> &mut LineView {
        let sku = text(line, &["sku"]);
        let line_ref = text(line, &["line_ref"])
            .or_else(|| {
                let sku = sku.as_ref()?;
                self.lines
                    .values()
                    .find(|l| l.sku.as_ref() == Some(sku) && l.substitute_of.is_none())
                    .map(|l| l.line_ref.clone())
            })
            .or_else(|| sku.as_ref().map(|s| format!("sku:{s}")))
            .unwrap_or_else(|| "?".into());
        self.lines
            .entry(line_ref.clone())
            .or_insert_with(|| LineView {
                line_ref,
                sku: text(line, &["sku"]),
                line_status: LineStatus::Open,
                ..LineView::default()
            })
    }

    fn substituted(&mut self, e: &FoldEvent) {
        for line in line_items(&e.data) {
            let original = text(line, &["substitute_of"]);
            let view = self.line(line);
            view.substitute_of = original.clone();
            set(&mut view.sku, text(line, &["sku"]));
            if let Some(qty) = number(line, &["qty"]) {
                view.qty_ordered = qty;
            }
            if let Some(original) = original {
                if let Some(replaced) = self.lines.get_mut(&original) {
                    replaced.line_status = LineStatus::Substituted;
                }
            }
        }
    }

    fn dispatched(&mut self, e: &FoldEvent) {
        let d = &e.data;
        let numbers = tracking_numbers(d);
        let carrier = text(d, &["shipment", "carrier"]).or(text(d, &["shipment", "carrier_scac"]));
        let is_final = d.get("is_final").and_then(Value::as_bool);
        for tn in &numbers {
            let shipment = self.shipment(tn);
            set(&mut shipment.view.carrier, carrier.clone());
            shipment.view.dispatched_at = shipment.view.dispatched_at.or(e.occurred_at);
            shipment.final_dispatch = is_final.or(shipment.final_dispatch);
        }
        let shipment_key = numbers
            .first()
            .cloned()
            .unwrap_or_else(|| e.identity.clone());
        let mut short = Vec::new();
        for line in items(d, &["lines"]) {
            let ordered = number(line, &["qty_ordered"]);
            let qty = number(line, &["qty_shipped"])
                .or(number(line, &["qty"]))
                .unwrap_or_default();
            let line_ref = self.line(line).line_ref.clone();
            self.shipped
                .entry(shipment_key.clone())
                .or_default()
                .insert(line_ref.clone(), qty);
            let total: f64 = self.shipped.values().filter_map(|m| m.get(&line_ref)).sum();
            let view = self
                .lines
                .get_mut(&line_ref)
                .expect("the line was just made");
            if view.qty_ordered == 0.0 {
                view.qty_ordered = ordered.unwrap_or_default();
            }
            view.qty_shipped = total;
            view.qty_short =
                number(line, &["qty_short"]).unwrap_or_else(|| (view.qty_ordered - total).max(0.0));
            // Without a status word (or with one the contract does not know), the quantities
            // tell: short and more to come, or short for good.
            let status = text(line, &["line_status"])
                .and_then(|word| word.parse::<LineStatus>().ok())
                .unwrap_or(if view.qty_ordered <= 0.0 || total >= view.qty_ordered {
                    LineStatus::Complete
                } else if is_final == Some(true) {
                    LineStatus::Short
                } else {
                    LineStatus::PartialBackordered
                });
            view.reason = text(line, &["reason", "code"]);
            if status.is_shortfall() {
                short.push(format!(
                    "{} shipped {} of {}{}",
                    view.line_ref,
                    view.qty_shipped,
                    view.qty_ordered,
                    view.reason
                        .as_ref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
            }
            view.line_status = status;
        }
        let first = numbers.first().cloned();
        self.add_packages(d, first);
        if short.is_empty() {
            // A complete dispatch settles earlier shortages of the lines it ships.
            if self.lines.values().all(|l| {
                l.qty_shipped >= l.qty_ordered || l.line_status != LineStatus::PartialBackordered
            }) {
                self.close(e, |x| {
                    x.domain == Domain::Fulfillment && x.kind != "on_hold"
                });
            }
        } else {
            self.open(
                e,
                "short_pick",
                Domain::Fulfillment,
                Severity::Warning,
                short.join("; "),
            );
        }
    }

    fn add_packages(&mut self, d: &Value, tracking_number: Option<String>) {
        for (i, package) in items(d, &["packages"]).iter().enumerate() {
            let package_ref = text(package, &["sscc"])
                .or(text(package, &["package_ref"]))
                .or(text(package, &["name"]))
                .unwrap_or_else(|| {
                    format!("{}#{}", tracking_number.clone().unwrap_or_default(), i + 1)
                });
            let view = self
                .packages
                .entry(package_ref.clone())
                .or_insert(PackageView {
                    package_ref,
                    contents: Value::Array(vec![]),
                    ..PackageView::default()
                });
            set(
                &mut view.tracking_number,
                text(package, &["tracking_number"]).or(tracking_number.clone()),
            );
            set(&mut view.weight, number(package, &["weight", "value"]));
            set(&mut view.weight_unit, text(package, &["weight", "unit"]));
            if let Some(contents) = package.get("contents").filter(|c| c.is_array()) {
                view.contents = contents.clone();
            }
        }
    }

    fn shipment(&mut self, tn: &str) -> &mut ShipmentState {
        self.shipments
            .entry(tn.to_string())
            .or_insert_with(|| ShipmentState {
                view: ShipmentView {
                    tracking_number: tn.to_string(),
                    status: ShipmentStatus::LabelCreated,
                    ..ShipmentView::default()
                },
                rank: 0,
                final_dispatch: None,
                delivered_by: None,
            })
    }

    fn transport(&mut self, e: &FoldEvent) {
        let d = &e.data;
        let status = shipment_status(e.event_type);
        if status.is_some() {
            // The parcel moved again: whatever the consignee had to do is done.
            self.end_pauses(e, |p| p.reason == PauseReason::Consignee);
        }
        // Whatever the scan (an exception, a failed attempt, a parcel waiting to be collected),
        // when the next move is the consignee's the clocks pause until the parcel moves again.
        // (X12 events stored before 2026-12 carry the owner inside the reason.)
        if !e.event_type.ends_journey()
            && text(d, &["action_owner"])
                .or_else(|| text(d, &["reason", "action_owner"]))
                .is_some_and(|o| {
                    matches!(
                        o.to_ascii_lowercase().as_str(),
                        "consignee" | "recipient" | "customer" | "receiver"
                    )
                })
        {
            self.start_pause(e, PauseReason::Consignee);
        }
        for tn in tracking_numbers(d) {
            let shipment = self.shipment(&tn);
            if e.event_type == T::ShipmentDelivered {
                shipment.delivered_by = Some(e.event_id);
            }
            let s = &mut shipment.view;
            set(&mut s.carrier, text(d, &["carrier"]));
            if e.occurred_at.is_some() {
                s.last_event_at = s.last_event_at.max(e.occurred_at);
            }
            set(&mut s.eta, time(d, &["eta"]));
            if let Some((rank, name)) = status {
                // Known times are walked in order, so the latest wins; an unknown time may only advance.
                if e.occurred_at.is_some() || rank > shipment.rank {
                    shipment.rank = rank;
                    s.status = name;
                }
            }
            match e.event_type {
                T::ShipmentDelivered => {
                    s.delivered_at = e.occurred_at;
                    s.signed_by = text(d, &["pod", "signed_by"]).or(text(d, &["signed_by"]));
                }
                T::ShipmentDeliveryAttempted => s.delivery_attempts += 1,
                _ => {}
            }
        }
        let reason = |fallback: &str| reason_text(d, fallback);
        match e.event_type {
            T::ShipmentDelivered => self.close(e, |x| {
                x.domain == Domain::Transport && x.kind != "returned_to_sender"
            }),
            T::ShipmentDeliveryAttempted => self.open(
                e,
                "failed_attempt",
                Domain::Transport,
                Severity::Warning,
                reason("delivery attempt failed"),
            ),
            T::ShipmentDelayed => self.open(
                e,
                "delayed",
                Domain::Transport,
                Severity::Warning,
                reason("shipment delayed"),
            ),
            T::ShipmentException => {
                let kind =
                    text(d, &["reason", "code"]).unwrap_or_else(|| "carrier_exception".into());
                self.open(
                    e,
                    &kind,
                    Domain::Transport,
                    Severity::Critical,
                    reason("carrier exception"),
                )
            }
            T::ShipmentReturnedToSender => self.open(
                e,
                "returned_to_sender",
                Domain::Transport,
                Severity::Critical,
                reason("returned to sender"),
            ),
            _ => {}
        }
    }

    fn open(
        &mut self,
        e: &FoldEvent,
        kind: &str,
        domain: Domain,
        severity: Severity,
        summary: String,
    ) {
        self.exceptions.push(ExceptionView {
            opened_by_event: e.event_id,
            kind: kind.to_string(),
            domain,
            severity,
            summary,
            opened_at: e.occurred_at,
            closed_by_event: None,
            closed_at: None,
        });
    }

    fn close(&mut self, e: &FoldEvent, which: impl Fn(&ExceptionView) -> bool) {
        for x in self
            .exceptions
            .iter_mut()
            .filter(|x| x.closed_by_event.is_none() && which(x))
        {
            x.closed_by_event = Some(e.event_id);
            x.closed_at = e.occurred_at;
        }
    }

    fn start_pause(&mut self, e: &FoldEvent, reason: PauseReason) {
        let Some(from) = e.occurred_at else { return };
        if self
            .pauses
            .iter()
            .any(|p| p.until.is_none() && p.reason == reason)
        {
            return;
        }
        self.pauses.push(Pause {
            reason,
            from,
            until: None,
        });
    }

    fn end_pauses(&mut self, e: &FoldEvent, which: impl Fn(&Pause) -> bool) {
        let Some(at) = e.occurred_at else { return };
        for p in self
            .pauses
            .iter_mut()
            .filter(|p| p.until.is_none() && which(p))
        {
            p.until = Some(at.max(p.from));
        }
    }

    fn close_all(&mut self, e: &FoldEvent) {
        self.close(e, |_| true);
    }

    fn finish(mut self) -> FoldOutcome {
        self.header.status = self.status();
        self.header.tracking_numbers = self.shipments.keys().cloned().collect();
        if let Some(delivered) = self.delivered_at() {
            self.milestones.insert(
                "delivered",
                MilestoneView {
                    milestone: "delivered".into(),
                    occurred_at: delivered.1,
                    event_id: delivered.0,
                },
            );
        }
        FoldOutcome {
            projection: Some(OrderProjection {
                header: self.header,
                lines: self.lines.into_values().collect(),
                shipments: self.shipments.into_values().map(|s| s.view).collect(),
                packages: self.packages.into_values().collect(),
                milestones: self.milestones.into_values().collect(),
                exceptions: self.exceptions,
                pauses: self.pauses,
            }),
            verdicts: self.verdicts,
        }
    }

    /// Everything shipped: every line settled, or, without lines, no dispatch said more would come.
    fn fully_shipped(&self) -> bool {
        if self.lines.is_empty() {
            return self
                .shipments
                .values()
                .all(|s| s.final_dispatch != Some(false));
        }
        self.lines.values().all(|l| {
            l.line_status.is_final() || (l.qty_ordered > 0.0 && l.qty_shipped >= l.qty_ordered)
        })
    }

    /// When the order as a whole was delivered: its last shipment's delivery, once all is shipped.
    fn delivered_at(&self) -> Option<(Uuid, Option<DateTime<Utc>>)> {
        if self.cancelled.is_some() || self.shipments.is_empty() || !self.fully_shipped() {
            return None;
        }
        if !self
            .shipments
            .values()
            .all(|s| s.view.status == ShipmentStatus::Delivered)
        {
            return None;
        }
        let last = self
            .shipments
            .values()
            .max_by_key(|s| s.view.delivered_at)?;
        Some((last.delivered_by?, last.view.delivered_at))
    }

    fn status(&self) -> OrderStatus {
        use OrderStatus as O;
        if self.cancelled.is_some() {
            return O::Cancelled;
        }
        let dispatched: Vec<&ShipmentState> =
            self.shipments.values().filter(|s| s.rank >= 1).collect();
        if dispatched.is_empty() {
            if self.rejected {
                return O::Rejected;
            }
            if !self.shipments.is_empty() {
                return O::LabelCreated;
            }
            return self.stage.1;
        }
        let delivered = dispatched
            .iter()
            .filter(|s| s.view.status == ShipmentStatus::Delivered)
            .count();
        let fully = self.fully_shipped();
        if delivered == dispatched.len() {
            return if fully {
                O::Delivered
            } else {
                O::PartiallyShipped
            };
        }
        if delivered > 0 {
            return O::PartiallyDelivered;
        }
        if !fully {
            return O::PartiallyShipped;
        }
        let least = dispatched
            .iter()
            .min_by_key(|s| s.rank)
            .map(|s| s.view.status);
        match least {
            Some(ShipmentStatus::PickedUp | ShipmentStatus::InTransit) => O::InTransit,
            Some(ShipmentStatus::OutForDelivery) => O::OutForDelivery,
            Some(ShipmentStatus::DeliveryAttempted) => O::DeliveryAttempted,
            Some(ShipmentStatus::AvailableForPickup) => O::AvailableForPickup,
            Some(ShipmentStatus::Returned) => O::Returned,
            _ => O::Shipped,
        }
    }
}

/// Lines of a line event: a `lines` array, or the event's own fields when it names one line.
fn line_items(d: &Value) -> Vec<&Value> {
    let lines = items(d, &["lines"]);
    if lines.is_empty() && d.get("line_ref").is_some() {
        vec![d]
    } else {
        lines.iter().collect()
    }
}

fn reason_text(d: &Value, fallback: &str) -> String {
    text(d, &["reason", "text"])
        .or(text(d, &["reason", "code"]).map(|c| c.replace('_', " ")))
        .or(text(d, &["source_status", "text"]))
        .unwrap_or_else(|| fallback.to_string())
}

/// Later facts replace earlier ones; an absent fact keeps what was known.
fn set<V>(slot: &mut Option<V>, value: Option<V>) {
    if value.is_some() {
        *slot = value;
    }
}
