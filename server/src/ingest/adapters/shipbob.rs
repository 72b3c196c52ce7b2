//! ShipBob-style WMS webhooks, told apart by `topic`. Topics that report carrier milestones are
//! known but produce no event here: the carrier connector owns those facts.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Parsed, SourceStatus, Stamp,
};
use app::domain::event::EventType;
use serde_json::{json, Value};

use EventType as T;

/// Every documented topic and its canonical type (`None`: a fact the carrier owns).
pub const TOPICS: &[(&str, Option<EventType>)] = &[
    ("order.shipped", Some(T::ShipmentDispatched)),
    ("order.shipment.tracking.updated", None),
    ("order.shipment.delivered", None),
    ("order.delivered", None),
    (
        "order.shipment.exception",
        Some(T::OrderFulfillmentException),
    ),
    ("order.shipment.on_hold", Some(T::OrderOnHold)),
    ("order.shipment.cancelled", Some(T::LineCancelled)),
];

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let message = json_body(body)?;
    let topic = message
        .get("topic")
        .and_then(Value::as_str)
        .ok_or_else(|| AdapterError::invalid("topic", "is required"))?;
    let mut parsed = Parsed::default();
    let event_type = match look_up(TOPICS, "topic", topic, None, &mut parsed.unknown_codes) {
        Some(Some(t)) => t,
        // Known but informational, or owned by another system; unknown: listed for mapping.
        Some(None) | None => return Ok(parsed),
    };
    let order = message
        .get("reference_id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            AdapterError::invalid("reference_id", "is required (the ERP order number)")
        })?;
    let raw_time = message.get("event_time").and_then(Value::as_str);
    let shipments = message
        .get("shipments")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if shipments.is_empty() {
        return Err(AdapterError::invalid(
            "shipments",
            "must list at least one shipment",
        ));
    }
    for (i, shipment) in shipments.iter().enumerate() {
        let shipment_id = shipment
            .get("id")
            .map(Value::to_string)
            .unwrap_or_else(|| i.to_string());
        let lines: Vec<Value> = shipment
            .get("products")
            .and_then(Value::as_array)
            .map(|p| p.iter().map(|p| json!({"sku": p.get("reference_id"), "qty_shipped": p.get("quantity"), "qty": p.get("quantity")})).collect())
            .unwrap_or_default();
        let data = match event_type {
            T::ShipmentDispatched => json!({
                "order": {"erp_order_id": order, "wms_order_id": message.get("order_id")},
                "shipment": {"wms_shipment_id": shipment_id, "carrier": shipment.pointer("/tracking/carrier"),
                             "tracking_numbers": [shipment.pointer("/tracking/tracking_number")]},
                "lines": lines,
            }),
            _ => json!({
                "order": {"erp_order_id": order},
                "lines": lines,
                "reason": {"code": shipment.get("status"), "text": format!("ShipBob {topic}")},
            }),
        };
        let time = shipment
            .get("actual_fulfillment_date")
            .and_then(Value::as_str)
            .or(raw_time);
        parsed.events.push(CanonicalEvent::derived(
            origin,
            Format::ShipBob,
            Derived {
                id: format!("shipbob:{topic}:{shipment_id}"),
                event_type,
                subject: format!("order/{order}"),
                stamp: Stamp::rfc3339(time),
                data,
                status: SourceStatus {
                    system: "shipbob".into(),
                    code: topic.into(),
                    text: shipment
                        .get("status")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    raw_time: time.map(str::to_string),
                },
            },
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &[u8] = include_bytes!("../../../tests/fixtures/wms/shipbob_order_shipped.json");

    fn origin() -> Origin {
        Origin {
            connector: "shipbob".into(),
            time_zone: None,
            warehouse_code: None,
        }
    }

    #[test]
    fn order_shipped_is_a_dispatch_with_tracking() {
        let parsed = parse(&origin(), SHIPPED).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.event_type, T::ShipmentDispatched);
        assert_eq!(e.data["order"]["erp_order_id"], "S00044");
        assert_eq!(
            e.data["shipment"]["tracking_numbers"][0],
            "9405511899223197428490"
        );
        assert_eq!(e.data["lines"][0]["sku"], "DESK-STD");
        assert!(e.occurred_at.is_some());
    }

    #[test]
    fn carrier_topics_are_known_but_left_to_the_carrier() {
        for (topic, expected) in TOPICS {
            let body = json!({"topic": topic, "reference_id": "S1", "shipments": [{"id": 1, "status": "x"}]});
            let parsed = parse(&origin(), body.to_string().as_bytes()).unwrap();
            assert!(parsed.unknown_codes.is_empty());
            assert_eq!(
                parsed.events.first().map(|e| e.event_type),
                *expected,
                "{topic}"
            );
        }
    }
}
