//! What Milepost reads from Odoo, against the Odoo 19 stand-in built from the recordings: the
//! delivery address and delivery method the warehouse needs (16_delivery_address.json,
//! 17_carrier_on_order.json), and the catch-up pull noticing a delivery that becomes ready when
//! stock arrives, which changes the picking but not the order (15_picking_ready_later.json).

use serde_json::json;
use server::connectors::odoo::calls::Exchanges;
use server::connectors::odoo::read::{changed_orders, read_order};
use server::connectors::odoo::RecordRef;
use server::ingest::adapters::{parse, Format, Origin};
use server::simulators::odoo::OdooStandIn;

fn origin() -> Origin {
    Origin {
        connector: "odoo".into(),
        time_zone: None,
        warehouse_code: None,
    }
}

fn sale_order(id: i64) -> RecordRef {
    RecordRef {
        model: "sale.order".into(),
        id,
    }
}

#[tokio::test]
async fn a_release_carries_the_delivery_address_and_the_orders_delivery_method() {
    let odoo = OdooStandIn::start("key").await.unwrap();
    // Customer 48 has a delivery contact (49) at another address; the order names no shipping
    // address, so Odoo computes it, and carries delivery method 2 ("The Poste").
    let made = odoo
        .act(
            "sale.order",
            "create",
            &[],
            json!({"vals_list": [{"partner_id": 48, "carrier_id": 2, "client_order_ref": "SHIPTO-B",
                                   "order_line": [[0, 0, {"product_id": 21, "product_uom_qty": 1}]]}]}),
        )
        .await
        .unwrap();
    let id = made[0].as_i64().unwrap();
    odoo.confirm(id).await;
    let client = odoo.json2_client().unwrap();
    let record = read_order(&client, &mut Exchanges::default(), &sale_order(id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record["ship_to"]["street"], "5 Dock Road");
    assert_eq!(record["ship_to"]["street2"], "Gate 3");
    assert_eq!(record["ship_to"]["city"], "Peoria");
    assert_eq!(
        record["ship_to"]["name"],
        "Shipto Test Inc, Shipto Warehouse"
    );
    assert_eq!(
        record["partner_id"], 48,
        "the account is still the customer's"
    );

    let parsed = parse(Format::Odoo, &origin(), record.to_string().as_bytes()).unwrap();
    let release = parsed
        .events
        .iter()
        .find(|e| e.event_type.as_str() == "order.release_requested")
        .expect("the ready delivery releases the order");
    assert_eq!(release.data["service"]["carrier"], "The Poste");
    assert_eq!(release.data["ship_to"]["postal_code"], "61602");
    assert_eq!(release.data["customer"]["external_id"], "48");
}

#[tokio::test]
async fn a_release_carries_priority_incoterms_notes_and_where_odoo_reserved_the_goods() {
    let odoo = OdooStandIn::start("key").await.unwrap();
    // The product's stock sits in a lot; the order ships DAP to the customer's dock.
    odoo.act(
        "stock.quant",
        "write",
        &[21],
        json!({"vals": {"lot_id": [901, "LOT-0001"]}}),
    )
    .await
    .unwrap();
    let made = odoo
        .act(
            "sale.order",
            "create",
            &[],
            json!({"vals_list": [{"partner_id": 48, "incoterm": 3, "incoterm_location": "Peoria dock 3",
                                   "order_line": [[0, 0, {"product_id": 21, "product_uom_qty": 2}]]}]}),
        )
        .await
        .unwrap();
    let id = made[0].as_i64().unwrap();
    odoo.confirm(id).await;
    let picking = odoo.with(|s| {
        s.get("sale.order", id).unwrap()["picking_ids"][0]
            .as_i64()
            .unwrap()
    });
    // The salesperson stars the delivery and writes a handling note.
    odoo.act(
        "stock.picking",
        "write",
        &[picking],
        json!({"vals": {"priority": "1", "note": "<p>Gift wrap &amp; card</p><p>Fragile</p>"}}),
    )
    .await
    .unwrap();
    let client = odoo.json2_client().unwrap();
    let record = read_order(&client, &mut Exchanges::default(), &sale_order(id))
        .await
        .unwrap()
        .unwrap();
    let parsed = parse(Format::Odoo, &origin(), record.to_string().as_bytes()).unwrap();
    let release = parsed
        .events
        .iter()
        .find(|e| e.event_type.as_str() == "order.release_requested")
        .expect("the ready delivery releases the order");
    assert_eq!(release.data["priority"], "urgent");
    assert_eq!(release.data["notes"], "Gift wrap & card\nFragile");
    assert_eq!(
        release.data["incoterms"],
        json!({"code": "DAP", "name": "[DAP] DELIVERED AT PLACE", "location": "Peoria dock 3"})
    );
    assert_eq!(
        release.data["allocation"],
        json!([{"sku": "E-COM08", "lot": "LOT-0001", "location": "WH/Stock", "qty": 2.0}])
    );
}

#[tokio::test]
async fn the_pull_notices_a_delivery_that_becomes_ready_when_stock_arrives() {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let client = odoo.json2_client().unwrap();
    // Product 33 has no stock: the delivery waits (`confirmed`) after confirmation.
    let (id, _) = odoo.create_order(47, &[(33, 3.0)], "READY-LATER-1").await;
    odoo.confirm(id).await;
    let picking = odoo.with(|o| {
        let order = o.get("sale.order", id).unwrap().clone();
        order["picking_ids"][0].as_i64().unwrap()
    });
    assert_eq!(
        odoo.with(|o| o.get("stock.picking", picking).unwrap()["state"].clone()),
        "confirmed"
    );
    // Everything so far was pulled long ago.
    odoo.with(|o| {
        for (model, rid) in [("sale.order", id), ("stock.picking", picking)] {
            let r = o.records.get_mut(model).unwrap().get_mut(&rid).unwrap();
            r.insert("write_date".into(), json!("2026-01-05 10:00:00"));
        }
    });
    let cursor = chrono::Utc::now();
    let (ids, _) = changed_orders(&client, &mut Exchanges::default(), cursor)
        .await
        .unwrap();
    assert!(ids.is_empty(), "nothing changed yet: {ids:?}");

    // Stock is counted in: Odoo reserves the waiting delivery by itself; the order's
    // write_date does not move.
    odoo.with(|o| {
        let q = o
            .records
            .get_mut("stock.quant")
            .unwrap()
            .get_mut(&33)
            .unwrap();
        q.insert("inventory_quantity".into(), json!(5.0));
    });
    odoo.act("stock.quant", "action_apply_inventory", &[33], json!({}))
        .await
        .unwrap();
    let order_written = odoo.with(|o| o.get("sale.order", id).unwrap()["write_date"].clone());
    assert_eq!(order_written, "2026-01-05 10:00:00");

    let (ids, newest) = changed_orders(&client, &mut Exchanges::default(), cursor)
        .await
        .unwrap();
    assert_eq!(ids, vec![id], "the picking's change names its order");
    assert!(newest >= cursor, "the cursor moves on");
    let record = read_order(&client, &mut Exchanges::default(), &sale_order(id))
        .await
        .unwrap()
        .unwrap();
    let parsed = parse(Format::Odoo, &origin(), record.to_string().as_bytes()).unwrap();
    assert!(
        parsed
            .events
            .iter()
            .any(|e| e.event_type.as_str() == "order.release_requested"),
        "now it is released: {:?}",
        parsed
            .events
            .iter()
            .map(|e| e.event_type.as_str())
            .collect::<Vec<_>>()
    );
}
