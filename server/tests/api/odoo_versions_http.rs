//! Odoo 17 and 18, called over JSON-RPC (they have no JSON-2), against the stand-in set to each
//! version's documented differences: JSON-RPC errors with code 200, a required
//! `stock.move.name`, Odoo 17's locked confirmed orders (`done`) and its `copy` answering a bare
//! id. The whole workflow, each write-back run twice: the read releases the ready delivery, the
//! dispatch validates it, a substitution adds its move, the return is validated, the proof of
//! delivery attached, a reship made.

use axum::http::header;
use axum::routing::get;
use axum::Router;
use server::attempt::Failure;
use server::connectors::odoo::calls::Exchanges;
use server::connectors::odoo::decisions::{reship, CaseDecision};
use server::connectors::odoo::pod::{attach, ProofOfDelivery};
use server::connectors::odoo::read::read_order;
use server::connectors::odoo::returns::{receive_return, ReturnReceipt};
use server::connectors::odoo::substitutions::{substitute, Substitute, Substitution};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::connectors::odoo::RecordRef;
use server::ingest::adapters::{parse, Format, Origin};
use server::simulators::odoo::OdooStandIn;

fn line(sku: &str, qty: f64) -> ShippedLine {
    ShippedLine {
        sku: sku.into(),
        qty_shipped: qty,
    }
}

async fn signature_server() -> String {
    let app = Router::new().route(
        "/sig.png",
        get(|| async {
            (
                [(header::CONTENT_TYPE, "image/png")],
                b"\x89PNGsig".to_vec(),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sig.png", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

async fn the_whole_workflow_on(version: u8) {
    let odoo = OdooStandIn::start_version("key", version).await.unwrap();
    odoo.with(|o| o.lock_confirmed = true);

    // JSON-2 is refused with a message that says what to change.
    let wrong = read_order(
        &odoo.json2_client().unwrap(),
        &mut Exchanges::default(),
        &RecordRef {
            model: "sale.order".into(),
            id: 1,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.failure, Failure::Fatal, "{version}");
    assert!(
        wrong.message.contains("\"protocol\": \"jsonrpc\""),
        "{}",
        wrong.message
    );

    let client = odoo.jsonrpc_client().unwrap();
    let (id, order) = odoo
        .create_order(45, &[(21, 2.0), (26, 3.0)], "PO-OLD")
        .await;
    odoo.confirm(id).await;
    let state = odoo.with(|o| o.get("sale.order", id).unwrap()["state"].clone());
    assert_eq!(
        state,
        if version == 17 { "done" } else { "sale" },
        "{version}"
    );

    // The read releases the ready delivery, locked or not.
    let record = read_order(
        &client,
        &mut Exchanges::default(),
        &RecordRef {
            model: "sale.order".into(),
            id,
        },
    )
    .await
    .unwrap()
    .unwrap();
    let origin = Origin {
        connector: "odoo".into(),
        time_zone: None,
        warehouse_code: None,
    };
    let parsed = parse(Format::Odoo, &origin, record.to_string().as_bytes()).unwrap();
    assert!(
        parsed
            .events
            .iter()
            .any(|e| e.event_type.as_str() == "order.release_requested"),
        "{version}: released"
    );

    let s = Substitution {
        order_ref: order.clone(),
        marker: "sub-1".into(),
        lines: vec![Substitute {
            original_sku: Some("E-COM11".into()),
            sku: "E-COM12".into(),
            qty: 3.0,
        }],
    };
    let d = Dispatch {
        order_ref: order.clone(),
        tracking_number: "1ZOLD".into(),
        lines: vec![
            line("E-COM08", 2.0),
            line("E-COM11", 0.0),
            line("E-COM12", 3.0),
        ],
        backorder: false,
    };
    let r = ReturnReceipt {
        order_ref: order.clone(),
        marker: "ret-1".into(),
        rma: None,
        lines: vec![line("E-COM12", 1.0)],
        condition: Some("good".into()),
        line_conditions: vec![],
    };
    let p = ProofOfDelivery {
        order_ref: order.clone(),
        marker: "pod-1".into(),
        tracking_number: "1ZOLD".into(),
        signed_by: Some("J. DOE".into()),
        delivered_at: None,
        files: vec![signature_server().await],
    };
    let again = CaseDecision {
        order_ref: order.clone(),
        marker: "act-1".into(),
        opened_by: None,
        reason: "lost".into(),
        decided_by: None,
    };
    for run in 1..=2 {
        substitute(&client, &s).await.unwrap();
        dispatch(&client, &d).await.unwrap();
        receive_return(&client, &r).await.unwrap();
        attach(&client, &p).await.unwrap();
        reship(&client, &again).await.unwrap();
        odoo.with(|o| {
            let pickings: Vec<(String, String)> = o
                .all("stock.picking")
                .into_iter()
                .map(|p| {
                    (
                        p["picking_type_code"].as_str().unwrap().to_string(),
                        p["state"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            assert_eq!(
                pickings,
                [
                    ("outgoing".to_string(), "done".to_string()),
                    ("incoming".to_string(), "done".to_string()),
                    ("outgoing".to_string(), "assigned".to_string()),
                ],
                "{version} run {run}: the delivery, its return, one replacement"
            );
            assert_eq!(o.all("ir.attachment").len(), 1, "{version} run {run}");
            let substitute_moves = o
                .all("stock.move")
                .into_iter()
                .filter(|m| {
                    m["product_id"][0] == 29 && m.get("name").is_some_and(|n| n.is_string())
                })
                .count();
            assert!(
                substitute_moves >= 1,
                "{version}: the substitute's move has its name"
            );
        });
    }
}

#[tokio::test]
async fn odoo_18_over_json_rpc_takes_the_whole_workflow_once() {
    the_whole_workflow_on(18).await;
}

#[tokio::test]
async fn odoo_17_over_json_rpc_takes_the_whole_workflow_once() {
    the_whole_workflow_on(17).await;
}
