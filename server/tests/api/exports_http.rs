//! CSV downloads over HTTP: every table a page shows, with the page's filters, streamed,
//! formula-like cells neutralised, parsed back here and compared with what the pages say; by
//! the page's roles; another account's data is not found.

use crate::dashboard_http::setup;
use crate::reports_http::{of_account, report};
use crate::support::{self, TestApp};
use app::domain::Role;
use reqwest::Client;
use sqlx::PgPool;

/// The download's status, headers and rows (header row first).
async fn csv(app: &TestApp, client: &Client, path: &str) -> (u16, String, Vec<Vec<String>>) {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    let disposition = res
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = res.bytes().await.unwrap();
    let rows = if status == 200 {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(body.as_ref())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    } else {
        Vec::new()
    };
    (status, disposition, rows)
}

fn column(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_order_list_downloads_with_its_filters_and_only_the_callers_orders(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    // A customer PO a spreadsheet would run as a formula.
    let erp = support::existing_connector(&pool, "erp").await;
    let po = serde_json::json!({"specversion": "1.0", "id": "O1-po", "source": "t",
        "type": "order.updated", "subject": "order/O1", "time": chrono::Utc::now().to_rfc3339(),
        "data": {"order": {"erp_order_id": "O1", "customer_po": "=HYPERLINK(\"http://x\")"}}});
    support::deliver_each(&pool, std::slice::from_ref(&erp), &[(0, po)]).await;

    let agent = app.signed_in(Role::Agent).await;
    let (status, disposition, rows) = csv(&app, &agent, "/export/orders.csv?carrier=UPS").await;
    assert_eq!(status, 200);
    assert!(
        disposition.starts_with("attachment; filename=\"orders-"),
        "{disposition}"
    );
    // Every UPS order (ACME's four; BETA's O3 goes by FedEx), newest first as the list shows.
    let orders = column(&rows, "order");
    let mut sorted = orders.clone();
    sorted.sort();
    assert_eq!(sorted, ["O1", "O2", "O4", "O5"]);
    assert_eq!(
        orders.last().map(String::as_str),
        Some("O4"),
        "the oldest last"
    );
    let o1 = rows.iter().find(|r| r[0] == "O1").unwrap();
    assert_eq!(o1[3], "'=HYPERLINK(\"http://x\")", "opens as text");
    assert_eq!(o1[7], "UPS");
    // The same as the page's list with the same filter.
    let listed: serde_json::Value = app
        .call(&agent, "orders/list", &[("filter[carrier]", "UPS")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"].as_i64(), Some(orders.len() as i64));

    // A customer downloads their own orders only.
    let beta = of_account(&app, Role::Customer, "BETA").await;
    let (status, _, rows) = csv(&app, &beta, "/export/orders.csv").await;
    assert_eq!(status, 200);
    assert_eq!(column(&rows, "order"), ["O3"]);
    // Nobody signed in: refused; an unknown table: not found.
    assert_eq!(csv(&app, &app.browser(), "/export/orders.csv").await.0, 401);
    assert_eq!(csv(&app, &agent, "/export/secrets.csv").await.0, 404);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_reports_tables_download_as_the_report_shows_them(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let manager = app.signed_in(Role::AccountManager).await; // ACME's
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Duration::days(6)).to_string();
    let to = today.to_string();
    let query = format!("from={from}&to={to}");
    let (_, r) = report(
        &app,
        &manager,
        &[("filter[from]", &from), ("filter[to]", &to)],
    )
    .await;

    let (status, disposition, rows) =
        csv(&app, &manager, &format!("/export/breaches.csv?{query}")).await;
    assert_eq!(status, 200);
    assert!(disposition.contains("breaches-ACME-"), "{disposition}");
    let listed: Vec<(String, String)> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["order_ref"].as_str().unwrap().to_string(),
                b["segment"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let exported: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    assert_eq!(exported, listed);
    assert_eq!(column(&rows, "blamed"), ["erp", "warehouse", "carrier"]);

    let (status, _, rows) = csv(&app, &manager, &format!("/export/report.csv?{query}")).await;
    assert_eq!(status, 200);
    let deliver = rows
        .iter()
        .find(|r| r[0] == "attainment" && r[1] == "deliver")
        .unwrap();
    assert_eq!(
        (
            deliver[3].as_str(),
            deliver[4].as_str(),
            deliver[5].as_str()
        ),
        ("1", "2", "50.0")
    );
    assert!(
        rows.iter().any(|r| r[0].starts_with("cycle")),
        "the cycle split"
    );

    let (status, _, rows) = csv(&app, &manager, &format!("/export/scorecards.csv?{query}")).await;
    assert_eq!(status, 200);
    let ups = rows.iter().find(|r| r[0] == "service").unwrap();
    assert_eq!((ups[1].as_str(), ups[2].as_str()), ("UPS · ground", "2"));

    // Scope and roles as the report page's: another account is not found, other roles refused,
    // a bad filter named.
    let (status, _, _) = csv(&app, &manager, "/export/breaches.csv?account=BETA").await;
    assert_eq!(status, 404);
    let customer = app.signed_in(Role::Customer).await;
    assert_eq!(csv(&app, &customer, "/export/breaches.csv").await.0, 403);
    let res = manager
        .get(app.url("/export/report.csv?month=March"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("correct"));
    // The report page links the downloads with its filters.
    let page = app.page(&manager, &format!("/reports?{query}")).await;
    assert!(
        page.contains("/export/breaches.csv?account=ACME&amp;from="),
        "the link keeps the filters"
    );
}
