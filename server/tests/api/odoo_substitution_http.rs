//! A warehouse's substitution written into Odoo (the 19 stand-in, JSON-2): the substitute
//! added to the open delivery as a move, the original's demand reduced, one note on the sale
//! order; run twice, the same. Then the dispatch books what shipped on the substitute.

use serde_json::Value;
use server::attempt::Failure;
use server::connectors::odoo::substitutions::{substitute, Substitute, Substitution};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::OdooStandIn;

/// One confirmed order: E-COM08 × 5 and E-COM11 × 3 on a ready delivery.
async fn stand_in() -> (OdooStandIn, String) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let (id, name) = odoo
        .create_order(45, &[(21, 5.0), (26, 3.0)], "PO-SUB")
        .await;
    odoo.confirm(id).await;
    (odoo, name)
}

/// E-COM12 ships instead of two of the three E-COM11.
fn e_com12_for_e_com11(order: &str) -> Substitution {
    Substitution {
        order_ref: order.into(),
        marker: "evt-sub-1".into(),
        lines: vec![Substitute {
            original_sku: Some("E-COM11".into()),
            sku: "E-COM12".into(),
            qty: 2.0,
        }],
    }
}

/// The moves of the order's delivery: (product id, demand, quantity).
fn moves(odoo: &OdooStandIn, order: &str) -> Vec<(i64, f64, f64)> {
    odoo.with(|o| {
        let picking = o
            .all("stock.picking")
            .into_iter()
            .find(|p| p["origin"] == order)
            .unwrap()
            .clone();
        let mut found: Vec<(i64, f64, f64)> = picking["move_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| o.get("stock.move", m.as_i64()?))
            .map(|m| {
                (
                    m["product_id"][0].as_i64().unwrap(),
                    m["product_uom_qty"].as_f64().unwrap(),
                    m["quantity"].as_f64().unwrap(),
                )
            })
            .collect();
        found.sort_by_key(|m| m.0);
        found
    })
}

fn notes_on(odoo: &OdooStandIn, marker: &str) -> Vec<String> {
    odoo.with(|o| {
        o.all("mail.message")
            .into_iter()
            .filter_map(|m| m["body"].as_str().map(str::to_string))
            .filter(|b| b.contains(marker))
            .collect()
    })
}

#[tokio::test]
async fn a_substitution_adds_the_substitute_reduces_the_original_and_notes_both_once() {
    let (odoo, order) = stand_in().await;
    let client = odoo.json2_client().unwrap();
    let s = e_com12_for_e_com11(&order);
    for run in 1..=2 {
        substitute(&client, &s).await.unwrap();
        assert_eq!(
            moves(&odoo, &order),
            vec![(21, 5.0, 5.0), (26, 1.0, 1.0), (29, 2.0, 2.0)],
            "run {run}: the substitute's move, the original's demand 3 - 2"
        );
        let notes = notes_on(&odoo, "evt-sub-1");
        assert_eq!(notes.len(), 1, "run {run}: one note");
        assert!(
            notes[0].contains("2 × E-COM12 instead of E-COM11"),
            "{}",
            notes[0]
        );
    }
    // The dispatch that follows books what shipped on the substitute and validates.
    dispatch(
        &client,
        &Dispatch {
            order_ref: order.clone(),
            tracking_number: "1ZSUB".into(),
            lines: [("E-COM08", 5.0), ("E-COM11", 1.0), ("E-COM12", 2.0)]
                .iter()
                .map(|(sku, qty)| ShippedLine {
                    sku: sku.to_string(),
                    qty_shipped: *qty,
                })
                .collect(),
            backorder: false,
        },
    )
    .await
    .unwrap();
    let state: Vec<Value> = odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["origin"] == order.as_str())
            .map(|p| p["state"].clone())
            .collect()
    });
    assert_eq!(
        state,
        vec![Value::from("done")],
        "validated, nothing left over"
    );
}

#[tokio::test]
async fn an_odoo_whose_moves_need_a_name_gets_one() {
    // Odoo 17 and 18: `stock.move.name` is required; the write-back asks and gives it.
    let (odoo, order) = stand_in().await;
    odoo.with(|o| o.move_has_name = true);
    substitute(&odoo.json2_client().unwrap(), &e_com12_for_e_com11(&order))
        .await
        .unwrap();
    assert!(moves(&odoo, &order).iter().any(|m| m.0 == 29));
}

#[tokio::test]
async fn a_substitute_odoo_does_not_know_is_a_dead_letter_that_says_so() {
    let (odoo, order) = stand_in().await;
    let mut s = e_com12_for_e_com11(&order);
    s.lines[0].sku = "NOPE-1".into();
    let e = substitute(&odoo.json2_client().unwrap(), &s)
        .await
        .unwrap_err();
    assert_eq!(e.failure, Failure::Fatal);
    assert!(
        e.message
            .contains("no product with internal reference NOPE-1"),
        "{}",
        e.message
    );
    assert!(e.message.contains("done in Odoo: nothing"), "{}", e.message);
    assert_eq!(moves(&odoo, &order).len(), 2, "nothing added");
}
