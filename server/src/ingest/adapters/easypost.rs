//! EasyPost `tracker.created` / `tracker.updated` webhooks. Each tracking detail in the tracker's
//! history becomes one event, identified by tracker, time and status, so the full history EasyPost
//! resends with every update is stored once, and a detail that arrives late lands in its place.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Owner, Parsed, SourceStatus,
    Stamp, UnknownCode,
};
use app::domain::event::EventType;
use serde_json::{json, Value};

use EventType as T;

/// Every documented tracker `status`: the type it means, when it means one on its own.
pub const STATUSES: &[(&str, Option<EventType>)] = &[
    ("unknown", None),
    ("pre_transit", None),
    ("in_transit", Some(T::ShipmentInTransit)),
    ("out_for_delivery", Some(T::ShipmentOutForDelivery)),
    ("delivered", Some(T::ShipmentDelivered)),
    ("available_for_pickup", Some(T::ShipmentAvailableForPickup)),
    ("return_to_sender", Some(T::ShipmentReturnedToSender)),
    ("failure", Some(T::ShipmentDeliveryAttempted)),
    ("cancelled", Some(T::ShipmentException)),
    ("error", None),
];

/// Every documented `status_detail`: the more precise type and reason it gives, or `None` to keep
/// what the status says. (`pre_transit` details are informational: the label is the WMS's fact.)
pub const STATUS_DETAILS: &[(&str, Option<(EventType, &str)>)] = &[
    // The carrier corrected the address and carries on: worth a note, not a case.
    (
        "address_correction",
        Some((T::ShipmentInTransit, "address_corrected")),
    ),
    (
        "arrived_at_destination",
        Some((T::ShipmentInTransit, "arrived_at_destination")),
    ),
    (
        "arrived_at_facility",
        Some((T::ShipmentInTransit, "arrived_at_facility")),
    ),
    (
        "arrived_at_pickup_location",
        Some((T::ShipmentAvailableForPickup, "arrived_at_pickup_location")),
    ),
    ("awaiting_information", None),
    ("cancelled", Some((T::ShipmentException, "cancelled"))),
    ("damaged", Some((T::ShipmentException, "damaged"))),
    ("delayed", Some((T::ShipmentDelayed, "delayed"))),
    (
        "delivery_exception",
        Some((T::ShipmentException, "delivery_exception")),
    ),
    (
        "departed_facility",
        Some((T::ShipmentInTransit, "departed_facility")),
    ),
    (
        "departed_origin_facility",
        Some((T::ShipmentPickedUp, "departed_origin_facility")),
    ),
    ("expired", Some((T::ShipmentException, "expired"))),
    ("failure", None),
    ("held", Some((T::ShipmentException, "held"))),
    ("in_transit", None),
    ("label_created", None),
    ("lost", Some((T::ShipmentException, "lost"))),
    ("missorted", Some((T::ShipmentDelayed, "missorted"))),
    ("out_for_delivery", None),
    (
        "received_at_destination_facility",
        Some((T::ShipmentInTransit, "received_at_destination_facility")),
    ),
    (
        "received_at_origin_facility",
        Some((T::ShipmentPickedUp, "received_at_origin_facility")),
    ),
    ("refused", Some((T::ShipmentException, "refused"))),
    ("return", Some((T::ShipmentReturnedToSender, "return"))),
    ("status_update", None),
    (
        "transferred_to_destination_carrier",
        Some((T::ShipmentInTransit, "transferred_to_destination_carrier")),
    ),
    (
        "transit_exception",
        Some((T::ShipmentException, "transit_exception")),
    ),
    ("unknown", None),
    ("weather_delay", Some((T::ShipmentDelayed, "weather"))),
];

/// The type and reason of one (status, status_detail) pair; unknown codes are reported.
pub fn map(
    status: &str,
    detail: Option<&str>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<(EventType, Option<String>)> {
    let by_status = look_up(STATUSES, "status", status, None, unknown).flatten();
    let by_detail = detail
        .and_then(|d| look_up(STATUS_DETAILS, "status_detail", d, by_status, unknown))
        .flatten();
    // A delivered or pre-transit status is final whatever the detail says.
    match (status, by_detail) {
        ("delivered", _) | ("pre_transit", _) | ("unknown", _) | ("error", _) => {
            by_status.map(|t| (t, None))
        }
        // A failure is a delivery that did not happen this time: an attempt, which the carrier
        // retries. A delay-kind detail only says why; a worse one (refused, lost, returned)
        // still says what it is.
        ("failure", Some((T::ShipmentDelayed, reason))) => {
            Some((T::ShipmentDeliveryAttempted, Some(reason.to_string())))
        }
        (_, Some((t, reason))) => Some((t, Some(reason.to_string()))),
        // A detail that adds nothing (`status_update`, `in_transit`, …) or one not documented:
        // the status says what happened, and no reason is made up.
        _ => by_status.map(|t| (t, None)),
    }
}

/// Whose move it is after a scan: a parcel waiting at a pickup point, or refused at the door,
/// waits on the consignee (the SLA clocks pause).
pub fn owner(event_type: EventType, reason: Option<&str>) -> Owner {
    match (event_type, reason) {
        (T::ShipmentAvailableForPickup, _) | (_, Some("refused")) => Owner::Consignee,
        _ => Owner::Carrier,
    }
}

pub fn parse(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let event = json_body(body)?;
    let message_id = event.get("id").and_then(Value::as_str).map(str::to_string);
    let tracker = match event.get("result") {
        Some(r) if r.get("object").and_then(Value::as_str) == Some("Tracker") => r,
        _ => {
            return Err(AdapterError::invalid(
                "result",
                "must be a Tracker object (a tracker.created or tracker.updated event)",
            ))
        }
    };
    let tracking_number = tracker
        .get("tracking_code")
        .and_then(Value::as_str)
        .ok_or_else(|| AdapterError::invalid("result.tracking_code", "is required"))?;
    let carrier = tracker.get("carrier").and_then(Value::as_str);
    let details = tracker
        .get("tracking_details")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut parsed = Parsed {
        message_id,
        ..Parsed::default()
    };
    for (i, detail) in details.iter().enumerate() {
        let status = detail
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let status_detail = detail.get("status_detail").and_then(Value::as_str);
        let Some((event_type, reason)) = map(status, status_detail, &mut parsed.unknown_codes)
        else {
            continue;
        };
        let raw_time = detail.get("datetime").and_then(Value::as_str);
        let stamp = Stamp::rfc3339(raw_time);
        // The carrier's own code for the scan (FedEx `DE`, UPS `X`, …), kept beside EasyPost's.
        let carrier_code = detail.get("carrier_code").and_then(Value::as_str);
        let code = format!(
            "status={status};status_detail={}{}",
            status_detail.unwrap_or(""),
            carrier_code
                .map(|c| format!(";carrier_code={c}"))
                .unwrap_or_default()
        );
        let mut data = json!({
            "tracking_number": tracking_number,
            "carrier": carrier,
            "carrier_code": carrier_code,
            "location": detail.get("tracking_location"),
        });
        owner(event_type, reason.as_deref()).mark(&mut data);
        if let Some(reason) = reason {
            data["reason"] = json!({"code": reason, "source_code": code});
        }
        if event_type == T::ShipmentDelivered {
            data["pod"] = json!({"signed_by": tracker.get("signed_by")});
        }
        if let Some(eta) = tracker
            .get("est_delivery_date")
            .filter(|_| i + 1 == details.len())
        {
            data["eta"] = eta.clone();
        }
        parsed.events.push(CanonicalEvent::derived(
            origin,
            Format::EasyPost,
            Derived {
                id: format!(
                    "easypost:{tracking_number}:{}:{status}:{}",
                    raw_time.unwrap_or("-"),
                    status_detail.unwrap_or("-")
                ),
                event_type,
                subject: format!("shipment/{tracking_number}"),
                stamp,
                data,
                status: SourceStatus {
                    system: "easypost".into(),
                    code,
                    text: detail
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

    const CODES: &str = include_str!("../../../tests/fixtures/carriers/easypost_codes.tsv");

    #[test]
    fn every_documented_code_reads_as_the_documentation_says() {
        let rows = code_rows::rows(CODES, 7);
        for row in &rows {
            let (status, detail) = (row[0], (row[1] != "-").then_some(row[1]));
            let body = json!({"id": "evt_row", "description": "tracker.updated", "result": {
                "object": "Tracker", "tracking_code": "9400", "carrier": "USPS",
                "tracking_details": [{"status": status, "status_detail": detail,
                                      "datetime": "2026-03-03T15:00:00Z", "message": "scan"}]}});
            let parsed = parse(&origin(), body.to_string().as_bytes()).unwrap();
            let name = format!("{status}/{}", row[1]);
            code_rows::Expected::from_tail(row).check(&name, &parsed);
        }
        // Every documented status and detail has its row.
        for (status, _) in STATUSES {
            assert!(
                rows.iter().any(|r| r[0] == *status && r[1] == "-"),
                "{status}"
            );
        }
        for (detail, _) in STATUS_DETAILS {
            assert!(rows.iter().any(|r| r[1] == *detail), "{detail}");
        }
    }

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/fixtures/carriers/easypost_tracker_updated.json");

    fn origin() -> Origin {
        Origin {
            connector: "easypost".into(),
            time_zone: None,
            warehouse_code: None,
        }
    }

    #[test]
    fn every_status_and_detail_is_known_and_maps_as_the_table_says() {
        for (status, expected) in STATUSES {
            let mut unknown = vec![];
            assert_eq!(
                map(status, None, &mut unknown).map(|m| m.0),
                *expected,
                "{status}"
            );
            assert!(unknown.is_empty());
        }
        for (detail, expected) in STATUS_DETAILS {
            let mut unknown = vec![];
            let mapped = map("in_transit", Some(detail), &mut unknown).map(|m| m.0);
            assert_eq!(
                mapped,
                Some(expected.map(|e| e.0).unwrap_or(T::ShipmentInTransit)),
                "{detail}"
            );
            assert!(unknown.is_empty(), "{detail}");
        }
    }

    #[test]
    fn a_failure_is_an_attempt_unless_the_detail_says_worse() {
        let mut unknown = vec![];
        assert_eq!(
            map("failure", Some("failure"), &mut unknown).unwrap().0,
            T::ShipmentDeliveryAttempted
        );
        assert_eq!(
            map("failure", Some("refused"), &mut unknown).unwrap(),
            (T::ShipmentException, Some("refused".into()))
        );
        assert_eq!(
            map("delivered", Some("arrived_at_facility"), &mut unknown)
                .unwrap()
                .0,
            T::ShipmentDelivered
        );
        // Not a delay: the attempt failed and will be retried (counts as an attempt).
        for delay in ["delayed", "weather_delay", "missorted"] {
            assert_eq!(
                map("failure", Some(delay), &mut unknown).unwrap(),
                (
                    T::ShipmentDeliveryAttempted,
                    Some(
                        STATUS_DETAILS
                            .iter()
                            .find(|d| d.0 == delay)
                            .unwrap()
                            .1
                            .unwrap()
                            .1
                            .into()
                    )
                ),
                "{delay}"
            );
        }
        assert_eq!(
            map("in_transit", Some("delayed"), &mut unknown).unwrap().0,
            T::ShipmentDelayed,
            "in transit, a delay is a delay"
        );
    }

    #[test]
    fn a_corrected_address_is_a_note_on_the_way_not_a_case() {
        let mut unknown = vec![];
        assert_eq!(
            map("in_transit", Some("address_correction"), &mut unknown).unwrap(),
            (T::ShipmentInTransit, Some("address_corrected".into()))
        );
    }

    #[test]
    fn the_carriers_own_code_is_kept_with_each_scan() {
        let body = serde_json::json!({"id": "evt_1", "description": "tracker.updated", "result": {
            "object": "Tracker", "tracking_code": "7720", "carrier": "FedEx",
            "tracking_details": [{"status": "failure", "status_detail": "delayed", "carrier_code": "DE",
                                  "datetime": "2026-03-03T15:00:00Z", "message": "Delivery exception"}]}});
        let parsed = parse(&origin(), body.to_string().as_bytes()).unwrap();
        let e = &parsed.events[0];
        assert_eq!(e.event_type, T::ShipmentDeliveryAttempted);
        assert_eq!(e.data["carrier_code"], "DE");
        let code = &e.source_status.as_ref().unwrap().code;
        assert!(code.ends_with(";carrier_code=DE"), "{code}");
    }

    #[test]
    fn unknown_codes_are_reported_and_mapped_to_the_status_or_nothing() {
        let mut unknown = vec![];
        assert_eq!(
            map("in_transit", Some("teleported"), &mut unknown)
                .unwrap()
                .0,
            T::ShipmentInTransit
        );
        assert_eq!(map("beamed", None, &mut unknown), None);
        assert_eq!(unknown.len(), 2);
        assert_eq!(unknown[0].mapped_to, Some(T::ShipmentInTransit));
        assert_eq!(unknown[1].field, "status");
    }

    #[test]
    fn the_fixture_gives_one_event_per_tracking_detail_after_pre_transit() {
        let parsed = parse(&origin(), FIXTURE).unwrap();
        assert_eq!(
            parsed.message_id.as_deref(),
            Some("evt_3f0a7c21b6d94e1f9a2b6c7d8e9f0a11")
        );
        let types: Vec<EventType> = parsed.events.iter().map(|e| e.event_type).collect();
        assert_eq!(
            types,
            vec![
                T::ShipmentPickedUp,
                T::ShipmentInTransit,
                T::ShipmentOutForDelivery
            ]
        );
        let last = parsed.events.last().unwrap();
        assert_eq!(last.data["tracking_number"], "1Z999AA10123456784");
        assert_eq!(last.subject.as_deref(), Some("shipment/1Z999AA10123456784"));
        assert!(last.occurred_at.is_some());
    }

    #[test]
    fn a_non_tracker_event_is_refused_naming_the_field() {
        let err = parse(&origin(), br#"{"id":"evt_1","result":{"object":"Refund"}}"#).unwrap_err();
        assert!(matches!(err, AdapterError::Invalid { ref location, .. } if location == "result"));
    }
}
