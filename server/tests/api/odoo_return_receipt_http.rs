//! A return the warehouse received, written into Odoo (the 19 stand-in): the return picking
//! made at authorization validated with the quantities that came back, the condition noted (an
//! activity when the goods are damaged or the return was refused); run twice, the same.

use serde_json::Value;
use server::connectors::odoo::client::OdooClient;
use server::connectors::odoo::returns::{
    create_return, receive_return, ReturnReceipt, ReturnRequest,
};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::OdooStandIn;

fn line(sku: &str, qty: f64) -> ShippedLine {
    ShippedLine {
        sku: sku.into(),
        qty_shipped: qty,
    }
}

/// An order of E-COM08 × 5 and E-COM11 × 3, shipped in full.
async fn shipped_order() -> (OdooClient, OdooStandIn, String) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let client = odoo.json2_client().unwrap();
    let (id, order) = odoo
        .create_order(45, &[(21, 5.0), (26, 3.0)], "PO-RET")
        .await;
    odoo.confirm(id).await;
    dispatch(
        &client,
        &Dispatch {
            order_ref: order.clone(),
            tracking_number: "1ZRET".into(),
            lines: vec![line("E-COM08", 5.0), line("E-COM11", 3.0)],
            backorder: false,
        },
    )
    .await
    .unwrap();
    (client, odoo, order)
}

async fn authorize(client: &OdooClient, order: &str, qty: f64) {
    create_return(
        client,
        &ReturnRequest {
            order_ref: order.into(),
            rma: Some("RMA-7".into()),
            lines: vec![line("E-COM08", qty)],
        },
    )
    .await
    .unwrap();
}

fn receipt(order: &str, qty: f64, condition: Option<&str>) -> ReturnReceipt {
    ReturnReceipt {
        order_ref: order.into(),
        marker: "evt-ret-1".into(),
        rma: Some("RMA-7".into()),
        lines: vec![line("E-COM08", qty)],
        condition: condition.map(str::to_string),
        line_conditions: vec![],
    }
}

/// The order's return pickings: (state, quantities of their moves).
fn returns_of(odoo: &OdooStandIn) -> Vec<(String, Vec<f64>)> {
    odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["picking_type_code"] == "incoming")
            .map(|p| {
                let qty = p["move_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|m| o.get("stock.move", m.as_i64()?))
                    .map(|m| m["quantity"].as_f64().unwrap())
                    .collect();
                (p["state"].as_str().unwrap().to_string(), qty)
            })
            .collect()
    })
}

fn texts(odoo: &OdooStandIn, model: &str, field: &str) -> Vec<String> {
    odoo.with(|o| {
        o.all(model)
            .into_iter()
            .filter_map(|m| m[field].as_str().map(str::to_string))
            .filter(|b| b.contains("evt-ret-1"))
            .collect()
    })
}

#[tokio::test]
async fn a_received_return_validates_the_return_picking_once_and_notes_it() {
    let (client, odoo, order) = shipped_order().await;
    authorize(&client, &order, 2.0).await;
    for run in 1..=2 {
        receive_return(&client, &receipt(&order, 2.0, Some("good")))
            .await
            .unwrap();
        assert_eq!(
            returns_of(&odoo),
            vec![("done".to_string(), vec![2.0])],
            "run {run}"
        );
        let notes = texts(&odoo, "mail.message", "body");
        assert_eq!(notes.len(), 1, "run {run}: one note");
        assert!(notes[0].contains("2 × E-COM08"), "{}", notes[0]);
        assert!(notes[0].contains("Condition: good"), "{}", notes[0]);
        assert!(
            texts(&odoo, "mail.activity", "note").is_empty(),
            "nothing to decide"
        );
    }
}

#[tokio::test]
async fn a_partial_receipt_leaves_the_rest_open_and_a_second_run_does_not_validate_it() {
    let (client, odoo, order) = shipped_order().await;
    authorize(&client, &order, 2.0).await;
    for _ in 0..2 {
        receive_return(&client, &receipt(&order, 1.0, None))
            .await
            .unwrap();
        let pickings = returns_of(&odoo);
        assert_eq!(pickings.len(), 2, "the receipt and its backorder");
        assert_eq!(pickings[0], ("done".to_string(), vec![1.0]));
        assert_eq!(pickings[1].0, "assigned", "the rest is still expected");
    }
}

#[tokio::test]
async fn damaged_goods_and_a_refused_return_ask_the_salesperson_to_decide() {
    let (client, odoo, order) = shipped_order().await;
    authorize(&client, &order, 2.0).await;
    receive_return(&client, &receipt(&order, 2.0, Some("damaged")))
        .await
        .unwrap();
    assert_eq!(returns_of(&odoo)[0].0, "done");
    assert_eq!(texts(&odoo, "mail.activity", "note").len(), 1);

    let (client, odoo, order) = shipped_order().await;
    authorize(&client, &order, 2.0).await;
    receive_return(&client, &receipt(&order, 0.0, Some("refused")))
        .await
        .unwrap();
    assert_eq!(
        returns_of(&odoo)[0].0,
        "assigned",
        "nothing taken into stock: the return picking is left for a person"
    );
    let notes = texts(&odoo, "mail.message", "body");
    assert!(notes[0].contains("Return refused"), "{}", notes[0]);
    assert_eq!(texts(&odoo, "mail.activity", "note").len(), 1);
}

#[tokio::test]
async fn a_return_received_without_an_authorization_gets_its_picking_first() {
    let (client, odoo, order) = shipped_order().await;
    receive_return(&client, &receipt(&order, 1.0, None))
        .await
        .unwrap();
    let pickings = returns_of(&odoo);
    assert_eq!(pickings.len(), 1);
    assert_eq!(pickings[0], ("done".to_string(), vec![1.0]));
    let origin: Vec<Value> = odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["picking_type_code"] == "incoming")
            .map(|p| p["origin"].clone())
            .collect()
    });
    assert!(origin[0].as_str().unwrap().starts_with("Return of WH/OUT/"));
}
