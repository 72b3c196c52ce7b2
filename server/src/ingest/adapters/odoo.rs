//! Odoo automation-rule webhooks ("Send Webhook Notification"), and the same record shape read
//! over JSON-RPC. Odoo sends a flat `record.read()` of the chosen fields plus `_model`, `_id` and
//! `_action`; many2one fields are bare ids, empty values are `false`, datetimes are UTC strings
//! without an offset (`"2026-11-27 19:26:38"`, `write_date` with microseconds).
//!
//! The payload is built inside Odoo's transaction, so it can show an intermediate state and
//! arrive twice, identical: the event id is derived from the record, its state and `write_date`
//! to the whole second, and identical payloads are one event. Whole seconds because the webhook
//! sends `write_date` with microseconds while Odoo's own read answers without them (and Odoo 19
//! compares datetimes to the second, `14_webhook_precision.json`): the webhook and Milepost's
//! read of the same change must be one event, or a cancellation is acted on twice. A `stock.picking` payload, or one with no fields, is a
//! trigger only: it is kept in the inbox and the sync engine reads the record (the truth).
//! Every webhook asks for that read (`Parsed::reads`); a read's own result (`_action`
//! `milepost.read`, see `connectors::odoo::read`) does not, and it alone carries the
//! delivery pickings (`_pickings`), whose readiness releases the order to the warehouse.

use super::event::Derived;
use super::{
    json_body, AdapterError, CanonicalEvent, Format, Origin, Parsed, RecordRef, SourceStatus,
    Stamp, UnknownCode,
};
use crate::connectors::odoo::READ_ACTION;
use app::domain::event::EventType;
use serde_json::{json, Value};

const ODOO_TIME: &[&str] = &["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S"];

/// `sale.order` states in Odoo 14 to 19 and the commercial event each one means.
pub const SALE_ORDER_STATES: &[(&str, EventType)] = &[
    ("draft", EventType::OrderCreated),
    ("sent", EventType::OrderUpdated),
    ("sale", EventType::OrderConfirmed),
    ("done", EventType::OrderConfirmed),
    ("cancel", EventType::OrderCancelled),
];

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let record = json_body(body)?;
    let model = record
        .get("_model")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AdapterError::invalid("_model", "is required (an Odoo automation-rule payload)")
        })?;
    let id = record
        .get("_id")
        .and_then(Value::as_i64)
        .ok_or_else(|| AdapterError::invalid("_id", "must be the record's integer id"))?;
    let mut parsed = Parsed::default();
    let read_result = record.get("_action").and_then(Value::as_str) == Some(READ_ACTION);
    if !read_result && matches!(model, "sale.order" | "stock.picking") {
        parsed.reads.push(RecordRef {
            model: model.to_string(),
            id,
        });
    }
    if model != "sale.order" || record.get("state").is_none() {
        // A trigger without the facts: the sync engine reads the record.
        return Ok(parsed);
    }
    let state = text(&record, "state").unwrap_or_default();
    let Some(event_type) = SALE_ORDER_STATES
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, t)| *t)
    else {
        parsed.unknown_codes.push(UnknownCode {
            field: "sale.order.state".into(),
            code: state,
            mapped_to: None,
        });
        return Ok(parsed);
    };
    let name = text(&record, "name")
        .ok_or_else(|| AdapterError::invalid("name", "is required on sale.order"))?;
    let write_date = text(&record, "write_date");
    let stamp = Stamp::utc_by_convention(
        write_date
            .as_deref()
            .or(text(&record, "date_order").as_deref()),
        ODOO_TIME,
    );
    let utc = |field: &str| {
        Stamp::utc_by_convention(text(&record, field).as_deref(), ODOO_TIME)
            .at
            .map(|t| t.to_rfc3339())
    };
    let lines: Vec<Value> = record
        .get("order_line")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter(|l| l.is_object())
                .enumerate()
                .map(|(i, l)| line(&name, i, l))
                .collect()
        })
        .unwrap_or_default();
    let mut data = json!({
        "order": {"erp_order_id": name, "odoo_id": id, "customer_po": text(&record, "client_order_ref"), "ordered_at": utc("date_order")},
        "customer": {"system": "odoo", "external_id": text(&record, "partner_id")},
        "amount_total": record.get("amount_total"),
        "promises": {"deliver_by": utc("commitment_date")},
        "delivery_status": text(&record, "delivery_status"),
    });
    if !lines.is_empty() {
        data["lines"] = Value::Array(lines);
    }
    // Draft and sent are quotations: the customer has not accepted them, so they promise nothing.
    if matches!(state.as_str(), "draft" | "sent") {
        data["order"]["quotation"] = json!(true);
    }
    for key in [
        "priority",
        "service_level",
        "warehouse",
        "service",
        "ship_to",
        "incoterms",
        "notes",
        "allocation",
    ] {
        if let Some(v) = record.get(key).filter(|v| !is_empty(v)) {
            data[key] = v.clone();
        }
    }
    // A confirmed order, or one Odoo 17 locked after confirmation (`done`, "Lock Confirmed
    // Sales"; Odoo 18 and 19 lock with a boolean and keep `sale`).
    let release = ready_delivery(&record)
        .filter(|_| matches!(state.as_str(), "sale" | "done"))
        .map(|picking| (picking, data.clone()));
    parsed.events.push(CanonicalEvent::derived(
        origin,
        Format::Odoo,
        Derived {
            id: format!(
                "odoo:sale.order:{id}:{}:{}",
                text(&record, "state").unwrap_or_default(),
                write_date.as_deref().map_or("-", whole_second)
            ),
            event_type,
            subject: format!("order/{name}"),
            stamp,
            data,
            status: SourceStatus {
                system: "odoo".into(),
                code: format!(
                    "sale.order.state={}",
                    text(&record, "state").unwrap_or_default()
                ),
                text: text(&record, "_action"),
                raw_time: write_date,
            },
        },
    ));
    if let Some((picking, mut release_data)) = release {
        // The delivery is ready: release the order to its warehouse, once per picking.
        let picking_id = picking
            .get("id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let picking_write = text(picking, "write_date");
        release_data["delivery"] =
            json!({"odoo_picking_id": picking_id, "name": text(picking, "name")});
        parsed.events.push(CanonicalEvent::derived(
            origin,
            Format::Odoo,
            Derived {
                id: format!("odoo:stock.picking:{picking_id}:ready"),
                event_type: EventType::OrderReleaseRequested,
                subject: format!("order/{name}"),
                stamp: Stamp::utc_by_convention(picking_write.as_deref(), ODOO_TIME),
                data: release_data,
                status: SourceStatus {
                    system: "odoo".into(),
                    code: "stock.picking.state=assigned".into(),
                    text: Some("delivery ready".into()),
                    raw_time: picking_write,
                },
            },
        ));
    }
    Ok(parsed)
}

/// The order's first outgoing picking that is ready to ship (`assigned`), when it was read.
fn ready_delivery(record: &Value) -> Option<&Value> {
    record.get("_pickings")?.as_array()?.iter().find(|p| {
        p.get("state").and_then(Value::as_str) == Some("assigned")
            && p.get("picking_type_code").and_then(Value::as_str) != Some("incoming")
    })
}

/// A `sale.order.line` as read: the SKU is Odoo's internal reference, shown as `[CODE] Name`.
fn line(order: &str, i: usize, l: &Value) -> Value {
    let sku = text(l, "default_code").or_else(|| {
        let name = text(l, "name")?;
        let code = name.strip_prefix('[')?.split(']').next()?;
        Some(code.to_string())
    });
    json!({"line_ref": format!("{order}-{}", i + 1), "sku": sku, "qty_ordered": l.get("product_uom_qty"),
           "uom": text(l, "product_uom_name").unwrap_or_else(|| "EA".into()), "odoo_id": l.get("id")})
}

/// An Odoo datetime to the whole second (`2026-12-01 19:50:16.804889` → `2026-12-01 19:50:16`).
fn whole_second(time: &str) -> &str {
    time.split_once('.').map_or(time, |(seconds, _)| seconds)
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false))
}

/// A field as text: Odoo's `false` means empty; ids are numbers.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::event::TimeProvenance;

    const RECEIVED: &str = include_str!("../../../tests/fixtures/odoo/webhook_received.jsonl");

    fn origin() -> Origin {
        Origin {
            connector: "odoo".into(),
            time_zone: None,
            warehouse_code: None,
        }
    }

    fn recorded() -> Vec<(String, Vec<u8>)> {
        RECEIVED
            .lines()
            .map(|l| {
                let r: Value = serde_json::from_str(l).unwrap();
                (
                    r["path"].as_str().unwrap().to_string(),
                    r["body"].as_str().unwrap().as_bytes().to_vec(),
                )
            })
            .collect()
    }

    #[test]
    fn the_webhook_and_the_read_of_one_change_are_one_event() {
        // Recorded: the cancel webhook has write_date with microseconds, the read after it the
        // same write_date to the second.
        const PRECISION: &str =
            include_str!("../../../tests/fixtures/odoo/webhook_precision.jsonl");
        const READS: &str = include_str!("../../../tests/fixtures/odoo/14_webhook_precision.json");
        let webhook: Value = serde_json::from_str(PRECISION.lines().nth(2).unwrap()).unwrap();
        let webhook = parse(&origin(), webhook["body"].as_str().unwrap().as_bytes()).unwrap();
        let reads: Value = serde_json::from_str(READS).unwrap();
        let mut read = reads
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["label"] == "sale.order read after confirm+cancel")
            .unwrap()["response"][0]
            .clone();
        read["_model"] = json!("sale.order");
        read["_id"] = read["id"].clone();
        read["_action"] = json!(READ_ACTION);
        let read = parse(&origin(), read.to_string().as_bytes()).unwrap();
        assert_eq!(webhook.events[0].event_type, EventType::OrderCancelled);
        assert_eq!(read.events[0].event_type, EventType::OrderCancelled);
        assert_eq!(webhook.events[0].id, read.events[0].id);
        assert_eq!(
            webhook.events[0].id,
            "odoo:sale.order:39:cancel:2026-12-01 19:50:16"
        );
    }

    #[test]
    fn draft_and_sent_are_quotations_and_a_confirmed_order_is_not() {
        let order = |state: &str| {
            json!({"_model": "sale.order", "_id": 39, "name": "S00039", "state": state,
                   "write_date": "2026-12-01 19:50:14.681261", "partner_id": 15})
        };
        for (state, quotation) in [
            ("draft", true),
            ("sent", true),
            ("sale", false),
            ("cancel", false),
        ] {
            let parsed = parse(&origin(), order(state).to_string().as_bytes()).unwrap();
            assert_eq!(
                parsed.events[0].data["order"]["quotation"] == true,
                quotation,
                "{state}"
            );
        }
    }

    #[test]
    fn every_recorded_payload_is_read_without_error() {
        for (path, body) in recorded() {
            let parsed = parse(&origin(), &body);
            assert!(parsed.is_ok(), "{path}: {parsed:?}");
        }
    }

    #[test]
    fn a_sale_order_payload_becomes_a_commercial_event_in_utc() {
        let (_, body) = recorded()
            .into_iter()
            .find(|(p, _)| p == "/odoo/sale.order")
            .unwrap();
        let parsed = parse(&origin(), &body).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.event_type, EventType::OrderCreated);
        assert_eq!(e.data["order"]["erp_order_id"], "S00028");
        assert_eq!(e.data["order"]["customer_po"], "EXT-ORDER-3003");
        assert_eq!(e.data["customer"]["external_id"], "47");
        assert_eq!(
            e.data["promises"]["deliver_by"],
            Value::Null,
            "Odoo's false is empty"
        );
        assert_eq!(e.time_provenance, TimeProvenance::Given);
        assert_eq!(e.occurred_at.unwrap().offset().local_minus_utc(), 0);
    }

    #[test]
    fn identical_payloads_fired_twice_are_one_event_and_a_new_write_is_another() {
        let (_, body) = recorded()
            .into_iter()
            .find(|(p, _)| p == "/odoo/sale.order")
            .unwrap();
        let first = parse(&origin(), &body).unwrap();
        let again = parse(&origin(), &body).unwrap();
        assert_eq!(first.events[0].id, again.events[0].id);
        let confirmed: Vec<Vec<u8>> = recorded()
            .into_iter()
            .filter(|(p, _)| p == "/odoo/sale.order")
            .map(|(_, b)| b)
            .collect();
        let later = parse(&origin(), &confirmed[1]).unwrap();
        assert_ne!(first.events[0].id, later.events[0].id);
        assert_eq!(later.events[0].event_type, EventType::OrderConfirmed);
    }

    #[test]
    fn pickings_and_bare_triggers_carry_no_facts() {
        for (path, body) in recorded()
            .into_iter()
            .filter(|(p, _)| p != "/odoo/sale.order")
        {
            assert!(parse(&origin(), &body).unwrap().events.is_empty(), "{path}");
        }
    }

    #[test]
    fn every_state_maps_and_an_unknown_one_is_listed() {
        for (state, expected) in SALE_ORDER_STATES {
            let body =
                json!({"_model": "sale.order", "_id": 1, "name": "S1", "state": state}).to_string();
            assert_eq!(
                parse(&origin(), body.as_bytes()).unwrap().events[0].event_type,
                *expected
            );
        }
        let body = json!({"_model": "sale.order", "_id": 1, "name": "S1", "state": "on_the_moon"})
            .to_string();
        let parsed = parse(&origin(), body.as_bytes()).unwrap();
        assert_eq!(parsed.unknown_codes[0].code, "on_the_moon");
    }

    #[test]
    fn lines_read_over_json_rpc_keep_their_sku() {
        let body = json!({"_model": "sale.order", "_id": 1, "name": "S9", "state": "sale",
            "order_line": [{"id": 5, "name": "[MUG-BLU-12] Blue mug", "product_uom_qty": 4.0}]})
        .to_string();
        let e = &parse(&origin(), body.as_bytes()).unwrap().events[0];
        assert_eq!(e.data["lines"][0]["sku"], "MUG-BLU-12");
        assert_eq!(e.data["lines"][0]["line_ref"], "S9-1");
    }
}
