//! Inventory comparison and return pickings against the Odoo 19 stand-in (JSON-2): differences
//! reported, or applied and then gone; a return made through Odoo's wizard once, however often
//! the job runs; a return with nothing delivered is a dead letter that says why.

use serde_json::Value;
use server::attempt::Failure;
use server::connectors::odoo::client::OdooClient;
use server::connectors::odoo::inventory::{reconcile, Counted, Snapshot};
use server::connectors::odoo::returns::{create_return, ReturnRequest};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::OdooStandIn;

async fn odoo() -> (OdooClient, OdooStandIn) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    (odoo.json2_client().unwrap(), odoo)
}

fn snapshot(apply: bool) -> Snapshot {
    let item = |sku: &str, qty| Counted {
        sku: sku.into(),
        qty,
    };
    Snapshot {
        warehouse: Some("WH".into()),
        items: vec![
            item("E-COM08", 40.0),
            item("E-COM11", 37.0),
            item("NOT-IN-ODOO", 5.0),
        ],
        apply,
    }
}

fn on_hand(odoo: &OdooStandIn, product: i64) -> f64 {
    odoo.with(|o| {
        o.get("stock.quant", product).unwrap()["quantity"]
            .as_f64()
            .unwrap()
    })
}

#[tokio::test]
async fn differences_are_reported_and_only_applied_when_configured() {
    let (client, odoo) = odoo().await;
    let report = reconcile(&client, &snapshot(false)).await.unwrap();
    let r = report.record.response.unwrap();
    assert_eq!(
        r["differences"],
        serde_json::json!([{"sku": "E-COM11", "odoo": 40.0, "wms": 37.0, "difference": -3.0}])
    );
    assert_eq!(r["unknown_skus"], serde_json::json!(["NOT-IN-ODOO"]));
    assert_eq!(r["applied"], 0);
    assert_eq!(on_hand(&odoo, 26), 40.0, "a report changes nothing");

    let applied = reconcile(&client, &snapshot(true)).await.unwrap();
    assert_eq!(applied.record.response.unwrap()["applied"], 1);
    assert_eq!(on_hand(&odoo, 26), 37.0);
    let again = reconcile(&client, &snapshot(true)).await.unwrap();
    let again: Value = again.record.response.unwrap();
    assert_eq!(
        again["differences"],
        serde_json::json!([]),
        "applied once, nothing left"
    );
}

#[tokio::test]
async fn an_authorized_return_becomes_one_return_picking_through_the_wizard() {
    let (client, odoo) = odoo().await;
    let (id, order) = odoo.create_order(45, &[(21, 5.0), (26, 3.0)], "PO-R").await;
    odoo.confirm(id).await;
    let request = ReturnRequest {
        order_ref: order.clone(),
        rma: Some("RMA-1".into()),
        lines: vec![ShippedLine {
            sku: "E-COM08".into(),
            qty_shipped: 2.0,
        }],
    };
    let error = create_return(&client, &request).await.unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    assert!(
        error.message.contains("no done delivery"),
        "{}",
        error.message
    );

    let shipped = |sku: &str, qty| ShippedLine {
        sku: sku.into(),
        qty_shipped: qty,
    };
    dispatch(
        &client,
        &Dispatch {
            order_ref: order.clone(),
            tracking_number: "1ZRET".into(),
            lines: vec![shipped("E-COM08", 5.0), shipped("E-COM11", 3.0)],
            backorder: false,
        },
    )
    .await
    .unwrap();
    create_return(&client, &request).await.unwrap();
    create_return(&client, &request).await.unwrap();
    let returns: Vec<Value> = odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["picking_type_code"] == "incoming")
            .map(|p| Value::Object(p.clone()))
            .collect()
    });
    assert_eq!(returns.len(), 1, "one return, however often the job runs");
    assert!(returns[0]["origin"]
        .as_str()
        .unwrap()
        .starts_with("Return of WH/OUT/"));
    let moved: Vec<f64> = odoo.with(|o| {
        returns[0]["move_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                o.get("stock.move", m.as_i64().unwrap()).unwrap()["product_uom_qty"]
                    .as_f64()
                    .unwrap()
            })
            .collect()
    });
    assert_eq!(moved, [2.0], "only what was authorized comes back");
}
