//! Shippo `track_updated` webhooks. Shippo gives no message id (the pipeline derives one); each
//! entry of `tracking_history` (and the current `tracking_status`) becomes one event.

use super::event::Derived;
use super::{
    json_body, look_up, AdapterError, CanonicalEvent, Format, Origin, Owner, Parsed, SourceStatus,
    Stamp, UnknownCode,
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

/// A substatus row: code, the type and reason it gives (`None`: the status's type, no reason),
/// and whose move it is.
pub type Substatus = (&'static str, Option<(EventType, &'static str)>, Owner);

/// Every documented `substatus.code` ("Event definitions",
/// https://goshippo.com/docs/tracking#event-definitions, cited in docs/carriers.md). Shippo marks
/// the codes that need the recipient's action; those pause the SLA clocks, except a damaged or
/// lost parcel, which is the carrier's failure whatever the recipient is asked to do.
pub const SUBSTATUSES: &[Substatus] = &[
    ("information_received", None, Owner::Carrier),
    (
        "address_issue",
        Some((T::ShipmentException, "address_issue")),
        Owner::Consignee,
    ),
    (
        "contact_carrier",
        Some((T::ShipmentException, "contact_carrier")),
        Owner::Consignee,
    ),
    (
        "delayed",
        Some((T::ShipmentDelayed, "delayed")),
        Owner::Carrier,
    ),
    (
        "delivery_attempted",
        Some((T::ShipmentDeliveryAttempted, "delivery_attempted")),
        Owner::Consignee,
    ),
    (
        "delivery_rescheduled",
        Some((T::ShipmentDelayed, "delivery_rescheduled")),
        Owner::Carrier,
    ),
    (
        "delivery_scheduled",
        Some((T::ShipmentEtaUpdated, "delivery_scheduled")),
        Owner::Carrier,
    ),
    (
        "location_inaccessible",
        Some((T::ShipmentDeliveryAttempted, "location_inaccessible")),
        Owner::Consignee,
    ),
    (
        "notice_left",
        Some((T::ShipmentDeliveryAttempted, "notice_left")),
        Owner::Consignee,
    ),
    (
        "out_for_delivery",
        Some((T::ShipmentOutForDelivery, "out_for_delivery")),
        Owner::Carrier,
    ),
    (
        "package_accepted",
        Some((T::ShipmentPickedUp, "package_accepted")),
        Owner::Carrier,
    ),
    (
        "package_arrived",
        Some((T::ShipmentInTransit, "package_arrived")),
        Owner::Carrier,
    ),
    (
        "package_damaged",
        Some((T::ShipmentException, "damaged")),
        Owner::Carrier,
    ),
    (
        "package_departed",
        Some((T::ShipmentInTransit, "package_departed")),
        Owner::Carrier,
    ),
    (
        "package_forwarded",
        Some((T::ShipmentInTransit, "package_forwarded")),
        Owner::Carrier,
    ),
    (
        "package_held",
        Some((T::ShipmentException, "package_held")),
        Owner::Consignee,
    ),
    (
        "package_processed",
        Some((T::ShipmentInTransit, "package_processed")),
        Owner::Carrier,
    ),
    (
        "package_processing",
        Some((T::ShipmentInTransit, "package_processing")),
        Owner::Carrier,
    ),
    (
        "pickup_available",
        Some((T::ShipmentAvailableForPickup, "pickup_available")),
        Owner::Consignee,
    ),
    (
        "reschedule_delivery",
        Some((T::ShipmentDelayed, "reschedule_delivery")),
        Owner::Consignee,
    ),
    ("delivered", None, Owner::Carrier),
    (
        "return_to_sender",
        Some((T::ShipmentReturnedToSender, "return_to_sender")),
        Owner::Carrier,
    ),
    // Listed under RETURNED: nobody collected it, so it goes back.
    (
        "package_unclaimed",
        Some((T::ShipmentReturnedToSender, "unclaimed")),
        Owner::Consignee,
    ),
    (
        "package_undeliverable",
        Some((T::ShipmentException, "undeliverable")),
        Owner::Consignee,
    ),
    (
        "package_disposed",
        Some((T::ShipmentException, "disposed")),
        Owner::Carrier,
    ),
    (
        "package_lost",
        Some((T::ShipmentException, "lost")),
        Owner::Carrier,
    ),
    ("other", None, Owner::Carrier),
];

/// The type, reason and owner of one (status, substatus) pair; unknown codes are reported.
pub fn map(
    status: &str,
    substatus: Option<&str>,
    unknown: &mut Vec<UnknownCode>,
) -> Option<(EventType, Option<&'static str>, Owner)> {
    let by_status = look_up(STATUSES, "status", status, None, unknown).flatten();
    let by_substatus = substatus.and_then(|code| {
        let found = SUBSTATUSES.iter().find(|row| row.0 == code);
        if found.is_none() {
            unknown.push(UnknownCode {
                field: "substatus".into(),
                code: code.into(),
                mapped_to: by_status,
            });
        }
        found.map(|row| (row.1, row.2))
    });
    let t = by_status?;
    match (status, by_substatus) {
        // Delivered is final whatever the substatus says.
        ("DELIVERED", _) => Some((t, None, Owner::Carrier)),
        (_, Some((Some((t, reason)), owner))) => Some((t, Some(reason), owner)),
        (_, Some((None, owner))) => Some((t, None, owner)),
        (_, None) => Some((t, None, Owner::Carrier)),
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
        let Some((event_type, reason, owner)) = map(status, substatus, &mut parsed.unknown_codes)
        else {
            continue;
        };
        let raw_time = entry.get("status_date").and_then(Value::as_str);
        let mut event_data = json!({"tracking_number": tracking_number, "carrier": carrier, "location": entry.get("location")});
        if let Some(reason) = reason {
            event_data["reason"] = json!({"code": reason, "source_code": substatus, "text": entry.pointer("/substatus/text")});
        }
        owner.mark(&mut event_data);
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
    use crate::ingest::adapters::code_rows;

    const FIXTURE: &[u8] =
        include_bytes!("../../../tests/fixtures/carriers/shippo_track_updated.json");

    const CODES: &str = include_str!("../../../tests/fixtures/carriers/shippo_codes.tsv");

    fn origin() -> Origin {
        Origin {
            connector: "shippo".into(),
            time_zone: None,
            warehouse_code: None,
        }
    }

    #[test]
    fn every_documented_code_reads_as_the_documentation_says() {
        let rows = code_rows::rows(CODES, 7);
        for row in &rows {
            let (status, substatus) = (row[0], (row[1] != "-").then_some(row[1]));
            let entry = json!({"status": status, "status_date": "2026-03-03T15:00:00Z",
                               "substatus": substatus.map(|c| json!({"code": c, "text": "scan", "action_required": false}))});
            let body = json!({"event": "track_updated", "data": {"tracking_number": "9205", "carrier": "usps",
                              "tracking_status": entry, "tracking_history": [entry]}});
            let parsed = parse(&origin(), body.to_string().as_bytes()).unwrap();
            code_rows::Expected::from_tail(row).check(&format!("{status}/{}", row[1]), &parsed);
        }
        for (status, _) in STATUSES {
            assert!(
                rows.iter().any(|r| r[0] == *status && r[1] == "-"),
                "{status}"
            );
        }
        for (code, _, _) in SUBSTATUSES {
            assert!(rows.iter().any(|r| r[1] == *code), "{code}");
        }
        let mut unknown = vec![];
        assert_eq!(
            map("TRANSIT", Some("warp_drive"), &mut unknown),
            Some((T::ShipmentInTransit, None, Owner::Carrier)),
            "an undocumented substatus keeps the status's meaning, no reason made up"
        );
        assert_eq!(unknown[0].code, "warp_drive");
    }

    #[test]
    fn the_fixture_reports_acceptance_and_a_failed_attempt() {
        let parsed = parse(&origin(), FIXTURE).unwrap();
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
