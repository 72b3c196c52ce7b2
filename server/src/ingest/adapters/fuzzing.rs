//! Seeds and mutations for fuzzing the adapters: one valid message per format, and strategies
//! that break it (hostile field values, removed fields, changed or cut X12 bytes). Used by the
//! adapters' property tests and by the HTTP fuzz suite (`tests/api/fuzz_http.rs`), so both feed
//! the same kinds of damage.

use super::Format;
use proptest::prelude::*;
use serde_json::Value;

/// One valid message per format, the seed its own parser is fuzzed from.
pub fn seed(format: Format) -> String {
    let odoo: Value = serde_json::from_str(
        include_str!("../../../tests/fixtures/odoo/webhook_received.jsonl")
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    match format {
Format::Canonical => include_str!("../../../tests/fixtures/canonical/examples.jsonl")
.lines()
.next()
.unwrap()
.to_string(),
Format::Odoo => odoo["body"].as_str().unwrap().to_string(),
Format::MilepostWms => r#"{"contract": "milepost.wms.v1", "message_id": "rno-1", "warehouse": "RNO", "events": [
{"id": "w-1", "type": "order.picked", "order_ref": "S00042", "occurred_at": "2026-03-02T10:00:00+01:00"},
{"id": "w-2", "type": "shipment.dispatched", "order_ref": "S00042", "occurred_at": "2026-03-03T16:40:00-08:00",
 "status_text": "Shipped", "data": {"shipment": {"carrier": "UPS", "tracking_numbers": ["1Z999AA10123456784"]},
 "packages": [{"package_ref": "PKG-1", "weight": {"value": 3.2, "unit": "LB"}, "contents": [{"line_ref": "S00042-1", "qty": 4}]}],
 "lines": [{"line_ref": "S00042-1", "qty_ordered": 4, "qty_shipped": 4, "line_status": "complete"},
   {"line_ref": "S00042-2", "qty_ordered": 2, "qty_shipped": 1, "line_status": "partial_backordered", "reason": {"code": "out_of_stock"}}],
 "is_final": false}}]}"#.to_string(),
Format::ShipHero => include_str!("../../../tests/fixtures/wms/shiphero_shipment_update.json").to_string(),
Format::ShipBob => include_str!("../../../tests/fixtures/wms/shipbob_order_shipped.json").to_string(),
Format::EasyPost => include_str!("../../../tests/fixtures/carriers/easypost_tracker_updated.json").to_string(),
Format::Shippo => include_str!("../../../tests/fixtures/carriers/shippo_track_updated.json").to_string(),
Format::AfterShip => include_str!("../../../tests/fixtures/carriers/aftership_tracking_update.json").to_string(),
Format::X12 => include_str!("../../../tests/fixtures/x12/945_partial_backorder.edi").to_string(),
}
}

/// Values that break what a field is expected to be: wrong types, edges, huge, NUL, bad dates.
fn hostile() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(Value::Bool(false)),
        Just(Value::from(-1)),
        Just(Value::from(i64::MAX)),
        Just(Value::from(u64::MAX)),
        Just(serde_json::json!(1e308)),
        Just(Value::from("")),
        Just(Value::from("\u{0}")),
        Just(Value::from("9999-99-99T99:99:99Z")),
        Just(Value::from("2026-13-45 25:61:61")),
        Just(Value::from("x".repeat(5000))),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([[[[[]]]]])),
    ]
}

/// Every node of a JSON value, as pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, c)| {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            pointers(c, p, out);
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| {
            let p = format!("{at}/{i}");
            out.push(p.clone());
            pointers(c, p, out);
        }),
        _ => {}
    }
}

/// The seed of `format` with up to four of its fields replaced by hostile values (JSON
/// formats), or its bytes changed, cut or repeated (X12).
pub fn mutated(format: Format) -> impl Strategy<Value = Vec<u8>> {
    let seed = seed(format);
    let edits = proptest::collection::vec(
        (any::<prop::sample::Index>(), hostile(), any::<u8>(), 0u8..4),
        1..5,
    );
    edits.prop_map(move |edits| {
        if format == Format::X12 {
            let mut body = seed.as_bytes().to_vec();
            for (at, _, byte, how) in edits {
                let i = at.index(body.len().max(1));
                match how {
                    0 => body[i] = byte,
                    1 => body.truncate(i),
                    2 => body.insert(i, b"*~^>"[usize::from(byte) % 4]),
                    _ => {
                        let tail = body[i..].to_vec();
                        body.extend_from_slice(&tail);
                    }
                }
                if body.is_empty() {
                    break;
                }
            }
            return body;
        }
        let mut value: Value = serde_json::from_str(&seed).expect("seeds are JSON");
        let mut all = Vec::new();
        pointers(&value, String::new(), &mut all);
        for (at, replacement, _, how) in edits {
            let Some(p) = all.get(at.index(all.len().max(1))).cloned() else {
                break;
            };
            if how == 3 {
                // Remove the field altogether.
                if let Some((parent, key)) = p.rsplit_once('/') {
                    if let Some(Value::Object(m)) = value.pointer_mut(parent) {
                        m.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                }
            } else if let Some(slot) = value.pointer_mut(&p) {
                *slot = replacement;
            }
        }
        value.to_string().into_bytes()
    })
}
