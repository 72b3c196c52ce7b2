//! Shippo `track_updated` webhooks. Shippo gives no message id (the pipeline derives one); each
//! entry of `tracking_history` (and the current `tracking_status`) becomes one event.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Parsed, SourceStatus, Stamp,
    UnknownCode,
};
use app::domain::event::EventType;
use serde_json::{json, Value};

use EventType as T;

/// Every documented `status`.
pub const STATUSES: &[(&str, Option<EventType>)] = &[
    ("UNKNOWN", None),
    ("PRE_TRANSIT", None),
    ("TRANSIT", Some(T::ShipmentInTransit)),
    ("DELIVERED", Some(T::ShipmentDelivered)),
    ("RETURNED", Some(T::ShipmentReturnedToSender)),
    ("FAILURE", Some(T::ShipmentException)),
];

/// Every documented `substatus.code`: the precise type it gives, or `None` to keep the status's.
pub const SUBSTATUSES: &[(&str, Option<EventType>)] = &[
    ("information_received", None),
    ("address_issue", Some(T::ShipmentException)),
    ("contact_carrier", Some(T::ShipmentException)),
    ("delayed", Some(T::ShipmentDelayed)),
    ("delivery_attempted", Some(T::ShipmentDeliveryAttempted)),
    ("delivery_rescheduled", Some(T::ShipmentDelayed)),
    ("delivery_scheduled", Some(T::ShipmentEtaUpdated)),
    ("location_inaccessible", Some(T::ShipmentDeliveryAttempted)),
    ("notice_left", Some(T::ShipmentDeliveryAttempted)),
    ("out_for_delivery", Some(T::ShipmentOutForDelivery)),
    ("package_accepted", Some(T::ShipmentPickedUp)),
    ("package_arrived", None),
    ("package_damaged", Some(T::ShipmentException)),
    ("package_departed", None),
    ("package_forwarded", None),
    ("package_held", Some(T::ShipmentException)),
    ("package_processed", None),
    ("package_processing", None),
    ("pickup_available", Some(T::ShipmentAvailableForPickup)),
    ("reschedule_delivery", Some(T::ShipmentDelayed)),
    ("delivered", None),
    ("return_to_sender", Some(T::ShipmentReturnedToSender)),
    ("package_unclaimed", Some(T::ShipmentException)),
    ("package_undeliverable", Some(T::ShipmentException)),
    ("package_disposed", Some(T::ShipmentException)),
    ("package_lost", Some(T::ShipmentException)),
    ("other", None),
];

pub fn map(
    status: &str,
    substatus: Option<&str>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<EventType> {
    let by_status = look_up(STATUSES, "status", status, None, unknown).flatten();
    let by_substatus = substatus
        .and_then(|code| look_up(SUBSTATUSES, "substatus", code, by_status, unknown))
        .flatten();
    match status {
        "DELIVERED" | "PRE_TRANSIT" | "UNKNOWN" => by_status,
        _ => by_substatus.or(by_status),
    }
}

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let message = json_body(body)?;
    if message.get("event").and_then(Value::as_str) != Some("track_updated") {
        return Err(AdapterError::invalid("event", "must be \"track_updated\""));
    }
    let data = message
        .get("data")
        .ok_or_else(|| AdapterError::invalid("data", "is required"))?;
    let tracking_number = data
        .get("tracking_number")
        .and_then(Value::as_str)
        .ok_or_else(|| AdapterError::invalid("data.tracking_number", "is required"))?;
    let carrier = data.get("carrier").and_then(Value::as_str);
    let mut history = data
        .get("tracking_history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(current) = data.get("tracking_status").filter(|s| s.is_object()) {
        let same = |h: &Value| {
            h.get("object_id") == current.get("object_id")
                || (h.get("status_date") == current.get("status_date")
                    && h.get("status") == current.get("status"))
        };
        if !history.iter().any(same) {
            history.push(current.clone());
        }
    }
    let mut parsed = Parsed::default();
    for entry in &history {
        let status = entry
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN");
        let substatus = entry.pointer("/substatus/code").and_then(Value::as_str);
        let Some(event_type) = map(status, substatus, &mut parsed.unknown_codes) else {
            continue;
        };
        let raw_time = entry.get("status_date").and_then(Value::as_str);
        let mut event_data = json!({"tracking_number": tracking_number, "carrier": carrier, "location": entry.get("location")});
        if let Some(code) = substatus {
            event_data["reason"] = json!({"code": code, "text": entry.pointer("/substatus/text")});
        }
        if event_type == T::ShipmentEtaUpdated
            || entry.get("status_date") == data.pointer("/tracking_status/status_date")
        {
            if let Some(eta) = data.get("eta").filter(|e| e.is_string()) {
                event_data["eta"] = eta.clone();
            }
        }
        parsed.events.push(CanonicalEvent::derived(
            origin,
            Format::Shippo,
            Derived {
                // Shippo gives one scan different object ids in history and status; its time and codes are stable.
                id: format!(
                    "shippo:{tracking_number}:{}:{status}:{}",
                    raw_time.unwrap_or("-"),
                    substatus.unwrap_or("-")
                ),
                event_type,
                subject: format!("shipment/{tracking_number}"),
                stamp: Stamp::rfc3339(raw_time),
                data: event_data,
                status: SourceStatus {
                    system: "shippo".into(),
                    code: format!("status={status};substatus={}", substatus.unwrap_or("")),
                    text: entry
                        .get("status_details")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    raw_time: raw_time.map(str::to_string),
                },
            },
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/fixtures/carriers/shippo_track_updated.json");

    #[test]
    fn every_status_and_substatus_is_known() {
        for (status, expected) in STATUSES {
            let mut unknown = vec![];
            assert_eq!(map(status, None, &mut unknown), *expected, "{status}");
            assert!(unknown.is_empty());
        }
        for (code, expected) in SUBSTATUSES {
            let mut unknown = vec![];
            assert_eq!(
                map("TRANSIT", Some(code), &mut unknown),
                expected.or(Some(T::ShipmentInTransit)),
                "{code}"
            );
            assert!(unknown.is_empty(), "{code}");
        }
        let mut unknown = vec![];
        assert_eq!(
            map("TRANSIT", Some("warp_drive"), &mut unknown),
            Some(T::ShipmentInTransit)
        );
        assert_eq!(unknown[0].code, "warp_drive");
    }

    #[test]
    fn the_fixture_reports_acceptance_and_a_failed_attempt() {
        let origin = Origin {
            connector: "shippo".into(),
            time_zone: None,
            warehouse_code: None,
        };
        let parsed = parse(&origin, FIXTURE).unwrap();
        assert_eq!(
            parsed.message_id, None,
            "Shippo sends no id; the pipeline derives one"
        );
        let types: Vec<EventType> = parsed.events.iter().map(|e| e.event_type).collect();
        assert_eq!(
            types,
            vec![T::ShipmentPickedUp, T::ShipmentDeliveryAttempted]
        );
        assert_eq!(
            parsed.events[1].data["reason"]["code"],
            "delivery_attempted"
        );
    }
}
