//! AfterShip `tracking_update` webhooks: one event per checkpoint, mapped by tag and subtag.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Owner, Parsed, SourceStatus,
    Stamp, UnknownCode,
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

/// A subtag row: code, meaning, the type and reason it gives, who must act.
pub type Subtag = (
    &'static str,
    &'static str,
    Option<(EventType, &'static str)>,
    Owner,
);

/// AfterShip's current subtag list ("Delivery Sub-statuses", API 2026-07, and the sub-statuses
/// added on 2026-03-27; cited in docs/carriers.md): each code, what it means (after AfterShip's
/// description), the precise type and reason Milepost reads (`None`: the tag's type, no reason)
/// and who must act. Codes not listed (Exception_014, Exception_015) are reported to the mapping
/// inbox, not guessed.
pub const SUBTAGS: &[Subtag] = &[
    ("Pending_001", "No information available on the carrier website, or the number is yet to be tracked", None, Owner::Carrier),
    ("Pending_002", "Pending: the carrier has no tracking information yet", None, Owner::Carrier),
    ("Pending_003", "Pending: the carrier has no tracking information yet", None, Owner::Carrier),
    ("Pending_004", "Pending: the carrier has no tracking information yet", None, Owner::Carrier),
    ("Pending_005", "Pending: the carrier has no tracking information yet", None, Owner::Carrier),
    ("Pending_006", "Pending: the carrier has no tracking information yet", None, Owner::Carrier),
    ("InfoReceived_001", "The carrier received a request from the shipper and is about to pick up the shipment", None, Owner::Carrier),
    ("InTransit_001", "Shipment on the way", None, Owner::Carrier),
    ("InTransit_002", "Shipment accepted by the carrier", Some((T::ShipmentPickedUp, "acceptance_scan")), Owner::Carrier),
    ("InTransit_003", "Shipment arrived at a hub or sorting center", Some((T::ShipmentInTransit, "arrival_scan")), Owner::Carrier),
    ("InTransit_004", "International shipment arrived at the destination country", Some((T::ShipmentInTransit, "arrived_at_destination_country")), Owner::Carrier),
    ("InTransit_005", "Customs clearance completed", Some((T::ShipmentInTransit, "customs_clearance_completed")), Owner::Carrier),
    ("InTransit_006", "Package handed over to customs for clearance", Some((T::ShipmentInTransit, "customs_clearance_started")), Owner::Carrier),
    ("InTransit_007", "Package departed from the facility", Some((T::ShipmentInTransit, "departure_scan")), Owner::Carrier),
    ("InTransit_008", "Problem resolved and shipment in transit", Some((T::ShipmentInTransit, "problem_resolved")), Owner::Carrier),
    ("InTransit_009", "Shipment forwarded to a different delivery address", Some((T::ShipmentInTransit, "forwarded_to_another_address")), Owner::Carrier),
    ("OutForDelivery_001", "The package is out for delivery", None, Owner::Carrier),
    ("OutForDelivery_003", "The customer is contacted before the final delivery", Some((T::ShipmentOutForDelivery, "customer_contacted")), Owner::Carrier),
    ("OutForDelivery_004", "A delivery appointment is scheduled", Some((T::ShipmentOutForDelivery, "delivery_appointment_scheduled")), Owner::Carrier),
    ("AttemptFail_001", "The delivery of the package failed; the courier usually leaves a notice and will try to deliver again", Some((T::ShipmentDeliveryAttempted, "attempt_failed")), Owner::Carrier),
    ("AttemptFail_002", "Recipient not available at the given address", Some((T::ShipmentDeliveryAttempted, "recipient_unavailable")), Owner::Consignee),
    ("AttemptFail_003", "Business is closed at the time of delivery", Some((T::ShipmentDeliveryAttempted, "business_closed")), Owner::Consignee),
    ("Delivered_001", "Shipment delivered successfully", None, Owner::Carrier),
    ("Delivered_002", "Package picked up by the customer", Some((T::ShipmentDelivered, "picked_up_by_customer")), Owner::Carrier),
    ("Delivered_003", "Package delivered to and signed by the customer", Some((T::ShipmentDelivered, "signed_by_customer")), Owner::Carrier),
    ("Delivered_004", "Package delivered to the customer and cash collected on delivery", Some((T::ShipmentDelivered, "cash_collected_on_delivery")), Owner::Carrier),
    ("Delivered_005", "The shipment was delivered to a neighbor", Some((T::ShipmentDelivered, "delivered_to_neighbor")), Owner::Carrier),
    ("AvailableForPickup_001", "The package arrived at a pickup point near you and is available for pickup", None, Owner::Consignee),
    ("Exception_001", "Delivery of the package failed due to some shipping exception", Some((T::ShipmentException, "exception")), Owner::Carrier),
    ("Exception_002", "Delivery of the package failed as the customer relocated", Some((T::ShipmentException, "customer_moved")), Owner::Consignee),
    ("Exception_003", "Delivery of the package failed as the recipient refused to take the package", Some((T::ShipmentException, "refused")), Owner::Consignee),
    ("Exception_004", "Package delayed due to some issues during the customs clearance", Some((T::ShipmentDelayed, "customs_delay")), Owner::Carrier),
    ("Exception_005", "Package delayed due to some unforeseen reasons", Some((T::ShipmentDelayed, "external_factors")), Owner::Carrier),
    ("Exception_006", "The package being held due to pending payment from the customer's end", Some((T::ShipmentException, "held_for_payment")), Owner::Consignee),
    ("Exception_007", "Package not delivered due to incorrect recipient address", Some((T::ShipmentException, "incorrect_address")), Owner::Carrier),
    ("Exception_008", "Package available for the pickup but not collected by the customer", Some((T::ShipmentException, "pickup_missed")), Owner::Consignee),
    ("Exception_009", "Package rejected by the carrier due to noncompliance with its guidelines", Some((T::ShipmentException, "rejected_by_carrier")), Owner::Carrier),
    ("Exception_010", "The package returned to the original sender", Some((T::ShipmentReturnedToSender, "returning_to_sender")), Owner::Carrier),
    ("Exception_011", "The package returned to the sender", Some((T::ShipmentReturnedToSender, "returned_to_sender")), Owner::Carrier),
    ("Exception_012", "Shipment damaged", Some((T::ShipmentException, "damaged")), Owner::Carrier),
    ("Exception_013", "Delivery of the package failed as it got lost", Some((T::ShipmentException, "lost")), Owner::Carrier),
    ("Exception_016", "Delayed (processing issue): a vehicle issue, sorting error or misroute in the carrier's network", Some((T::ShipmentDelayed, "processing_delay")), Owner::Carrier),
    ("Exception_017", "Delayed (extreme weather)", Some((T::ShipmentDelayed, "weather")), Owner::Carrier),
    ("Exception_018", "Held: documents required by regulatory agencies are missing or wrong", Some((T::ShipmentException, "missing_documents")), Owner::Carrier),
    ("Expired_001", "No tracking information for 30 days since the shipment was added", None, Owner::Carrier),
];

/// Whether a subtag puts the next move on the consignee.
pub fn owner(subtag: &str) -> Owner {
    SUBTAGS
        .iter()
        .find(|row| row.0 == subtag)
        .map_or(Owner::Carrier, |row| row.3)
}

pub fn map(
    tag: &str,
    subtag: Option<&str>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<(EventType, Option<String>)> {
    let by_tag = look_up(TAGS, "tag", tag, None, unknown).flatten();
    let codes: Vec<(&str, Option<(EventType, &str)>)> =
        SUBTAGS.iter().map(|row| (row.0, row.2)).collect();
    let by_subtag = subtag
        .and_then(|code| look_up(&codes, "subtag", code, by_tag, unknown))
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
        if let Some(code) = subtag {
            owner(code).mark(&mut data);
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
    use crate::ingest::adapters::code_rows;

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
        for (subtag, _, expected, _) in SUBTAGS {
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

    /// The documented codes and what each must become, written from AfterShip's list apart
    /// from the table the adapter uses.
    const EXPECTED: &str = include_str!("../../../tests/fixtures/carriers/aftership_subtags.tsv");

    fn checkpoint_message(tag: &str, subtag: &str) -> Vec<u8> {
        json!({"event": "tracking_update", "event_id": format!("e-{subtag}"),
               "msg": {"tracking_number": "1Z999", "slug": "ups",
                       "checkpoints": [{"tag": tag, "subtag": subtag, "checkpoint_time": "2026-03-02T10:00:00+01:00",
                                        "message": "scan", "city": "Reno"}]}})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn every_documented_subtag_reads_as_the_documentation_says() {
        let origin = Origin {
            connector: "aftership".into(),
            time_zone: None,
            warehouse_code: None,
        };
        let rows = code_rows::rows(EXPECTED, 5);
        assert_eq!(rows.len(), SUBTAGS.len(), "every documented code, no more");
        for row in rows {
            let code = row[0];
            assert!(
                SUBTAGS.iter().any(|s| s.0 == code),
                "{code} is in the table"
            );
            let tag = code.split('_').next().unwrap();
            let parsed = parse(&origin, &checkpoint_message(tag, code)).unwrap();
            code_rows::Expected::from_tail(&row).check(code, &parsed);
        }
    }

    #[test]
    fn an_undocumented_subtag_is_listed_for_mapping_not_guessed() {
        let origin = Origin {
            connector: "aftership".into(),
            time_zone: None,
            warehouse_code: None,
        };
        let parsed = parse(&origin, &checkpoint_message("Exception", "Exception_014")).unwrap();
        assert_eq!(parsed.unknown_codes.len(), 1);
        assert_eq!(parsed.unknown_codes[0].code, "Exception_014");
        // The tag still says what kind of thing happened; no reason is made up.
        assert_eq!(parsed.events[0].event_type, T::ShipmentException);
        assert!(parsed.events[0].data.get("reason").is_none());
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
