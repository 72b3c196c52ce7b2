//! The order list and order page over HTTP: search, filters, pages, and scoping by role enforced
//! on the server (a customer or account manager never sees another account's order or a raw
//! message).

use crate::support;

use app::domain::Role;
use reqwest::Client;
use serde_json::{json, Value};
use server::ingest::setup::create_key;
use support::TestApp;

/// ACME's S1 and S2 (S2 shipped and delivered), and OTHER's S3.
pub(crate) async fn orders(app: &TestApp) {
    app.account("ACME").await;
    app.account("OTHER").await;
    for kind in ["erp", "wms", "carrier"] {
        support::canonical_connector(&app.pool, kind, kind).await;
    }
    let client = Client::new();
    let send = |connector: &'static str, event: Value| {
        let client = client.clone();
        let pool = app.pool.clone();
        let url = app.url("/api/v1/events");
        async move {
            let key = create_key(&pool, connector, "t").await.unwrap().key;
            let res = client
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/cloudevents+json")
                .body(event.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        }
    };
    for (n, account, po, day) in [
        (1, "ACME", "PO-A1", "2026-03-01"),
        (2, "ACME", "PO-A2", "2026-03-05"),
        (3, "OTHER", "PO-O3", "2026-03-09"),
    ] {
        send("erp", json!({"specversion": "1.0", "id": format!("c{n}"), "source": "t", "type": "order.created", "subject": format!("order/S{n}"),
            "time": format!("{day}T10:00:00Z"),
            "data": {"order": {"erp_order_id": format!("S{n}"), "customer_po": po}, "customer": {"account_code": account, "name": format!("{account} buyer")},
                     "warehouse": {"code": if n == 3 { "NJ" } else { "RNO" }}, "service": {"carrier": "UPS"},
                     "lines": [{"line_ref": format!("S{n}-1"), "sku": "MUG", "qty_ordered": 2}]}}))
        .await;
    }
    send("wms", json!({"specversion": "1.0", "id": "d2", "source": "t", "type": "shipment.dispatched", "subject": "order/S2",
        "time": "2026-03-06T10:00:00Z", "data": {"order": {"erp_order_id": "S2"}, "shipment": {"tracking_numbers": ["1ZTRACK2"]},
        "lines": [{"line_ref": "S2-1", "qty_shipped": 2, "line_status": "complete"}]}}))
    .await;
    send("carrier", json!({"specversion": "1.0", "id": "v2", "source": "t", "type": "shipment.delivered", "subject": "shipment/1ZTRACK2",
        "time": "2026-03-07T10:00:00Z", "data": {"tracking_number": "1ZTRACK2", "pod": {"signed_by": "ANA"}}}))
    .await;
    // Fold what was stored, as the server's workers do right after each commit.
    server::projector::drain(&app.pool).await.unwrap();
}

async fn list(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> (u16, Value) {
    let mut form = form.to_vec();
    form.push(("filter[page]", "1"));
    let res = app.call(client, "orders/list", &form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn refs(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["order_ref"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test(migrations = false)]
async fn an_agent_sees_every_order_newest_first_and_can_search_and_filter(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    let agent = app.signed_in(Role::Agent).await;
    let (status, page) = list(&app, &agent, &[]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(refs(&page), vec!["S3", "S2", "S1"]);
    assert_eq!(page["total"], 3);
    assert_eq!(page["warehouses"], json!(["NJ", "RNO"]));
    for (q, expected) in [
        ("po-a2", "S2"),
        ("1ZTRACK2", "S2"),
        ("s3", "S3"),
        ("OTHER buy", "S3"),
    ] {
        let (_, page) = list(&app, &agent, &[("filter[q]", q)]).await;
        assert_eq!(refs(&page), vec![expected], "search {q}");
    }
    let (_, delivered) = list(&app, &agent, &[("filter[status]", "delivered")]).await;
    assert_eq!(refs(&delivered), vec!["S2"]);
    let (_, period) = list(
        &app,
        &agent,
        &[("filter[from]", "2026-03-02"), ("filter[to]", "2026-03-05")],
    )
    .await;
    assert_eq!(refs(&period), vec!["S2"]);
    let (_, nj) = list(&app, &agent, &[("filter[warehouse]", "NJ")]).await;
    assert_eq!(refs(&nj), vec!["S3"]);
}

#[sqlx::test(migrations = false)]
async fn a_customer_sees_only_their_account_and_never_a_raw_message(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    let customer = app.signed_in(Role::Customer).await;
    let (_, page) = list(&app, &customer, &[]).await;
    assert_eq!(refs(&page), vec!["S2", "S1"], "ACME's orders only");
    let (_, searched) = list(&app, &customer, &[("filter[q]", "PO-O3")]).await;
    assert_eq!(page["total"], 2);
    assert!(
        refs(&searched).is_empty(),
        "another account's PO finds nothing"
    );
    let other = app
        .call(&customer, "orders/detail", &[("order_ref", "S3")])
        .await;
    assert_eq!(
        other.status(),
        404,
        "another account's order does not exist for them"
    );
    let own = app
        .call(&customer, "orders/detail", &[("order_ref", "S2")])
        .await;
    assert_eq!(own.status(), 200);
    let own: Value = own.json().await.unwrap();
    assert_eq!(own["raw_allowed"], false);
    assert!(own["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["inbox_message_id"].is_null() && e["source_status"].is_null()));
    assert!(
        own["timeline"][0]["source"].as_str().unwrap() == "Order system",
        "plain words, no connector names"
    );
    let raw = app
        .call(&customer, "orders/raw", &[("inbox_message_id", "1")])
        .await;
    assert_eq!(raw.status(), 403);
}

#[sqlx::test(migrations = false)]
async fn an_account_manager_sees_only_assigned_accounts(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    let manager = app.signed_in(Role::AccountManager).await;
    let (_, page) = list(&app, &manager, &[]).await;
    assert_eq!(refs(&page), vec!["S2", "S1"]);
    assert_eq!(
        app.call(&manager, "orders/detail", &[("order_ref", "S3")])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(&manager, "orders/raw", &[("inbox_message_id", "1")])
            .await
            .status(),
        403
    );
}

#[sqlx::test(migrations = false)]
async fn staff_see_the_timeline_with_dispositions_and_the_raw_message(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    let integrator = app.signed_in(Role::Integrator).await;
    let detail: Value = app
        .call(&integrator, "orders/detail", &[("order_ref", "S2")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["header"]["status"], "delivered");
    assert_eq!(detail["shipments"][0]["signed_by"], "ANA");
    let timeline = detail["timeline"].as_array().unwrap();
    let types: Vec<&str> = timeline
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec!["order.created", "shipment.dispatched", "shipment.delivered"]
    );
    assert_eq!(timeline[2]["source"], "Carrier · carrier");
    assert_eq!(timeline[2]["occurred_at"], "2026-03-07 10:00 +00:00");
    assert!(timeline.iter().all(|e| e["disposition"] == "applied"));
    let id = timeline[2]["inbox_message_id"]
        .as_i64()
        .unwrap()
        .to_string();
    let raw: Value = app
        .call(&integrator, "orders/raw", &[("inbox_message_id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert!(raw["body"].as_str().unwrap().contains("1ZTRACK2"));
    assert_eq!(raw["connector"], "carrier");
}

#[sqlx::test(migrations = false)]
async fn the_pages_render_on_the_server_for_each_role(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    let agent = app.signed_in(Role::Agent).await;
    let html = agent
        .get(app.url("/orders?q=S2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"data-order="S2""#),
        "the list renders rows on the server"
    );
    assert!(!html.contains(r#"data-order="S1""#));
    let detail = agent.get(app.url("/orders/S2")).send().await.unwrap();
    assert_eq!(detail.status(), 200);
    let html = detail.text().await.unwrap();
    assert!(html.contains(r#"data-event="shipment.delivered""#));
    assert!(html.contains("1ZTRACK2"));

    let customer = app.signed_in(Role::Customer).await;
    let html = customer
        .get(app.url("/portal"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"data-order="S1""#) && !html.contains(r#"data-order="S3""#));
    let missing = customer
        .get(app.url("/portal/orders/S3"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        customer
            .get(app.url("/orders"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "the staff list is not theirs"
    );
}

#[sqlx::test(migrations = false)]
async fn a_parcel_number_reused_by_another_account_never_shows_its_events(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    orders(&app).await;
    // OTHER's warehouse dispatches S3 under a number ACME's S2 already claimed (numbers are
    // reused across carriers and years).
    let key = create_key(&app.pool, "wms", "t2").await.unwrap().key;
    let res = Client::new()
        .post(app.url("/api/v1/events"))
        .bearer_auth(key)
        .header("content-type", "application/cloudevents+json")
        .body(json!({"specversion": "1.0", "id": "d3", "source": "t", "type": "shipment.dispatched", "subject": "order/S3",
            "time": "2026-03-10T10:00:00Z", "data": {"order": {"erp_order_id": "S3"}, "shipment": {"tracking_numbers": ["1ZTRACK2"]},
            "lines": [{"line_ref": "S3-1", "qty_shipped": 2, "line_status": "complete"}]}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    server::projector::drain(&app.pool).await.unwrap();
    let agent = app.signed_in(Role::Agent).await;
    let detail: Value = app
        .call(&agent, "orders/detail", &[("order_ref", "S3")])
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap_or_default())
        .collect();
    assert!(
        !types.contains(&"shipment.delivered"),
        "ACME's delivery of its own parcel is not on OTHER's order: {types:?}"
    );
}
