//! Proof of delivery into Odoo (the 19 stand-in): the carrier's signature and photo fetched
//! (an image or a PDF, at most 5 MiB) and attached to the delivery picking, the sale order told
//! who signed and when with a link to each file, and what could not be attached and why; run
//! twice, nothing fetched or attached again.

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use base64::Engine;
use server::attempt::Failure;
use server::connectors::odoo::pod::{attach, ProofOfDelivery, MAX_POD_BYTES};
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::OdooStandIn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\nsignature";
const PHOTO: &[u8] = b"\xff\xd8\xffphoto at the door";

/// A carrier's file server; counts how often the signature is fetched.
async fn carrier_files() -> (String, Arc<AtomicUsize>) {
    let fetched = Arc::new(AtomicUsize::new(0));
    let count = fetched.clone();
    let app = Router::new()
        .route(
            "/signature.png",
            get(move || {
                count.fetch_add(1, Ordering::SeqCst);
                async { ([(header::CONTENT_TYPE, "image/png")], SIGNATURE) }
            }),
        )
        .route(
            "/door.jpg",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "image/jpeg; charset=binary")],
                    PHOTO,
                )
            }),
        )
        .route(
            "/huge.png",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "image/png")],
                    vec![0u8; MAX_POD_BYTES + 1],
                )
            }),
        )
        .route(
            "/gone.png",
            get(|| async { StatusCode::NOT_FOUND.into_response() }),
        )
        .route(
            "/page",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], "<html></html>") }),
        )
        .route(
            "/busy.png",
            get(|| async { StatusCode::SERVICE_UNAVAILABLE.into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, fetched)
}

/// An order shipped in full with tracking 1ZPOD.
async fn delivered_order() -> (OdooStandIn, String) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let (id, order) = odoo.create_order(45, &[(21, 1.0)], "PO-POD").await;
    odoo.confirm(id).await;
    dispatch(
        &odoo.json2_client().unwrap(),
        &Dispatch {
            order_ref: order.clone(),
            tracking_number: "1ZPOD".into(),
            lines: vec![ShippedLine {
                sku: "E-COM08".into(),
                qty_shipped: 1.0,
            }],
            backorder: false,
        },
    )
    .await
    .unwrap();
    (odoo, order)
}

fn pod(order: &str, files: Vec<String>) -> ProofOfDelivery {
    ProofOfDelivery {
        order_ref: order.into(),
        marker: "evt-pod-1".into(),
        tracking_number: "1ZPOD".into(),
        signed_by: Some("J. DOE".into()),
        delivered_at: Some("2026-03-05T14:02:00-08:00".into()),
        files,
    }
}

#[tokio::test]
async fn signature_and_photo_are_attached_once_and_linked_in_a_note_with_what_was_not() {
    let (odoo, order) = delivered_order().await;
    let (files, signature_fetches) = carrier_files().await;
    let p = pod(
        &order,
        ["signature.png", "door.jpg", "huge.png", "gone.png", "page"]
            .iter()
            .map(|f| format!("{files}/{f}"))
            .collect(),
    );
    let client = odoo.json2_client().unwrap();
    for run in 1..=2 {
        attach(&client, &p).await.unwrap();
        let attachments = odoo.with(|o| {
            o.all("ir.attachment")
                .into_iter()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap().to_string(),
                        a["res_model"].as_str().unwrap().to_string(),
                        base64::engine::general_purpose::STANDARD
                            .decode(a["datas"].as_str().unwrap())
                            .unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(
            attachments,
            vec![
                (
                    "Proof of delivery 1ZPOD 1.png".to_string(),
                    "stock.picking".to_string(),
                    SIGNATURE.to_vec()
                ),
                (
                    "Proof of delivery 1ZPOD 2.jpg".to_string(),
                    "stock.picking".to_string(),
                    PHOTO.to_vec()
                ),
            ],
            "run {run}"
        );
        assert_eq!(
            signature_fetches.load(Ordering::SeqCst),
            1,
            "run {run}: fetched once"
        );
        let notes: Vec<String> = odoo.with(|o| {
            o.all("mail.message")
                .into_iter()
                .filter_map(|m| m["body"].as_str().map(str::to_string))
                .filter(|b| b.contains("evt-pod-1"))
                .collect()
        });
        assert_eq!(notes.len(), 1, "run {run}: one note");
        let note = &notes[0];
        for said in [
            "signed by J. DOE at 2026-03-05T14:02:00-08:00",
            "Proof of delivery 1ZPOD 2.jpg (http://127.0.0.1:",
            "/web/content/",
            "huge.png (larger than 5 MiB)",
            "gone.png (HTTP 404 Not Found)",
            "page (not an image or a PDF (text/html))",
        ] {
            assert!(note.contains(said), "{said:?} in {note}");
        }
    }
}

#[tokio::test]
async fn a_carrier_that_does_not_answer_is_retried_saying_what_is_attached() {
    let (odoo, order) = delivered_order().await;
    let (files, _) = carrier_files().await;
    let p = pod(
        &order,
        vec![
            format!("{files}/signature.png"),
            format!("{files}/busy.png"),
        ],
    );
    let e = attach(&odoo.json2_client().unwrap(), &p).await.unwrap_err();
    assert_eq!(e.failure, Failure::Transient);
    assert!(e.message.contains("HTTP 503"), "{}", e.message);
    assert!(
        e.message.contains("done in Odoo: 1 of 2 files attached"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn no_delivery_to_attach_to_is_a_dead_letter() {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let e = attach(&odoo.json2_client().unwrap(), &pod("S09999", vec![]))
        .await
        .unwrap_err();
    assert_eq!(e.failure, Failure::Fatal);
    assert!(
        e.message.contains("no done delivery of S09999"),
        "{}",
        e.message
    );
}
