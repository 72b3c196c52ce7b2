//! Milepost's own WMS event contract, `milepost.wms.v1` (documented in `docs/wms-contract.md`):
//! a small envelope around canonical fulfillment events, for warehouses that integrate with
//! Milepost directly. Stricter than the provider formats: every time must carry its offset.

use super::{json_body, AdapterError, CanonicalEvent, Parsed, SourceStatus, Stamp};
use app::domain::event::EventType;
use serde_json::{Map, Value};

pub const CONTRACT: &str = "milepost.wms.v1";

pub fn parse(origin: &super::Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let message = json_body(body)?;
    let contract = message.get("contract").and_then(Value::as_str);
    if contract != Some(CONTRACT) {
        return Err(AdapterError::invalid(
            "contract",
            format!("must be \"{CONTRACT}\""),
        ));
    }
    let message_id = message
        .get("message_id")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| AdapterError::invalid("message_id", "is required"))?;
    let events = message
        .get("events")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty());
    let events =
        events.ok_or_else(|| AdapterError::invalid("events", "must be a non-empty array"))?;
    let warehouse = message
        .get("warehouse")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(origin.warehouse_code.clone());
    let mut parsed = Parsed {
        message_id: Some(message_id.to_string()),
        ..Parsed::default()
    };
    for (i, event) in events.iter().enumerate() {
        parsed
            .events
            .push(one(origin, event, i, warehouse.as_deref())?);
    }
    Ok(parsed)
}

fn one(
    origin: &super::Origin,
    event: &Value,
    i: usize,
    warehouse: Option<&str>,
) -> Result<CanonicalEvent, AdapterError> {
    let field = |name: &str| format!("events[{i}].{name}");
    let text = |name: &str| {
        event
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    let id = text("id").ok_or_else(|| AdapterError::invalid(field("id"), "is required"))?;
    let type_name =
        text("type").ok_or_else(|| AdapterError::invalid(field("type"), "is required"))?;
    let event_type: EventType = type_name
        .parse()
        .map_err(|e| AdapterError::invalid(field("type"), format!("{e}")))?;
    // A stock count is about a warehouse, not an order.
    let about_stock = matches!(
        event_type,
        EventType::InventorySnapshot | EventType::InventoryAdjusted
    );
    let order_ref = match text("order_ref") {
        Some(o) => Some(o),
        None if about_stock => None,
        None => return Err(AdapterError::invalid(field("order_ref"), "is required")),
    };
    let raw_time = text("occurred_at")
        .ok_or_else(|| AdapterError::invalid(field("occurred_at"), "is required"))?;
    let stamp = Stamp::rfc3339(Some(raw_time));
    if stamp.at.is_none() {
        return Err(AdapterError::invalid(
            field("occurred_at"),
            format!("{raw_time:?} is not an RFC 3339 time with an offset"),
        ));
    }
    let mut data = match event.get("data") {
        Some(Value::Object(d)) => d.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(AdapterError::invalid(field("data"), "must be an object")),
    };
    if let Some(order_ref) = order_ref {
        let order = data
            .entry("order")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(order) = order.as_object_mut() {
            order.insert("erp_order_id".into(), Value::String(order_ref.into()));
        }
    }
    if let Some(warehouse) = warehouse {
        data.entry("warehouse")
            .or_insert_with(|| serde_json::json!({"code": warehouse}));
    }
    let subject = match (order_ref, warehouse) {
        (Some(order_ref), _) => format!("order/{order_ref}"),
        (None, Some(warehouse)) => format!("warehouse/{warehouse}"),
        (None, None) => "warehouse".to_string(),
    };
    Ok(CanonicalEvent {
        id: id.to_string(),
        source: origin.source(super::Format::MilepostWms),
        event_type,
        type_name: type_name.to_string(),
        subject: Some(subject),
        occurred_at: stamp.at,
        time_provenance: stamp.provenance,
        correlation_id: None,
        data: Value::Object(data),
        source_status: Some(SourceStatus {
            system: CONTRACT.into(),
            code: type_name.into(),
            text: text("status_text").map(str::to_string),
            raw_time: Some(raw_time.into()),
        }),
        extensions: Map::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> super::super::Origin {
        super::super::Origin {
            connector: "wms".into(),
            time_zone: None,
            warehouse_code: Some("RNO".into()),
        }
    }

    fn message(time: &str) -> Vec<u8> {
        json!({"contract": CONTRACT, "message_id": "m-1", "events": [
            {"id": "e-1", "type": "order.picked", "order_ref": "S1", "occurred_at": time}]})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_message_gives_its_events_with_order_and_warehouse() {
        let parsed = parse(&origin(), &message("2026-03-02T10:00:00+01:00")).unwrap();
        assert_eq!(parsed.message_id.as_deref(), Some("m-1"));
        let e = &parsed.events[0];
        assert_eq!(e.event_type, EventType::OrderPicked);
        assert_eq!(e.data["order"]["erp_order_id"], "S1");
        assert_eq!(e.data["warehouse"]["code"], "RNO");
    }

    #[test]
    fn a_time_without_offset_is_refused_naming_the_event() {
        let err = parse(&origin(), &message("2026-03-02T10:00:00")).unwrap_err();
        assert!(
            matches!(err, AdapterError::Invalid { ref location, .. } if location == "events[0].occurred_at"),
            "{err:?}"
        );
    }

    #[test]
    fn a_stock_count_needs_no_order_but_an_order_event_does() {
        let body = |kind: &str| {
            json!({"contract": CONTRACT, "message_id": "m-2", "events": [
                {"id": "e-2", "type": kind, "occurred_at": "2026-03-02T10:00:00Z",
                 "data": {"mode": "full", "items": [{"sku": "A", "on_hand": 3}]}}]})
            .to_string()
            .into_bytes()
        };
        let parsed = parse(&origin(), &body("inventory.snapshot")).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.subject.as_deref(), Some("warehouse/RNO"));
        assert!(e.data.get("order").is_none());
        let err = parse(&origin(), &body("order.picked")).unwrap_err();
        assert!(
            matches!(err, AdapterError::Invalid { ref location, .. } if location == "events[0].order_ref"),
            "{err:?}"
        );
    }
}
