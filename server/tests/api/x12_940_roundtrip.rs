//! The X12 940 Milepost writes for a warehouse that takes files, read back by Milepost's own X12
//! parser (the one intake uses for 945 and 856): what we send, our reader understands. Here, not
//! beside the writer, because the writer (a connector) must not import intake.

use chrono::Utc;
use serde_json::json;
use server::connectors::wms::release::{Action, Instruction};
use server::connectors::wms::x12_940::render;
use server::ingest::adapters::x12::envelope;

fn instruction(action: Action) -> Instruction {
    Instruction {
        instruction_id: "rel-1234".into(),
        action,
        order_ref: "S00042".into(),
        order: json!({"customer_po": "PO*7781", "ship_to": {"name": "Deco Addict", "street": "77 Santa Barbara Rd",
                      "city": "Pleasant Hill", "postal_code": "94523", "country": "US"},
                      "lines": [{"line_ref": "S00042-1", "sku": "E-COM08", "qty": 4.0, "uom": "EA"},
                                {"line_ref": "S00042-2", "sku": "E-COM11", "qty": 2.0, "uom": "EA"}]}),
    }
}

#[test]
fn a_release_is_a_valid_940_interchange_with_its_lines() {
    let text = render(
        &instruction(Action::Release),
        "MILEPOST",
        "RENO3PL",
        Utc::now(),
    );
    let parsed = envelope::parse(&text).expect("Milepost's own parser reads it");
    assert_eq!(
        (parsed.sender.as_str(), parsed.receiver.as_str()),
        ("MILEPOST", "RENO3PL")
    );
    let group = &parsed.groups[0];
    assert_eq!(
        (group.functional_id.as_str(), group.version.as_str()),
        ("OW", "004010")
    );
    let set = &group.transactions[0];
    assert_eq!(set.id, "940");
    let seg = |id: &str| {
        set.segments
            .iter()
            .filter(|s| s.id == id)
            .collect::<Vec<_>>()
    };
    let w05 = seg("W05")[0];
    assert_eq!(
        (w05.element(1), w05.element(2)),
        (Some("N"), Some("S00042"))
    );
    assert_eq!(
        w05.element(3),
        Some("PO 7781"),
        "a separator inside data is replaced"
    );
    let w01 = seg("W01");
    assert_eq!(w01.len(), 2);
    assert_eq!(
        (w01[0].element(1), w01[0].element(2), w01[0].element(5)),
        (Some("4"), Some("EA"), Some("E-COM08"))
    );
    assert_eq!(seg("W76")[0].element(1), Some("6"));
    assert_eq!(seg("N4")[0].element(3), Some("94523"));
}
