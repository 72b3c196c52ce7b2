//! Exception-queue decisions carried into Odoo (the 19 stand-in): resolving a case marks the
//! activity Milepost scheduled for it done, a reship makes the replacement delivery, a
//! cancellation cancels the open delivery; each noted once and each run twice to the same end.

use serde_json::Value;
use server::attempt::Failure;
use server::connectors::odoo::client::OdooClient;
use server::connectors::odoo::decisions::{
    cancel_deliveries, close_activity, reship, CaseDecision,
};
use server::connectors::odoo::notes::{post, Note};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::OdooStandIn;

async fn confirmed_order() -> (OdooClient, OdooStandIn, String) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let (id, order) = odoo.create_order(45, &[(21, 2.0)], "PO-DEC").await;
    odoo.confirm(id).await;
    (odoo.json2_client().unwrap(), odoo, order)
}

async fn ship(client: &OdooClient, order: &str) {
    dispatch(
        client,
        &Dispatch {
            order_ref: order.into(),
            tracking_number: "1ZLOST".into(),
            lines: vec![ShippedLine {
                sku: "E-COM08".into(),
                qty_shipped: 2.0,
            }],
            backorder: false,
        },
    )
    .await
    .unwrap();
}

fn decision(order: &str) -> CaseDecision {
    CaseDecision {
        order_ref: order.into(),
        marker: "act-1".into(),
        opened_by: Some("evt-lost".into()),
        reason: "the carrier lost it".into(),
        decided_by: Some("Ada Agent".into()),
    }
}

fn pickings(odoo: &OdooStandIn, order: &str) -> Vec<(String, String, Vec<f64>)> {
    odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["origin"] == order)
            .map(|p| {
                let demand = p["move_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|m| o.get("stock.move", m.as_i64()?))
                    .map(|m| m["product_uom_qty"].as_f64().unwrap())
                    .collect();
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["state"].as_str().unwrap().to_string(),
                    demand,
                )
            })
            .collect()
    })
}

fn notes_with(odoo: &OdooStandIn, text: &str) -> usize {
    odoo.with(|o| {
        o.all("mail.message")
            .iter()
            .filter(|m| m["body"].as_str().is_some_and(|b| b.contains(text)))
            .count()
    })
}

#[tokio::test]
async fn a_note_and_its_activity_are_posted_once_however_often_the_job_runs() {
    let (client, odoo, order) = confirmed_order().await;
    let note = Note {
        order_ref: order.clone(),
        marker: "evt-twice".into(),
        body: "Carrier exception (tracking 1Z): damaged".into(),
        activity_summary: Some("Carrier exception".into()),
    };
    for run in 1..=2 {
        post(&client, &note).await.unwrap();
        assert_eq!(notes_with(&odoo, "Milepost evt-twice"), 1, "run {run}");
        assert_eq!(odoo.with(|o| o.all("mail.activity").len()), 1, "run {run}");
    }
}

#[tokio::test]
async fn resolving_a_case_marks_its_activity_done_once() {
    let (client, odoo, order) = confirmed_order().await;
    // The exception's note and activity, as `odoo.note` posted them for event evt-lost.
    post(
        &client,
        &Note {
            order_ref: order.clone(),
            marker: "evt-lost".into(),
            body: "Carrier exception (tracking 1ZLOST): lost".into(),
            activity_summary: Some("Carrier exception".into()),
        },
    )
    .await
    .unwrap();
    let activities = || odoo.with(|o| o.all("mail.activity").len());
    assert_eq!(activities(), 1);
    for run in 1..=2 {
        close_activity(&client, &decision(&order)).await.unwrap();
        assert_eq!(activities(), 0, "run {run}: done");
        assert_eq!(
            notes_with(
                &odoo,
                "Resolved in Milepost by Ada Agent: the carrier lost it"
            ),
            1,
            "run {run}: the feedback once"
        );
    }
}

#[tokio::test]
async fn a_reship_makes_one_confirmed_replacement_delivery() {
    let (client, odoo, order) = confirmed_order().await;
    ship(&client, &order).await;
    for run in 1..=2 {
        reship(&client, &decision(&order)).await.unwrap();
        let all = pickings(&odoo, &order);
        assert_eq!(
            all.len(),
            2,
            "run {run}: the shipped delivery and one replacement"
        );
        assert_eq!(all[0].1, "done");
        assert_eq!(
            (all[1].1.as_str(), all[1].2.clone()),
            ("assigned", vec![2.0])
        );
        assert_eq!(
            notes_with(&odoo, &format!("replacement delivery {}", all[1].0)),
            1,
            "run {run}: noted once"
        );
    }
}

#[tokio::test]
async fn a_reship_of_an_order_that_never_shipped_is_a_dead_letter() {
    let (client, _odoo, order) = confirmed_order().await;
    let e = reship(&client, &decision(&order)).await.unwrap_err();
    assert_eq!(e.failure, Failure::Fatal);
    assert!(e.message.contains("no done delivery"), "{}", e.message);
}

#[tokio::test]
async fn a_cancellation_cancels_the_open_delivery_once() {
    let (client, odoo, order) = confirmed_order().await;
    for run in 1..=2 {
        cancel_deliveries(&client, &decision(&order)).await.unwrap();
        let states: Vec<String> = pickings(&odoo, &order).into_iter().map(|p| p.1).collect();
        assert_eq!(states, ["cancel"], "run {run}");
        let noted: Vec<Value> = odoo.with(|o| {
            o.all("mail.message")
                .into_iter()
                .filter(|m| m["body"].as_str().is_some_and(|b| b.contains("act-1")))
                .map(|m| m["body"].clone())
                .collect()
        });
        assert_eq!(noted.len(), 1, "run {run}");
        assert!(
            noted[0]
                .as_str()
                .unwrap()
                .contains("Order cancelled in Milepost by Ada Agent: cancelled WH/OUT/"),
            "{}",
            noted[0]
        );
    }
}
