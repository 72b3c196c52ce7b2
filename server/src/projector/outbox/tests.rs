//! Which jobs each applied event causes, and where they go.

use super::*;
use crate::connectors::odoo::client::{OdooConfig, Protocol};
use crate::connectors::outbound::{Endpoint, Target};
use crate::connectors::wms::release::WmsConfig;
use crate::store::jobs::queue::JobPayload;
use app::domain::projection::{LineView, MilestoneView, OrderHeader, ShipmentView};
use secrecy::SecretString;
use std::time::Duration;

pub(crate) fn routes() -> Routes {
    let odoo = Endpoint {
        connector_id: 1,
        connector: "odoo".into(),
        warehouse_code: None,
        concurrency: 1,
        target: Target::Odoo {
            config: OdooConfig {
                base_url: "http://o".into(),
                database: "d".into(),
                protocol: Protocol::Json2 {
                    api_key: SecretString::from("k".to_string()),
                },
                timeout: Duration::from_secs(1),
                targets: crate::connectors::http::Targets::PublicOnly,
            },
            poll_every: None,
            apply_inventory: true,
            reconcile: None,
            quiet_after: Duration::from_secs(72 * 3600),
        },
    };
    let wms = |id, name: &str, code: &str| Endpoint {
        connector_id: id,
        connector: name.into(),
        warehouse_code: Some(code.into()),
        concurrency: 1,
        target: Target::Wms(WmsConfig {
            url: "http://w".into(),
            token: SecretString::from("t".to_string()),
            timeout: Duration::from_secs(1),
            targets: crate::connectors::http::Targets::PublicOnly,
        }),
    };
    Routes::new(&[odoo, wms(2, "reno", "RNO"), wms(3, "dallas", "DFW")])
}

pub(crate) fn order(status: OrderStatus, warehouse: &str) -> OrderProjection {
    OrderProjection {
        header: OrderHeader {
            order_ref: "S00042".into(),
            status,
            warehouse_code: Some(warehouse.into()),
            ..OrderHeader::default()
        },
        lines: vec![LineView {
            line_ref: "S00042-1".into(),
            sku: Some("E-COM08".into()),
            qty_ordered: 4.0,
            line_status: LineStatus::Open,
            ..LineView::default()
        }],
        ..OrderProjection::default()
    }
}

fn applied(t: EventType, data: &Value) -> Applied<'_> {
    Applied {
        event_id: Uuid::from_u128(7),
        event_type: t,
        occurred_at: "2026-03-04T15:00:00Z".parse().ok(),
        data,
    }
}

fn ctx(o: &OrderProjection, released_before: bool) -> OrderContext<'_> {
    OrderContext {
        order: o,
        erp_connector: Some(1),
        released_before,
        release_times: ReleaseTimes::default(),
    }
}

#[test]
fn a_release_goes_to_the_wms_of_the_orders_warehouse_with_its_lines() {
    let o = order(OrderStatus::Released, "DFW");
    let data = json!({"ship_to": {"city": "Dallas"}});
    let jobs = plan(
        &applied(EventType::OrderReleaseRequested, &data),
        &ctx(&o, false),
        &routes(),
    );
    assert_eq!(jobs.len(), 1);
    let j = &jobs[0];
    assert_eq!(
        (j.queue.as_str(), j.kind()),
        ("wms:dallas", SendInstructionToWms::KIND)
    );
    assert_eq!(j.ordering_key.as_deref(), Some("S00042"));
    assert_eq!(j.caused_by, Some(Uuid::from_u128(7)));
    let i: Instruction = serde_json::from_value(j.payload().clone()).unwrap();
    assert_eq!(i.action, Action::Release);
    assert_eq!(i.order["lines"][0]["sku"], "E-COM08");
    assert_eq!(i.order["ship_to"]["city"], "Dallas");
}

#[test]
fn a_release_tells_the_warehouse_what_it_needs_and_leaves_out_what_is_unknown() {
    let mut o = order(OrderStatus::Released, "DFW");
    o.header.priority = Some("urgent".into());
    o.header.carrier = Some("UPS".into());
    o.header.service_level = Some("ground".into());
    let data = json!({"ship_to": {"city": "Dallas"},
        "allocation": [{"sku": "E-COM08", "lot": "LOT-7", "location": "WH/Stock/A1", "qty": 4.0}],
        "incoterms": {"code": "DAP", "name": "[DAP] DELIVERED AT PLACE", "location": "Dallas dock 3"},
        "notes": "Gift wrap\nFragile"});
    let mut context = ctx(&o, false);
    context.release_times = ReleaseTimes {
        ship_by: "2026-11-25T17:00:00Z".parse().ok(),
        cut_off: "2026-11-24T19:00:00Z".parse().ok(),
    };
    let jobs = plan(
        &applied(EventType::OrderReleaseRequested, &data),
        &context,
        &routes(),
    );
    let i: Instruction = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    let sent = &i.order;
    assert_eq!(sent["priority"], "urgent");
    assert_eq!(sent["ship_by"], "2026-11-25T17:00:00+00:00");
    assert_eq!(sent["cut_off"], "2026-11-24T19:00:00+00:00");
    assert_eq!(
        sent["service"],
        json!({"carrier": "UPS", "service_level": "ground"})
    );
    assert_eq!(sent["allocation"][0]["lot"], "LOT-7");
    assert_eq!(sent["incoterms"]["code"], "DAP");
    assert_eq!(sent["notes"], "Gift wrap\nFragile");

    // An order that says none of it: the optional fields are left out, not sent empty.
    let plain = order_of(&plan(
        &applied(EventType::OrderReleaseRequested, &json!({})),
        &ctx(&order(OrderStatus::Released, "DFW"), false),
        &routes(),
    ));
    for key in [
        "priority",
        "ship_by",
        "cut_off",
        "allocation",
        "incoterms",
        "notes",
    ] {
        assert!(plain.get(key).is_none(), "{key}");
    }
}

fn order_of(jobs: &[NewJob]) -> Value {
    serde_json::from_value::<Instruction>(jobs[0].payload().clone())
        .unwrap()
        .order
}

#[test]
fn changes_after_a_release_amend_it_and_a_cancel_follows_it_but_not_before() {
    let o = order(OrderStatus::Confirmed, "RNO");
    let data = json!({});
    let r = routes();
    assert!(plan(
        &applied(EventType::OrderConfirmed, &data),
        &ctx(&o, false),
        &r
    )
    .is_empty());
    assert!(plan(
        &applied(EventType::OrderCancelled, &data),
        &ctx(&o, false),
        &r
    )
    .is_empty());
    let amend = plan(
        &applied(EventType::OrderConfirmed, &data),
        &ctx(&o, true),
        &r,
    );
    assert_eq!(amend[0].payload()["action"], "amend");
    let mut c = order(OrderStatus::Cancelled, "RNO");
    c.milestones.push(MilestoneView {
        milestone: "released".into(),
        occurred_at: None,
        event_id: Uuid::nil(),
    });
    let cancel = plan(
        &applied(EventType::OrderCancelled, &data),
        &ctx(&c, false),
        &r,
    );
    assert_eq!(cancel[0].payload()["action"], "cancel");
    assert_eq!(cancel[0].queue, "wms:reno");
}

#[test]
fn nothing_is_released_again_once_shipped_or_to_a_warehouse_nobody_serves() {
    let data = json!({});
    let mut shipped = order(OrderStatus::Released, "RNO");
    shipped.shipments.push(ShipmentView::default());
    let r = routes();
    assert!(plan(
        &applied(EventType::OrderReleaseRequested, &data),
        &ctx(&shipped, true),
        &r
    )
    .is_empty());
    let elsewhere = order(OrderStatus::Released, "LAX");
    assert!(plan(
        &applied(EventType::OrderReleaseRequested, &data),
        &ctx(&elsewhere, false),
        &r
    )
    .is_empty());
}

#[test]
fn a_dispatch_is_written_back_to_the_orders_odoo_with_skus_from_its_lines() {
    let o = order(OrderStatus::Shipped, "RNO");
    let data = json!({"shipment": {"tracking_numbers": ["1Z1"]},
                      "lines": [{"line_ref": "S00042-1", "qty_shipped": 3}], "is_final": true});
    let jobs = plan(
        &applied(EventType::ShipmentDispatched, &data),
        &ctx(&o, true),
        &routes(),
    );
    assert_eq!(jobs[0].queue, "odoo:odoo");
    let d: Dispatch = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert_eq!(d.tracking_number, "1Z1");
    assert_eq!(
        (d.lines[0].sku.as_str(), d.lines[0].qty_shipped),
        ("E-COM08", 3.0)
    );
    assert!(!d.backorder, "the WMS said this shipment was final");

    let mut foreign = ctx(&o, true);
    foreign.erp_connector = Some(99);
    assert!(
        plan(
            &applied(EventType::ShipmentDispatched, &data),
            &foreign,
            &routes()
        )
        .is_empty(),
        "an order from an ERP Milepost does not call gets no write-back"
    );
}

#[test]
fn an_authorized_return_asks_odoo_for_the_return_picking() {
    let o = order(OrderStatus::Delivered, "RNO");
    let data = json!({"rma": "RMA-9", "lines": [{"sku": "E-COM08", "qty": 1}]});
    let jobs = plan(
        &applied(EventType::ReturnAuthorized, &data),
        &ctx(&o, true),
        &routes(),
    );
    assert_eq!(
        (jobs[0].queue.as_str(), jobs[0].kind()),
        ("odoo:odoo", CreateReturnInOdoo::KIND)
    );
    let r: ReturnRequest = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert_eq!(r.rma.as_deref(), Some("RMA-9"));
    assert_eq!(
        (r.lines[0].sku.as_str(), r.lines[0].qty_shipped),
        ("E-COM08", 1.0)
    );
}

#[test]
fn an_inventory_snapshot_is_compared_in_every_odoo_as_configured() {
    let data = json!({"mode": "full", "warehouse": {"code": "RNO"},
                      "items": [{"sku": "E-COM08", "on_hand": 7}, {"sku": "E-COM11", "qty": 2}, {"no_sku": 1}]});
    let jobs = plan_inventory(Uuid::from_u128(9), &data, &routes());
    assert_eq!(jobs.len(), 1);
    let s: Snapshot = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert!(s.apply);
    assert_eq!(s.warehouse.as_deref(), Some("RNO"));
    assert_eq!(s.items.len(), 2, "an item without a SKU is left out");
    assert!(plan_inventory(Uuid::nil(), &json!({"items": []}), &routes()).is_empty());
}

#[test]
fn carrier_news_posts_a_note_and_exceptions_an_activity() {
    let o = order(OrderStatus::Shipped, "RNO");
    let data =
        json!({"shipment": {"tracking_number": "1Z1"}, "reason": {"text": "address not found"}});
    let jobs = plan(
        &applied(EventType::ShipmentException, &data),
        &ctx(&o, true),
        &routes(),
    );
    let n: Note = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert!(
        n.body.contains("1Z1") && n.body.contains("address not found"),
        "{}",
        n.body
    );
    assert!(n.activity_summary.is_some());
    let delivered = plan(
        &applied(
            EventType::ShipmentDelivered,
            &json!({"shipment": {"tracking_number": "1Z1"}}),
        ),
        &ctx(&o, true),
        &routes(),
    );
    let n: Note = serde_json::from_value(delivered[0].payload().clone()).unwrap();
    assert!(n.activity_summary.is_none());
    assert_eq!(
        n.body,
        "Delivered (tracking 1Z1) at 2026-03-04T15:00:00+00:00."
    );
}

#[test]
fn a_delivery_with_a_signature_or_photo_attaches_them_and_says_who_signed_and_when() {
    let o = order(OrderStatus::Shipped, "RNO");
    let data = json!({"tracking_number": "1Z1", "pod": {"signed_by": "J. DOE",
        "signature_url": "https://carrier.example/s.png",
        "photo_urls": ["https://carrier.example/p.jpg", "https://carrier.example/s.png"]}});
    let jobs = plan(
        &applied(EventType::ShipmentDelivered, &data),
        &ctx(&o, true),
        &routes(),
    );
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind(), AttachProofOfDeliveryInOdoo::KIND);
    let p: ProofOfDelivery = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert_eq!(p.tracking_number, "1Z1");
    assert_eq!(p.signed_by.as_deref(), Some("J. DOE"));
    assert_eq!(p.delivered_at.as_deref(), Some("2026-03-04T15:00:00+00:00"));
    assert_eq!(
        p.files,
        [
            "https://carrier.example/s.png",
            "https://carrier.example/p.jpg"
        ],
        "each file once, the signature first"
    );
}

#[test]
fn a_parcel_returned_to_the_sender_is_noted_and_its_return_expected_in_odoo() {
    let mut o = order(OrderStatus::Shipped, "RNO");
    o.lines[0].qty_shipped = 4.0;
    let data = json!({"tracking_number": "1Z1", "reason": {"code": "returned_to_shipper"}});
    let jobs = plan(
        &applied(EventType::ShipmentReturnedToSender, &data),
        &ctx(&o, true),
        &routes(),
    );
    let kinds: Vec<&str> = jobs.iter().map(NewJob::kind).collect();
    assert_eq!(kinds, [PostNoteInOdoo::KIND, CreateReturnInOdoo::KIND]);
    let n: Note = serde_json::from_value(jobs[0].payload().clone()).unwrap();
    assert!(
        n.body
            .starts_with("Returned to sender (tracking 1Z1): returned_to_shipper"),
        "{}",
        n.body
    );
    assert!(n.activity_summary.is_some());
    let r: ReturnRequest = serde_json::from_value(jobs[1].payload().clone()).unwrap();
    assert_eq!(
        (r.lines[0].sku.as_str(), r.lines[0].qty_shipped),
        ("E-COM08", 4.0)
    );
}
