//! The outbox: what other systems must be told because an event was applied to an order. The
//! projector calls `plan` for each event it applies, inside the transaction that applies it, and
//! enqueues the jobs there, so an event and its consequences commit together or not at all.
//! Each job names its cause (`caused_by`); one cause makes at most one job per queue and kind,
//! ever, so an order folded again (a late event, a replay) never repeats an effect.
//!
//! | applied event | job (`crate::jobs`) | to |
//! |---|---|---|
//! | `order.release_requested` | `SendInstructionToWms` release | the WMS of the order's warehouse |
//! | `order.confirmed` / `order.updated` after a release, before dispatch | `SendInstructionToWms` amend | same |
//! | `order.cancelled` after a release | `SendInstructionToWms` cancel | same |
//! | `shipment.dispatched` | `ConfirmDispatchInOdoo` (tracking, quantities, validation) | the order's Odoo |
//! | `shipment.delivered` with a signature or photo URL | `AttachProofOfDeliveryInOdoo` (files on the delivery, a note linking them) | the order's Odoo |
//! | `shipment.delivered`, `.delivery_attempted`, `.delayed`, `.exception`, `order.fulfillment_exception`, `order.rejected` | `PostNoteInOdoo` (chatter; an activity for exceptions) | the order's Odoo |
//! | `line.substituted` | `SubstituteInOdoo` (the substitute's move, the original reduced, a note) | the order's Odoo |
//! | `return.authorized` | `CreateReturnInOdoo` (the return picking) | the order's Odoo |
//! | `shipment.returned_to_sender` | `PostNoteInOdoo` (and an activity) and `CreateReturnInOdoo` (the return is expected) | the order's Odoo |
//! | `return.received` | `ReceiveReturnInOdoo` (the return picking validated, the condition noted) | the order's Odoo |
//! | `inventory.snapshot` (no order) | `ReconcileInventoryInOdoo` (compare, apply if configured) | every Odoo |

use super::routes::Routes;
use crate::connectors::odoo::inventory::{counted, Snapshot};
use crate::connectors::odoo::notes::Note;
use crate::connectors::odoo::pod::ProofOfDelivery;
use crate::connectors::odoo::returns::{ReturnReceipt, ReturnRequest};
use crate::connectors::odoo::substitutions::{Substitute, Substitution};
use crate::connectors::odoo::writeback::{Dispatch, ShippedLine};
use crate::connectors::wms::release::{Action, Instruction};
use crate::jobs::{
    AttachProofOfDeliveryInOdoo, ConfirmDispatchInOdoo, CreateReturnInOdoo, PostNoteInOdoo,
    ReceiveReturnInOdoo, ReconcileInventoryInOdoo, SendInstructionToWms, SubstituteInOdoo,
};
use crate::store::jobs::queue::NewJob;
use app::domain::event::EventType;
use app::domain::projection::OrderProjection;
use app::domain::sla::ReleaseTimes;
use app::domain::status::{LineStatus, OrderStatus};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// An event the projector has just applied.
#[derive(Debug, Clone)]
pub struct Applied<'a> {
    pub event_id: Uuid,
    pub event_type: EventType,
    /// When it happened, as its source said (for notes that tell the time).
    pub occurred_at: Option<chrono::DateTime<chrono::Utc>>,
    pub data: &'a Value,
}

/// The order the event was applied to, after the fold.
#[derive(Debug, Clone)]
pub struct OrderContext<'a> {
    pub order: &'a OrderProjection,
    /// The connector its commercial events came from (the ERP to write back to).
    pub erp_connector: Option<i64>,
    /// A release had been applied before this batch of events.
    pub released_before: bool,
    /// The ship-by time and cut-off a release or amend sent now tells the warehouse.
    pub release_times: ReleaseTimes,
}

/// The release instruction for an order, named after the event that asked for it (as `plan`
/// sends it; a held release keeps it to send later).
pub fn release_instruction(
    order: &OrderProjection,
    event_id: Uuid,
    data: &Value,
    times: &ReleaseTimes,
) -> Instruction {
    Instruction {
        instruction_id: format!("rel-{event_id}"),
        action: Action::Release,
        order_ref: order.header.order_ref.clone(),
        order: contract_order(order, data, times),
    }
}

/// The jobs one applied event causes.
pub fn plan(e: &Applied, o: &OrderContext, routes: &Routes) -> Vec<NewJob> {
    use EventType as T;
    let order_ref = &o.order.header.order_ref;
    let cancelled = o.order.header.status == OrderStatus::Cancelled;
    let shipped = !o.order.shipments.is_empty();
    let released = o.released_before || has_milestone(o.order, "released");
    let wms = || routes.wms_for(o.order.header.warehouse_code.as_deref());
    let erp = || o.erp_connector.and_then(|c| routes.erp(c));
    // An order's jobs run one at a time, in order; each names the event that caused it.
    let job = |new: NewJob| new.ordered_by(order_ref).caused_by(e.event_id);
    let instruction = |action: Action, prefix: &str| -> Vec<NewJob> {
        let Some(queue) = wms() else { return vec![] };
        let i = Instruction {
            instruction_id: format!("{prefix}-{}", e.event_id),
            action,
            order_ref: order_ref.clone(),
            order: if action == Action::Cancel {
                json!({})
            } else {
                contract_order(o.order, e.data, &o.release_times)
            },
        };
        vec![job(NewJob::new(queue, &SendInstructionToWms(i)))]
    };
    match e.event_type {
        T::OrderReleaseRequested if !cancelled && !shipped => instruction(Action::Release, "rel"),
        T::OrderConfirmed | T::OrderUpdated if o.released_before && !cancelled && !shipped => {
            instruction(Action::Amend, "amd")
        }
        T::OrderCancelled if released && !shipped => instruction(Action::Cancel, "cnl"),
        T::ShipmentDispatched => {
            let Some(queue) = erp() else { return vec![] };
            let Some(d) = dispatch(o.order, e.data) else {
                return vec![];
            };
            vec![job(NewJob::new(queue, &ConfirmDispatchInOdoo(d)))]
        }
        T::LineSubstituted => {
            let Some(queue) = erp() else { return vec![] };
            let s = substitution(o.order, &e.event_id.to_string(), e.data);
            if s.lines.is_empty() {
                return vec![];
            }
            vec![job(NewJob::new(queue, &SubstituteInOdoo(s)))]
        }
        T::ReturnAuthorized => {
            let Some(queue) = erp() else { return vec![] };
            let r = ReturnRequest {
                order_ref: order_ref.clone(),
                rma: e
                    .data
                    .pointer("/return/rma")
                    .or(e.data.get("rma"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                lines: e.data["lines"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| {
                        Some(ShippedLine {
                            sku: l["sku"].as_str()?.to_string(),
                            qty_shipped: ["qty", "qty_authorized", "quantity"]
                                .iter()
                                .find_map(|k| l[*k].as_f64())?,
                        })
                    })
                    .collect(),
            };
            vec![job(NewJob::new(queue, &CreateReturnInOdoo(r)))]
        }
        T::ShipmentReturnedToSender => {
            // The parcel is coming back: Odoo expects it (the return picking, validated when the
            // warehouse reports the receipt) and the salesperson hears of it.
            let Some(queue) = erp() else { return vec![] };
            let lines: Vec<ShippedLine> = o
                .order
                .lines
                .iter()
                .filter(|l| l.qty_shipped > 0.0)
                .filter_map(|l| {
                    Some(ShippedLine {
                        sku: l.sku.clone()?,
                        qty_shipped: l.qty_shipped,
                    })
                })
                .collect();
            let mut jobs = vec![job(NewJob::new(queue, &PostNoteInOdoo(note(e, order_ref))))];
            if !lines.is_empty() {
                let r = ReturnRequest {
                    order_ref: order_ref.clone(),
                    rma: None,
                    lines,
                };
                jobs.push(job(NewJob::new(queue, &CreateReturnInOdoo(r))));
            }
            jobs
        }
        T::ReturnReceived => {
            let Some(queue) = erp() else { return vec![] };
            let r = return_receipt(order_ref, &e.event_id.to_string(), e.data);
            vec![job(NewJob::new(queue, &ReceiveReturnInOdoo(r)))]
        }
        T::ShipmentDelivered if !pod_files(e.data).is_empty() => {
            let Some(queue) = erp() else { return vec![] };
            let p = proof_of_delivery(order_ref, e);
            vec![job(NewJob::new(queue, &AttachProofOfDeliveryInOdoo(p)))]
        }
        T::ShipmentDelivered
        | T::ShipmentDeliveryAttempted
        | T::ShipmentDelayed
        | T::ShipmentException
        | T::OrderFulfillmentException
        | T::OrderRejected => {
            let Some(queue) = erp() else { return vec![] };
            let note = note(e, order_ref);
            vec![job(NewJob::new(queue, &PostNoteInOdoo(note)))]
        }
        _ => vec![],
    }
}

/// The comparisons a warehouse's inventory snapshot (no order) asks of every Odoo.
pub fn plan_inventory(event_id: Uuid, data: &Value, routes: &Routes) -> Vec<NewJob> {
    let items = counted(data);
    if items.is_empty() {
        return vec![];
    }
    let warehouse = data
        .pointer("/warehouse/code")
        .or(data.get("warehouse"))
        .and_then(Value::as_str)
        .map(str::to_string);
    routes
        .inventory()
        .iter()
        .map(|(queue, apply)| {
            let snapshot = Snapshot {
                warehouse: warehouse.clone(),
                items: items.clone(),
                apply: *apply,
            };
            NewJob::new(queue, &ReconcileInventoryInOdoo(snapshot)).caused_by(event_id)
        })
        .collect()
}

fn has_milestone(o: &OrderProjection, name: &str) -> bool {
    o.milestones.iter().any(|m| m.milestone == name)
}

/// The order in the release contract (`docs/wms-release.md`), as it now is. Fields added
/// after the contract's first version are optional and left out when unknown.
fn contract_order(o: &OrderProjection, data: &Value, times: &ReleaseTimes) -> Value {
    let h = &o.header;
    let lines: Vec<Value> = o
        .lines
        .iter()
        .filter(|l| l.line_status != LineStatus::Cancelled && l.substitute_of.is_none())
        .map(|l| json!({"line_ref": l.line_ref, "sku": l.sku, "qty": l.qty_ordered, "uom": l.uom.clone().unwrap_or_else(|| "EA".into())}))
        .collect();
    let mut order = json!({
        "customer_po": h.customer_po,
        "service": {"carrier": h.carrier, "service_level": h.service_level},
        "ship_to": data.get("ship_to").cloned().unwrap_or(Value::Null),
        "lines": lines,
        "promised_by": h.promised_deliver_by.or(h.promised_ship_by).map(|t| t.to_rfc3339()),
    });
    let optional = [
        ("priority", h.priority.as_ref().map(|p| json!(p))),
        ("ship_by", times.ship_by.map(|t| json!(t.to_rfc3339()))),
        ("cut_off", times.cut_off.map(|t| json!(t.to_rfc3339()))),
        (
            "allocation",
            data.get("allocation").filter(|a| a.is_array()).cloned(),
        ),
        (
            "incoterms",
            data.get("incoterms").filter(|i| i.is_object()).cloned(),
        ),
        (
            "notes",
            data.get("notes").filter(|n| n.is_string()).cloned(),
        ),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            order[key] = value;
        }
    }
    order
}

/// The URLs of a delivery's proof: `pod.signature_url`, `pod.photo_url`, `pod.photo_urls[]`
/// (or the same under `proof_of_delivery`), in that order, each once.
fn pod_files(data: &Value) -> Vec<String> {
    let pod = data.get("pod").or(data.get("proof_of_delivery"));
    let mut files: Vec<String> = Vec::new();
    let Some(pod) = pod else { return files };
    let listed = pod.get("photo_urls").and_then(Value::as_array);
    for url in ["signature_url", "photo_url", "image_url"]
        .iter()
        .filter_map(|k| pod.get(*k))
        .chain(listed.into_iter().flatten())
        .filter_map(Value::as_str)
    {
        if !files.iter().any(|f| f == url) {
            files.push(url.to_string());
        }
    }
    files
}

fn proof_of_delivery(order_ref: &str, e: &Applied) -> ProofOfDelivery {
    let d = e.data;
    let pod = d.get("pod").or(d.get("proof_of_delivery"));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    ProofOfDelivery {
        order_ref: order_ref.to_string(),
        marker: e.event_id.to_string(),
        tracking_number: text(
            d.get("tracking_number")
                .or(d.pointer("/shipment/tracking_numbers/0")),
        )
        .unwrap_or_default(),
        signed_by: text(pod.and_then(|p| p.get("signed_by")).or(d.get("signed_by"))),
        delivered_at: e
            .occurred_at
            .map(|t| t.to_rfc3339())
            .or_else(|| text(pod.and_then(|p| p.get("delivered_at")))),
        files: pod_files(d),
    }
}

/// What the warehouse received back, as the return's write-back takes it.
fn return_receipt(order_ref: &str, marker: &str, data: &Value) -> ReturnReceipt {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let items: Vec<&Value> = data["lines"].as_array().into_iter().flatten().collect();
    ReturnReceipt {
        order_ref: order_ref.to_string(),
        marker: marker.to_string(),
        rma: text(data.pointer("/return/rma").or(data.get("rma"))),
        lines: items
            .iter()
            .filter_map(|l| {
                Some(ShippedLine {
                    sku: l["sku"].as_str()?.to_string(),
                    qty_shipped: ["qty_received", "qty", "quantity", "qty_shipped"]
                        .iter()
                        .find_map(|k| l[*k].as_f64())?,
                })
            })
            .collect(),
        condition: text(
            data.get("condition")
                .or(data.pointer("/return/condition"))
                .or(data.pointer("/reason/code")),
        ),
        line_conditions: items
            .iter()
            .filter_map(|l| Some((l["sku"].as_str()?.to_string(), text(l.get("condition"))?)))
            .collect(),
    }
}

/// The write-back of a substitution: each substitute line with the SKU it replaces (named by
/// the warehouse, else the SKU of the line it names in `substitute_of`).
fn substitution(o: &OrderProjection, marker: &str, data: &Value) -> Substitution {
    let lines = data
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let sku = l.get("sku").and_then(Value::as_str)?.to_string();
            let qty = ["qty", "qty_shipped", "qty_ordered"]
                .iter()
                .find_map(|k| l.get(*k).and_then(Value::as_f64))?;
            let original_sku = l
                .get("original_sku")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    let replaced = l.get("substitute_of").and_then(Value::as_str)?;
                    o.lines
                        .iter()
                        .find(|line| line.line_ref == replaced)?
                        .sku
                        .clone()
                });
            Some(Substitute {
                original_sku,
                sku,
                qty,
            })
        })
        .collect();
    Substitution {
        order_ref: o.header.order_ref.clone(),
        marker: marker.to_string(),
        lines,
    }
}

/// The write-back of a dispatch: SKUs from the event, else from the order's lines; a backorder
/// unless the WMS said this shipment was final.
fn dispatch(o: &OrderProjection, data: &Value) -> Option<Dispatch> {
    let tracking_number = data
        .pointer("/shipment/tracking_numbers/0")
        .and_then(Value::as_str)?
        .to_string();
    let sku_of: HashMap<&str, &str> = o
        .lines
        .iter()
        .filter_map(|l| Some((l.line_ref.as_str(), l.sku.as_deref()?)))
        .collect();
    let lines = data
        .get("lines")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let sku = l.get("sku").and_then(Value::as_str).or_else(|| {
                sku_of
                    .get(l.get("line_ref").and_then(Value::as_str)?)
                    .copied()
            })?;
            let qty = l
                .get("qty_shipped")
                .or(l.get("qty"))
                .and_then(Value::as_f64)?;
            Some(ShippedLine {
                sku: sku.to_string(),
                qty_shipped: qty,
            })
        })
        .collect();
    Some(Dispatch {
        order_ref: o.header.order_ref.clone(),
        tracking_number,
        lines,
        backorder: data.get("is_final").and_then(Value::as_bool) != Some(true),
    })
}

/// The chatter message (and, for exceptions, the salesperson's activity) an event posts.
fn note(e: &Applied, order_ref: &str) -> Note {
    use EventType as T;
    let d = e.data;
    let tracking = d
        .get("tracking_number")
        .or(d.pointer("/shipment/tracking_number"))
        .or(d.pointer("/shipment/tracking_numbers/0"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let reason = d
        .pointer("/reason/text")
        .or(d.pointer("/reason/code"))
        .or(d.get("status_text"))
        .and_then(Value::as_str);
    let with_reason = |base: String| match reason {
        Some(r) => format!("{base}: {r}"),
        None => base,
    };
    let (body, activity) = match e.event_type {
        T::ShipmentDelivered => {
            let signed = d
                .pointer("/pod/signed_by")
                .or(d.pointer("/proof_of_delivery/signed_by"))
                .and_then(Value::as_str)
                .map(|s| format!(", signed by {s}"))
                .unwrap_or_default();
            let at = e
                .occurred_at
                .map(|t| format!(" at {}", t.to_rfc3339()))
                .unwrap_or_default();
            (
                format!("Delivered (tracking {tracking}){at}{signed}."),
                None,
            )
        }
        T::ShipmentReturnedToSender => {
            let text = with_reason(format!("Returned to sender (tracking {tracking})"));
            (
                format!(
                    "{text}. The return is expected back: Milepost prepares the return picking."
                ),
                Some(text),
            )
        }
        T::ShipmentDeliveryAttempted => (
            with_reason(format!("Delivery attempt failed (tracking {tracking})")),
            None,
        ),
        T::ShipmentDelayed => (
            with_reason(format!("Carrier reports a delay (tracking {tracking})")),
            None,
        ),
        T::ShipmentException => {
            let text = with_reason(format!("Carrier exception (tracking {tracking})"));
            (text.clone(), Some(text))
        }
        T::OrderRejected => {
            let text = with_reason("The warehouse rejected the order".to_string());
            (text.clone(), Some(text))
        }
        _ => {
            let text = with_reason("Fulfillment exception at the warehouse".to_string());
            (text.clone(), Some(text))
        }
    };
    Note {
        order_ref: order_ref.to_string(),
        marker: e.event_id.to_string(),
        body,
        activity_summary: activity,
    }
}

#[cfg(test)]
pub(crate) mod tests;
