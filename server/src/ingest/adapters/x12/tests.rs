use super::*;
use app::domain::event::{EventType, TimeProvenance};

const X945: &str = include_str!("../../../../tests/fixtures/x12/945_partial_backorder.edi");
const X214: &str = include_str!("../../../../tests/fixtures/x12/214_ltl_multistop.edi");
const X856: &str = include_str!("../../../../tests/fixtures/x12/856_asn.edi");

fn origin() -> Origin {
    Origin {
        connector: "nplt-edi".into(),
        time_zone: Some(chrono_tz::America::Los_Angeles),
        warehouse_code: Some("3PL-RENO".into()),
    }
}

#[test]
fn the_945_ships_one_line_complete_and_one_short_and_backordered() {
    let parsed = parse_message(&origin(), X945.as_bytes()).unwrap();
    assert_eq!(parsed.envelope_id.as_deref(), Some("NPLT3PL:000006124"));
    let id = parsed.message_id.as_deref().unwrap();
    assert!(id.starts_with("NPLT3PL:000006124:"), "{id}");
    assert_eq!(id.len(), "NPLT3PL:000006124:".len() + 16, "{id}");
    assert_eq!(parsed.events.len(), 1);
    let dispatch = &parsed.events[0];
    assert_eq!(dispatch.event_type, EventType::ShipmentDispatched);
    assert_eq!(dispatch.data["order"]["erp_order_id"], "S00042");
    assert_eq!(dispatch.data["order"]["customer_po"], "PO-7781");
    let lines = dispatch.data["lines"].as_array().unwrap();
    assert_eq!(lines[0]["line_ref"], "S00042-1");
    assert_eq!(lines[0]["line_status"], "complete");
    assert_eq!(lines[1]["line_status"], "partial_backordered");
    assert_eq!(lines[1]["qty_short"], 1.0);
    assert_eq!(lines[1]["reason"]["source_code"], "W1201=BP");
    assert_eq!(dispatch.data["is_final"], false);
    assert_eq!(dispatch.data["packages"][0]["sscc"], "00001234560000000018");
    // A date and the group's time, in the facility's zone: assumed, and said so.
    assert_eq!(
        dispatch.time_provenance,
        TimeProvenance::AssumedFacilityLocal
    );
    assert_eq!(
        dispatch.occurred_at.unwrap().to_rfc3339(),
        "2026-03-03T16:41:00-08:00"
    );
}

#[test]
fn the_214_reports_each_stop_status_with_its_local_time() {
    let parsed = parse_message(&origin(), X214.as_bytes()).unwrap();
    let types: Vec<EventType> = parsed.events.iter().map(|e| e.event_type).collect();
    // X3 (arrived at pick-up) carries no milestone; AF, X1 and D1 do.
    assert_eq!(
        types,
        vec![
            EventType::ShipmentPickedUp,
            EventType::ShipmentOutForDelivery,
            EventType::ShipmentDelivered
        ]
    );
    let delivered = &parsed.events[2];
    assert_eq!(delivered.data["tracking_number"], "107601046");
    assert_eq!(delivered.data["order"]["erp_order_id"], "S00045");
    assert_eq!(delivered.data["location"]["city"], "GRANGER");
    assert!(parsed.unknown_codes.is_empty());
}

#[test]
fn the_856_names_order_package_and_item() {
    let parsed = parse_message(&origin(), X856.as_bytes()).unwrap();
    let dispatch = &parsed.events[0];
    assert_eq!(dispatch.data["order"]["erp_order_id"], "S00042");
    assert_eq!(dispatch.data["shipment"]["tracking_numbers"][0], "BOL12399");
    assert_eq!(dispatch.data["lines"][0]["sku"], "MUG-BLU-12");
    assert_eq!(dispatch.data["packages"][0]["contents"][0]["qty"], 4.0);
}

#[test]
fn without_a_facility_zone_a_local_time_stays_unknown() {
    let mut origin = origin();
    origin.time_zone = None;
    let parsed = parse_message(&origin, X945.as_bytes()).unwrap();
    assert_eq!(parsed.events[0].occurred_at, None);
    assert_eq!(parsed.events[0].time_provenance, TimeProvenance::Unknown);
}

#[test]
fn an_unknown_transaction_set_is_refused_by_name() {
    let body = X945.replace("ST*945*0001", "ST*810*0001");
    let err = parse_message(&origin(), body.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("810 is not supported"), "{err}");
}

#[test]
fn unknown_status_codes_are_listed_for_mapping() {
    let body = X214.replace("AT7*X1*", "AT7*Q9*");
    let parsed = parse_message(&origin(), body.as_bytes()).unwrap();
    assert_eq!(parsed.unknown_codes[0].field, "AT701");
    assert_eq!(parsed.unknown_codes[0].code, "Q9");
    assert_eq!(parsed.events.len(), 2);
}

#[test]
fn envelope_errors_name_the_segment_and_are_semantic() {
    let body = X945.replace("SE*15*0001", "SE*14*0001");
    let err = parse_message(&origin(), body.as_bytes()).unwrap_err();
    assert!(
        matches!(err, AdapterError::Invalid { ref location, .. } if location == "segment 17 (SE)"),
        "{err:?}"
    );
    let truncated = &X945[..X945.len() / 2];
    assert!(matches!(
        parse_message(&origin(), truncated.as_bytes()),
        Err(AdapterError::Invalid { .. })
    ));
    assert!(matches!(
        parse_message(&origin(), b"\xff\xfe"),
        Err(AdapterError::Malformed(_))
    ));
}

#[test]
fn a_substitution_books_what_shipped_on_the_substitute_and_names_the_original_by_its_qualifier() {
    // Line 2 ordered MUG-RED-12 and shipped MUG-GRN-12 instead: W1207/08 are the item shipped,
    // W1217/18 the item ordered (X12 004010: "whenever W1201 contains IS, W1216, W1217 and W1218
    // refer to the original item ordered").
    let x945 = X945.replace(
        "W12*BP*2*1*1*EA**VN*MUG-RED-12",
        "W12*IS*2*2*0*EA**VN*MUG-GRN-12*********VN*MUG-RED-12",
    );
    let parsed = parse_message(&origin(), x945.as_bytes()).unwrap();
    let substitution = parsed
        .events
        .iter()
        .find(|e| e.event_type == EventType::LineSubstituted)
        .unwrap();
    let line = &substitution.data["lines"][0];
    assert_eq!(line["sku"], "MUG-GRN-12");
    assert_eq!(line["original_sku"], "MUG-RED-12", "not its qualifier");
    assert_eq!(line["original_sku_qualifier"], "VN");
    assert_eq!(line["substitute_of"], "S00042-2");

    // Folded with the order: the substitute shipped 2 and is complete; the ordered line is
    // replaced, not open, not short; no shortage is reported.
    let dispatch = parsed
        .events
        .iter()
        .find(|e| e.event_type == EventType::ShipmentDispatched)
        .unwrap();
    let event =
        |n: u128, t: EventType, data: serde_json::Value| app::domain::projection::FoldEvent {
            event_id: uuid::Uuid::from_u128(n),
            identity: format!("1:{n}"),
            event_type: t,
            occurred_at: dispatch.occurred_at.map(|t| t.with_timezone(&chrono::Utc)),
            data,
        };
    let created = serde_json::json!({"order": {"erp_order_id": "S00042"},
        "lines": [{"line_ref": "S00042-1", "sku": "MUG-BLU-12", "qty_ordered": 4},
                  {"line_ref": "S00042-2", "sku": "MUG-RED-12", "qty_ordered": 2}]});
    let events = vec![
        event(1, EventType::OrderCreated, created),
        event(2, EventType::ShipmentDispatched, dispatch.data.clone()),
        event(3, EventType::LineSubstituted, substitution.data.clone()),
    ];
    let p = app::domain::projection::fold("S00042", &events)
        .projection
        .unwrap();
    let by = |r: &str| p.lines.iter().find(|l| l.line_ref == r).unwrap().clone();
    let (original, substitute) = (by("S00042-2"), by("S00042-2S"));
    assert_eq!(original.line_status.to_string(), "substituted");
    assert_eq!((original.qty_shipped, original.qty_short), (0.0, 0.0));
    assert_eq!(substitute.line_status.to_string(), "complete");
    assert_eq!(substitute.qty_shipped, 2.0);
    assert_eq!(substitute.substitute_of.as_deref(), Some("S00042-2"));
    assert!(
        p.exceptions.iter().all(|x| x.kind != "short_pick"),
        "{:?}",
        p.exceptions
    );
}

#[test]
fn cancelled_and_returned_to_shipper_is_a_return_not_an_exception() {
    // AT7*CA*BT: the carrier cancelled the delivery and the parcel goes back to the shipper.
    let x214 = X214.replace(
        "AT7*X1*NS***20260304*1004*LT",
        "AT7*CA*BT***20260304*1004*LT",
    );
    let parsed = parse_message(&origin(), x214.as_bytes()).unwrap();
    let returned = parsed
        .events
        .iter()
        .find(|e| e.data["reason"]["source_code"] == "AT702=BT")
        .unwrap();
    assert_eq!(returned.event_type, EventType::ShipmentReturnedToSender);
    assert_eq!(returned.data["reason"]["code"], "returned_to_shipper");

    // Folded after its dispatch: the parcel and the order are returning, not "dispatched" and
    // "shipped", and the return shows as an exception to act on.
    let event =
        |n: u128, t: EventType, data: serde_json::Value| app::domain::projection::FoldEvent {
            event_id: uuid::Uuid::from_u128(n),
            identity: format!("1:{n}"),
            event_type: t,
            occurred_at: Some(chrono::Utc::now()),
            data,
        };
    let events = vec![
        event(
            1,
            EventType::OrderCreated,
            serde_json::json!({"order": {"erp_order_id": "S00045"},
            "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}),
        ),
        event(
            2,
            EventType::ShipmentDispatched,
            serde_json::json!({"order": {"erp_order_id": "S00045"},
            "shipment": {"tracking_numbers": ["107601046"]}, "lines": [{"line_ref": "L1", "qty_shipped": 1}]}),
        ),
        event(3, returned.event_type, returned.data.clone()),
    ];
    let p = app::domain::projection::fold("S00045", &events)
        .projection
        .unwrap();
    assert_eq!(p.shipments[0].status.to_string(), "returned");
    assert_eq!(p.header.status.to_string(), "returned");
    assert!(p.exceptions.iter().any(|x| x.kind == "returned_to_sender"));
}

/// A 214 with one status, `AT7*{status}*{reason}`, on 2026-03-04 10:04 local.
fn one_status_214(status: &str, reason: &str) -> String {
    format!(
        "ISA*00*          *00*          *02*NMTF           *ZZ*MILEPOST       *260304*1045*U*00401*000000701*0*P*>~\
         GS*QM*NMTF*MILEPOST*20260304*1045*701*X*004010~ST*214*0001~B10*107601046*BOL12399*NMTF~\
         L11*S00045*PO~LX*1~AT7*{status}*{reason}***20260304*1004*LT~MS1*GRANGER*IA~SE*7*0001~\
         GE*1*701~IEA*1*000000701~"
    )
}

#[test]
fn every_documented_214_status_and_reason_reads_as_the_standard_says() {
    use crate::ingest::adapters::code_rows;
    let tsv = include_str!("../../../../tests/fixtures/x12/214_codes.tsv");
    let rows = code_rows::rows(tsv, 7);
    for row in &rows {
        let parsed = parse_message(&origin(), one_status_214(row[0], row[1]).as_bytes()).unwrap();
        code_rows::Expected::from_tail(row).check(&format!("AT7*{}*{}", row[0], row[1]), &parsed);
    }
    for (code, _, _) in codes::AT701 {
        assert!(
            rows.iter().any(|r| r[0] == *code && r[1] == "NS"),
            "AT701 {code} has its row"
        );
    }
    for (code, _, _) in codes::AT702.iter().filter(|r| r.0 != "NS") {
        assert!(
            rows.iter().any(|r| r[1] == *code),
            "AT702 {code} has its row"
        );
    }
}

#[test]
fn every_documented_945_line_status_reads_as_the_standard_says() {
    use crate::ingest::adapters::code_rows;
    let tsv = include_str!("../../../../tests/fixtures/x12/945_w1201_codes.tsv");
    let rows = code_rows::rows(tsv, 5);
    for row in &rows {
        let [code, _, status, reason, last] = row[..] else {
            unreachable!()
        };
        // Line 2 ordered 2, shipped 1; a substitution names the item ordered in W1217/W1218.
        let w12 = format!("W12*{code}*2*1*1*EA**VN*MUG-GRN-12*********VN*MUG-RED-12");
        let body = X945.replace("W12*BP*2*1*1*EA**VN*MUG-RED-12", &w12);
        let parsed = parse_message(&origin(), body.as_bytes()).unwrap();
        assert!(parsed.unknown_codes.is_empty(), "{code}");
        let dispatch = parsed
            .events
            .iter()
            .find(|e| e.event_type == EventType::ShipmentDispatched)
            .unwrap();
        let line = &dispatch.data["lines"][1];
        assert_eq!(line["line_status"], status, "{code}");
        let want = (reason != "-").then_some(reason);
        assert_eq!(line["reason"]["code"].as_str(), want, "{code}: reason");
        assert_eq!(dispatch.data["is_final"], last == "yes", "{code}: final");
        assert_eq!(
            parsed
                .events
                .iter()
                .any(|e| e.event_type == EventType::LineSubstituted),
            status == "substituted",
            "{code}: a substitution is its own event"
        );
    }
    for (code, _, _) in codes::W1201 {
        assert!(
            rows.iter().any(|r| r[0] == *code),
            "W1201 {code} has its row"
        );
    }
}

#[test]
fn every_documented_856_purpose_and_line_status_reads_as_the_standard_says() {
    use crate::ingest::adapters::code_rows;
    let tsv = include_str!("../../../../tests/fixtures/x12/856_codes.tsv");
    let rows = code_rows::rows(tsv, 5);
    for row in &rows {
        let [purpose, line_code, _, kind, status] = row[..] else {
            unreachable!()
        };
        let mut body = X856.replace("BSN*00*", &format!("BSN*{purpose}*"));
        if line_code != "-" {
            body = body.replace("SN1**4*EA", &format!("SN1**1*EA**2*EA**{line_code}"));
        }
        let parsed = parse_message(&origin(), body.as_bytes()).unwrap();
        let name = format!("BSN01={purpose} SN108={line_code}");
        if kind == "-" {
            assert!(parsed.events.is_empty(), "{name}: nothing applied");
            assert_eq!(parsed.unknown_codes[0].field, "BSN01", "{name}: listed");
            continue;
        }
        assert!(parsed.unknown_codes.is_empty(), "{name}");
        assert_eq!(parsed.events[0].event_type.as_str(), kind, "{name}");
        assert_eq!(
            parsed.events[0].data["lines"][0]["line_status"], status,
            "{name}"
        );
    }
    for (code, _, _) in codes::BSN01 {
        assert!(
            rows.iter().any(|r| r[0] == *code && r[1] == "-"),
            "BSN01 {code}"
        );
    }
    for (code, _, _) in codes::SN108 {
        assert!(rows.iter().any(|r| r[1] == *code), "SN108 {code}");
    }
}
