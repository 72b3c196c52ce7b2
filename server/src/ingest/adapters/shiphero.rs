//! ShipHero-style WMS webhooks, told apart by `webhook_type`. ShipHero writes times without an
//! offset in the warehouse's zone, so they are placed in the connector's zone and marked assumed.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Parsed, SourceStatus, Stamp,
};
use app::domain::event::EventType;
use serde_json::{json, Value};

use EventType as T;

const LOCAL_FORMATS: &[&str] = &["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"];

/// Every webhook type ShipHero documents, and the canonical type it becomes (`None`: informational,
/// or a fact another system owns).
pub const WEBHOOK_TYPES: &[(&str, Option<EventType>)] = &[
    ("Order Allocated", Some(T::OrderAllocated)),
    ("Order Deallocated", None),
    ("Tote Complete", Some(T::OrderPicked)),
    ("Tote Cleared", None),
    ("Order Packed Out", Some(T::OrderPacked)),
    ("Generate Label", Some(T::ShipmentLabelCreated)),
    ("Package Added", Some(T::ShipmentLabelCreated)),
    ("Shipment Update", Some(T::ShipmentDispatched)),
    ("Order Canceled", Some(T::OrderFulfillmentException)),
    ("Inventory Update", Some(T::InventorySnapshot)),
    ("Inventory Change", Some(T::InventoryAdjusted)),
    ("Return Update", Some(T::ReturnReceived)),
    ("PO Update", None),
    ("Capture Payment", None),
    ("Automation Rules", None),
];

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let message = json_body(body)?;
    let kind = message
        .get("webhook_type")
        .and_then(Value::as_str)
        .ok_or_else(|| AdapterError::invalid("webhook_type", "is required"))?;
    let mut parsed = Parsed::default();
    let event_type = match look_up(
        WEBHOOK_TYPES,
        "webhook_type",
        kind,
        None,
        &mut parsed.unknown_codes,
    ) {
        Some(Some(t)) => t,
        // Known but informational, or owned by another system; unknown: listed for mapping.
        Some(None) | None => return Ok(parsed),
    };
    let body = message.get("fulfillment").unwrap_or(&message);
    let order_ref = text(body, "partner_order_id").or_else(|| text(body, "order_number"));
    let (data, raw_time, key, subject) = match event_type {
        T::ShipmentDispatched => dispatched(body, &message, order_ref.as_deref())?,
        T::InventorySnapshot | T::InventoryAdjusted => {
            let warehouse = origin.warehouse_code.clone().unwrap_or_default();
            let data = json!({"mode": "delta", "items": message.get("inventory").cloned().unwrap_or(json!([]))});
            let key = text(&message, "updated_at").unwrap_or_default();
            (
                data,
                text(&message, "updated_at"),
                key,
                format!("warehouse/{warehouse}"),
            )
        }
        _ => {
            let order = order_ref
                .clone()
                .ok_or_else(|| AdapterError::invalid("partner_order_id", "is required"))?;
            let lines: Vec<Value> = items(&message, "line_items")
                .iter()
                .map(|l| json!({"line_ref": l.get("partner_line_item_id"), "sku": l.get("sku"), "qty": l.get("quantity")}))
                .collect();
            let mut data = json!({"order": {"erp_order_id": order, "wms_order_id": message.get("order_id")}, "lines": lines});
            if event_type == T::OrderFulfillmentException {
                data["reason"] = json!({"code": "cancelled_at_warehouse", "text": "the warehouse cancelled the order"});
            }
            let raw_time = text(&message, "allocated_at")
                .or_else(|| text(&message, "created_at"))
                .or_else(|| text(&message, "updated_at"));
            let key = text(&message, "allocation_reference")
                .or_else(|| raw_time.clone())
                .unwrap_or_default();
            (data, raw_time, key, format!("order/{order}"))
        }
    };
    parsed.events.push(CanonicalEvent::derived(
        origin,
        Format::ShipHero,
        Derived {
            id: format!(
                "shiphero:{kind}:{}:{key}",
                order_ref.as_deref().unwrap_or("-")
            ),
            event_type,
            subject,
            stamp: Stamp::given_or_local(raw_time.as_deref(), LOCAL_FORMATS, origin.time_zone),
            data,
            status: SourceStatus {
                system: "shiphero".into(),
                code: kind.into(),
                text: None,
                raw_time,
            },
        },
    ));
    Ok(parsed)
}

type Mapped = (Value, Option<String>, String, String);

fn dispatched(f: &Value, message: &Value, order_ref: Option<&str>) -> Result<Mapped, AdapterError> {
    let order = order_ref
        .ok_or_else(|| AdapterError::invalid("fulfillment.partner_order_id", "is required"))?;
    let shipment_id = text(f, "shipment_id")
        .ok_or_else(|| AdapterError::invalid("fulfillment.shipment_id", "is required"))?;
    let mut tracking: Vec<String> = items(message, "packages")
        .iter()
        .filter_map(|p| text(p, "tracking_number"))
        .collect();
    if let Some(tn) = text(f, "tracking_number").filter(|tn| !tracking.contains(tn)) {
        tracking.insert(0, tn);
    }
    let lines: Vec<Value> = items(f, "line_items")
        .iter()
        .map(|l| json!({"line_ref": l.get("id"), "sku": l.get("sku"), "qty_shipped": l.get("quantity")}))
        .collect();
    let packages: Vec<Value> = items(message, "packages")
        .iter()
        .map(|p| json!({"package_ref": format!("{shipment_id}/{}", text(p, "name").unwrap_or_default()), "tracking_number": p.get("tracking_number"),
                        "weight": {"value": f.pointer("/package/weight"), "unit": "LB"}}))
        .collect();
    let last_package = f.get("package_number") == f.get("total_packages");
    let data = json!({
        "order": {"erp_order_id": order},
        "shipment": {"wms_shipment_id": shipment_id, "carrier": f.get("shipping_carrier"), "service": f.get("shipping_method"), "tracking_numbers": tracking},
        "packages": packages,
        "lines": lines,
        "is_final": f.get("completed").and_then(Value::as_bool).unwrap_or(last_package),
    });
    let key = format!(
        "{shipment_id}:{}",
        f.get("package_number")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    Ok((data, text(f, "created_at"), key, format!("order/{order}")))
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn items<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::event::TimeProvenance;

    const ALLOCATED: &[u8] =
        include_bytes!("../../../tests/fixtures/wms/shiphero_order_allocated.json");
    const SHIPMENT: &[u8] =
        include_bytes!("../../../tests/fixtures/wms/shiphero_shipment_update.json");

    fn origin() -> Origin {
        Origin {
            connector: "shiphero-reno".into(),
            time_zone: Some(chrono_tz::America::Los_Angeles),
            warehouse_code: Some("3PL-RENO".into()),
        }
    }

    #[test]
    fn an_allocation_names_the_order_and_its_lines_in_local_time() {
        let parsed = parse(&origin(), ALLOCATED).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.event_type, T::OrderAllocated);
        assert_eq!(e.data["order"]["erp_order_id"], "S00042");
        assert_eq!(e.data["lines"][1]["line_ref"], "S00042-2");
        assert_eq!(e.time_provenance, TimeProvenance::AssumedFacilityLocal);
        assert_eq!(
            e.occurred_at.unwrap().to_rfc3339(),
            "2026-03-03T17:02:01-08:00"
        );
    }

    #[test]
    fn a_shipment_update_is_a_dispatch_with_tracking_packages_and_lines() {
        let parsed = parse(&origin(), SHIPMENT).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.event_type, T::ShipmentDispatched);
        assert_eq!(
            e.data["shipment"]["tracking_numbers"],
            json!(["1Z999AA10123456784"])
        );
        assert_eq!(e.data["lines"][1]["qty_shipped"], 1);
        assert_eq!(e.data["is_final"], true);
    }

    #[test]
    fn every_webhook_type_is_known_and_an_unknown_one_is_listed() {
        for (kind, _) in WEBHOOK_TYPES {
            let body = json!({"webhook_type": kind, "partner_order_id": "S1", "fulfillment": {"partner_order_id": "S1", "shipment_id": 1}});
            let parsed = parse(&origin(), body.to_string().as_bytes()).unwrap();
            assert!(parsed.unknown_codes.is_empty(), "{kind}");
        }
        let parsed = parse(&origin(), br#"{"webhook_type":"Order Teleported"}"#).unwrap();
        assert_eq!(parsed.unknown_codes[0].code, "Order Teleported");
        assert!(parsed.events.is_empty());
    }
}
