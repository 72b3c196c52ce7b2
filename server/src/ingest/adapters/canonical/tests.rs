use super::*;

const EXAMPLES: &str = include_str!("../../../../tests/fixtures/canonical/examples.jsonl");

fn examples() -> Vec<&'static str> {
    EXAMPLES.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn with(field: &str, value: Value) -> Vec<u8> {
    let mut event: Map<String, Value> = serde_json::from_str(examples()[0]).unwrap();
    event.insert(field.to_string(), value);
    serde_json::to_vec(&event).unwrap()
}

fn without(field: &str) -> Vec<u8> {
    let mut event: Map<String, Value> = serde_json::from_str(examples()[0]).unwrap();
    event.remove(field);
    serde_json::to_vec(&event).unwrap()
}

#[test]
fn every_recorded_example_parses_with_its_type_time_and_extensions() {
    let events: Vec<CanonicalEvent> = examples()
        .iter()
        .map(|l| parse_single(l.as_bytes()).unwrap())
        .collect();
    assert_eq!(events.len(), 6);
    assert_eq!(events[0].event_type, EventType::OrderReleaseRequested);
    assert_eq!(
        events[0].type_name,
        "com.acme.fulfillment.order.release_requested.v1"
    );
    assert_eq!(events[4].event_type, EventType::ShipmentDelivered);
    assert_eq!(
        events[4].occurred_at.unwrap().offset().local_minus_utc(),
        -8 * 3600,
        "the offset is kept"
    );
    assert_eq!(events[0].extensions["tenantid"], "t-001");
    assert_eq!(events[0].data["order"]["erp_order_id"], "S00042");
}

#[test]
fn a_batch_of_the_examples_parses_in_order() {
    let body = format!("[{}]", examples().join(","));
    let events = parse_batch(body.as_bytes(), 1000).unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[5].event_type, EventType::InventorySnapshot);
}

#[test]
fn a_batch_over_the_limit_is_refused_whole() {
    let body = format!("[{}]", examples().join(","));
    assert_eq!(
        parse_batch(body.as_bytes(), 5),
        Err(CanonicalError::BatchTooLarge { count: 6, limit: 5 })
    );
}

#[test]
fn one_bad_event_refuses_the_batch_and_is_named_by_its_index() {
    let mut items: Vec<Value> = examples()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    items[3].as_object_mut().unwrap().remove("id");
    let err = parse_batch(&serde_json::to_vec(&items).unwrap(), 1000).unwrap_err();
    assert_eq!(
        err,
        CanonicalError::Invalid {
            index: Some(3),
            field: "id".into(),
            message: "is required".into()
        }
    );
    assert_eq!(err.to_string(), "event 3: id: is required");
}

#[test]
fn each_required_attribute_is_named_when_missing() {
    for field in ["specversion", "id", "source", "type"] {
        match parse_single(&without(field)) {
            Err(CanonicalError::Invalid { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
    }
}

#[test]
fn a_time_without_an_offset_is_refused_not_guessed() {
    let err = parse_single(&with("time", "2026-03-02T09:14:05".into())).unwrap_err();
    assert!(
        matches!(err, CanonicalError::Invalid { ref field, .. } if field == "time"),
        "{err}"
    );
}

#[test]
fn a_missing_time_is_recorded_as_unknown_never_as_now() {
    let event = parse_single(&without("time")).unwrap();
    assert_eq!(event.occurred_at, None);
    assert_eq!(event.time_provenance, TimeProvenance::Unknown);
}

#[test]
fn wrong_versions_types_and_shapes_are_refused_with_their_field() {
    let field_of = |body: Vec<u8>| match parse_single(&body) {
        Err(CanonicalError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field_of(with("specversion", "0.3".into())), "specversion");
    assert_eq!(field_of(with("type", "order.teleported".into())), "type");
    assert_eq!(field_of(with("id", Value::from(42))), "id");
    assert_eq!(field_of(with("id", "  ".into())), "id");
    assert_eq!(
        field_of(with("datacontenttype", "application/xml".into())),
        "datacontenttype"
    );
    assert_eq!(field_of(with("data_base64", "AAAA".into())), "data_base64");
}

#[test]
fn the_correlation_id_extension_is_read() {
    let event = parse_single(&with("correlationid", "corr-123".into())).unwrap();
    assert_eq!(event.correlation_id.as_deref(), Some("corr-123"));
    assert!(!event.extensions.contains_key("correlationid"));
}

#[test]
fn bytes_that_are_not_json_or_not_utf8_are_malformed() {
    assert!(matches!(
        parse_single(b"{not json"),
        Err(CanonicalError::Malformed(_))
    ));
    assert!(
        matches!(parse_single(&[0x7b, 0xff, 0xfe, 0x7d]), Err(CanonicalError::Malformed(m)) if m.contains("UTF-8"))
    );
    assert!(matches!(
        parse_single(b"[]"),
        Err(CanonicalError::Malformed(_))
    ));
    assert!(matches!(
        parse_batch(b"{}", 10),
        Err(CanonicalError::Malformed(_))
    ));
    assert!(matches!(
        parse_batch(b"[]", 10),
        Err(CanonicalError::Invalid { .. })
    ));
    assert!(matches!(
        parse_batch(b"[1]", 10),
        Err(CanonicalError::Invalid { index: Some(0), .. })
    ));
}

#[test]
fn mangled_input_never_panics() {
    let doc = examples()[2].as_bytes();
    for end in 0..doc.len() {
        let _ = parse_single(&doc[..end]);
    }
    for i in 0..doc.len() {
        for byte in [b'"', b'{', b']', b'0', 0xff] {
            let mut mangled = doc.to_vec();
            mangled[i] = byte;
            let _ = parse_single(&mangled);
            let _ = parse_batch(&mangled, 10);
        }
    }
}

#[test]
fn extension_attributes_follow_cloudevents_naming_and_types() {
    let bad_name = parse_single(&with("Tenant_ID", serde_json::json!("acme"))).unwrap_err();
    assert!(
        bad_name
            .to_string()
            .contains("lower-case letters and digits"),
        "{bad_name}"
    );
    let nested = parse_single(&with("tenantid", serde_json::json!({"id": 1}))).unwrap_err();
    assert!(
        nested.to_string().contains("string, a number or a boolean"),
        "{nested}"
    );
    let control = parse_single(&with("tenantid", serde_json::json!("a\u{7}b"))).unwrap_err();
    assert!(
        control.to_string().contains("control characters"),
        "{control}"
    );
    // Null is absent; scalars are kept.
    let ok = parse_single(&with("tenantid", Value::Null)).unwrap();
    assert!(!ok.extensions.contains_key("tenantid"));
    let ok = parse_single(&with("partitionkey", serde_json::json!(7))).unwrap();
    assert_eq!(ok.extensions["partitionkey"], serde_json::json!(7));
}

#[test]
fn control_characters_in_context_attributes_are_refused() {
    for field in ["id", "source", "subject"] {
        let err = parse_single(&with(field, serde_json::json!("x\u{0}y"))).unwrap_err();
        assert!(
            err.to_string().contains("control characters"),
            "{field}: {err}"
        );
    }
}
