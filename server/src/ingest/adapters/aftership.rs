//! AfterShip `tracking_update` webhooks: one event per checkpoint, mapped by tag and subtag.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Parsed, SourceStatus, Stamp,
    UnknownCode,
};
use app::domain::event::EventType;
use serde_json::{json, Value};

use EventType as T;

/// Every documented tag.
pub const TAGS: &[(&str, Option<EventType>)] = &[
    ("Pending", None),
    ("InfoReceived", None),
    ("InTransit", Some(T::ShipmentInTransit)),
    ("OutForDelivery", Some(T::ShipmentOutForDelivery)),
    ("AttemptFail", Some(T::ShipmentDeliveryAttempted)),
    ("Delivered", Some(T::ShipmentDelivered)),
    ("AvailableForPickup", Some(T::ShipmentAvailableForPickup)),
    ("Exception", Some(T::ShipmentException)),
    ("Expired", Some(T::ShipmentException)),
];

/// Every documented subtag, with the precise type and reason it gives (`None`: the tag's type).
pub const SUBTAGS: &[(&str, Option<(EventType, &str)>)] = &[
    ("Pending_001", None),
    ("Pending_002", None),
    ("Pending_003", None),
    ("Pending_004", None),
    ("Pending_005", None),
    ("Pending_006", None),
    ("InfoReceived_001", None),
    ("InTransit_001", None),
    (
        "InTransit_002",
        Some((T::ShipmentPickedUp, "acceptance_scan")),
    ),
    (
        "InTransit_003",
        Some((T::ShipmentInTransit, "arrival_scan")),
    ),
    (
        "InTransit_004",
        Some((T::ShipmentInTransit, "arrived_at_destination_country")),
    ),
    (
        "InTransit_005",
        Some((T::ShipmentInTransit, "customs_clearance_completed")),
    ),
    (
        "InTransit_006",
        Some((T::ShipmentInTransit, "customs_clearance_started")),
    ),
    (
        "InTransit_007",
        Some((T::ShipmentInTransit, "departure_scan")),
    ),
    (
        "InTransit_008",
        Some((T::ShipmentInTransit, "departed_origin_country")),
    ),
    (
        "InTransit_009",
        Some((T::ShipmentDelayed, "delivery_rescheduled")),
    ),
    ("OutForDelivery_001", None),
    (
        "OutForDelivery_003",
        Some((T::ShipmentOutForDelivery, "customer_contacted")),
    ),
    (
        "OutForDelivery_004",
        Some((T::ShipmentOutForDelivery, "delivery_appointment_scheduled")),
    ),
    (
        "AttemptFail_001",
        Some((T::ShipmentDeliveryAttempted, "recipient_unavailable")),
    ),
    (
        "AttemptFail_002",
        Some((T::ShipmentDeliveryAttempted, "business_closed")),
    ),
    (
        "AttemptFail_003",
        Some((T::ShipmentDeliveryAttempted, "notice_left")),
    ),
    ("Delivered_001", None),
    (
        "Delivered_002",
        Some((T::ShipmentDelivered, "picked_up_by_customer")),
    ),
    (
        "Delivered_003",
        Some((T::ShipmentDelivered, "signed_by_customer")),
    ),
    (
        "Delivered_004",
        Some((T::ShipmentDelivered, "left_at_door")),
    ),
    ("AvailableForPickup_001", None),
    ("Exception_001", Some((T::ShipmentException, "unknown"))),
    ("Exception_002", Some((T::ShipmentException, "address"))),
    (
        "Exception_003",
        Some((T::ShipmentException, "contact_carrier")),
    ),
    (
        "Exception_004",
        Some((T::ShipmentException, "undeliverable")),
    ),
    ("Exception_005", Some((T::ShipmentException, "held"))),
    ("Exception_006", Some((T::ShipmentException, "customs"))),
    ("Exception_007", Some((T::ShipmentDelayed, "delayed"))),
    ("Exception_008", Some((T::ShipmentException, "lost"))),
    ("Exception_009", Some((T::ShipmentException, "damaged"))),
    (
        "Exception_010",
        Some((T::ShipmentReturnedToSender, "returned_to_sender")),
    ),
    (
        "Exception_011",
        Some((T::ShipmentReturnedToSender, "returned_to_sender")),
    ),
    ("Exception_012", Some((T::ShipmentException, "cancelled"))),
    ("Exception_013", Some((T::ShipmentException, "refused"))),
    ("Expired_001", None),
];

pub fn map(
    tag: &str,
    subtag: Option<&str>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<(EventType, Option<String>)> {
    let by_tag = look_up(TAGS, "tag", tag, None, unknown).flatten();
    let by_subtag = subtag
        .and_then(|code| look_up(SUBTAGS, "subtag", code, by_tag, unknown))
        .flatten();
    match by_subtag {
        Some((t, reason)) if by_tag.is_some() => Some((t, Some(reason.to_string()))),
        _ => by_tag.map(|t| (t, None)),
    }
}

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let message = json_body(body)?;
    let tracking = message
        .get("msg")
        .ok_or_else(|| AdapterError::invalid("msg", "is required"))?;
    let tracking_number = tracking
        .get("tracking_number")
        .and_then(Value::as_str)
        .ok_or_else(|| AdapterError::invalid("msg.tracking_number", "is required"))?;
    let carrier = tracking.get("slug").and_then(Value::as_str);
    let mut parsed = Parsed {
        message_id: message
            .get("event_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..Parsed::default()
    };
    let checkpoints = tracking
        .get("checkpoints")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for checkpoint in &checkpoints {
        let tag = checkpoint
            .get("tag")
            .and_then(Value::as_str)
            .unwrap_or("Pending");
        let subtag = checkpoint.get("subtag").and_then(Value::as_str);
        let Some((event_type, reason)) = map(tag, subtag, &mut parsed.unknown_codes) else {
            continue;
        };
        let raw_time = checkpoint.get("checkpoint_time").and_then(Value::as_str);
        let mut data = json!({
            "tracking_number": tracking_number,
            "carrier": carrier,
            "location": {"city": checkpoint.get("city"), "region": checkpoint.get("state"), "country": checkpoint.get("country_iso3")},
        });
        if let Some(reason) = reason {
            data["reason"] = json!({"code": reason, "source_code": subtag});
        }
        if event_type == T::ShipmentDelivered {
            data["pod"] = json!({"signed_by": tracking.get("signed_by")});
        }
        if let Some(order) = tracking.get("order_id").and_then(Value::as_str) {
            data["order"] = json!({"erp_order_id": order});
        }
        parsed.events.push(CanonicalEvent::derived(
            origin,
            Format::AfterShip,
            Derived {
                id: format!(
                    "aftership:{tracking_number}:{}:{}",
                    raw_time.unwrap_or("-"),
                    subtag.unwrap_or(tag)
                ),
                event_type,
                subject: format!("shipment/{tracking_number}"),
                // AfterShip writes checkpoint times as the carrier did; without an offset they stay unknown.
                stamp: Stamp::rfc3339(raw_time),
                data,
                status: SourceStatus {
                    system: "aftership".into(),
                    code: format!("tag={tag};subtag={}", subtag.unwrap_or("")),
                    text: checkpoint
                        .get("message")
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
        include_bytes!("../../../tests/fixtures/carriers/aftership_tracking_update.json");

    #[test]
    fn every_tag_and_subtag_is_known() {
        for (tag, expected) in TAGS {
            let mut unknown = vec![];
            assert_eq!(
                map(tag, None, &mut unknown).map(|m| m.0),
                *expected,
                "{tag}"
            );
            assert!(unknown.is_empty());
        }
        for (subtag, expected) in SUBTAGS {
            let tag = subtag.split('_').next().unwrap();
            let mut unknown = vec![];
            let by_tag = TAGS.iter().find(|(t, _)| *t == tag).unwrap().1;
            let want = by_tag.map(|t| expected.map(|e| e.0).unwrap_or(t));
            assert_eq!(
                map(tag, Some(subtag), &mut unknown).map(|m| m.0),
                want,
                "{subtag}"
            );
            assert!(unknown.is_empty(), "{subtag}");
        }
    }

    #[test]
    fn the_fixture_gives_pickup_out_for_delivery_and_a_signed_delivery() {
        let origin = Origin {
            connector: "aftership".into(),
            time_zone: None,
            warehouse_code: None,
        };
        let parsed = parse(&origin, FIXTURE).unwrap();
        let types: Vec<EventType> = parsed.events.iter().map(|e| e.event_type).collect();
        assert_eq!(
            types,
            vec![
                T::ShipmentPickedUp,
                T::ShipmentOutForDelivery,
                T::ShipmentDelivered
            ]
        );
        assert_eq!(parsed.events[2].data["pod"]["signed_by"], "J.DOE");
        assert_eq!(parsed.events[2].data["order"]["erp_order_id"], "S00043");
        assert_eq!(
            parsed.message_id.as_deref(),
            Some("5b1e3c8a-9d2f-4a71-8c6e-0f3b2a1d9e47")
        );
    }
}
