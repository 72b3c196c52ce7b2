//! Published monthly reports: frozen on the first business day of the next month, never
//! rewritten; late data that changes a figure publishes a revision beside it with the difference
//! and the events behind it; both versions readable on `/reports` and the portal; the account's
//! webhook subscribers get `report.published`.

use crate::dashboard_http::{order, setup};
use crate::reports_http::{of_account, report};
use crate::support::{self, TestApp};
use app::domain::Role;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;
use server::sla::publish::{first_business_day, publish_due};
use sqlx::PgPool;

/// The first business day (06:00 UTC) of the month after the one O5 was placed in, and that
/// month as `YYYY-MM`.
async fn after_o5s_month(pool: &PgPool) -> (DateTime<Utc>, String) {
    let placed: DateTime<Utc> =
        sqlx::query_scalar(r#"select ordered_at from "order" where order_ref = 'O5'"#)
            .fetch_one(pool)
            .await
            .unwrap();
    let month = NaiveDate::from_ymd_opt(placed.year(), placed.month(), 1).unwrap();
    let next = month.checked_add_months(chrono::Months::new(1)).unwrap();
    let day = first_business_day(next);
    (
        Utc.from_utc_datetime(&day.and_hms_opt(6, 0, 0).unwrap()),
        month.format("%Y-%m").to_string(),
    )
}

fn figure<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["attainment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_month_is_published_once_and_late_data_publishes_a_revision_beside_it(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let (publish_at, month) = after_o5s_month(&pool).await;
    // A subscriber of ACME that wants reports, and one that wants only shipments.
    let acme: uuid::Uuid = sqlx::query_scalar("select account_id from account where code = 'ACME'")
        .fetch_one(&pool)
        .await
        .unwrap();
    for types in [vec![], vec!["shipment.delivered".to_string()]] {
        sqlx::query(
            "insert into webhook_subscription (account_id, url, secret, event_types) values ($1, 'https://example.com/hook', 'sealed', $2)",
        )
        .bind(acme)
        .bind(&types)
        .execute(&pool)
        .await
        .unwrap();
    }

    // The day before the first business day, O5's month is not published.
    publish_due(&pool, publish_at - Duration::days(1), Duration::zero())
        .await
        .unwrap();
    let month_day = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let early: i64 = sqlx::query_scalar("select count(*) from report_snapshot where month = $1")
        .bind(month_day)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(early, 0, "not before the first business day");
    let first = publish_due(&pool, publish_at, Duration::hours(6))
        .await
        .unwrap();
    assert!(first.first_versions >= 1, "{first:?}");
    // Idempotent: a second run (another worker) publishes nothing more.
    let again = publish_due(&pool, publish_at, Duration::hours(6))
        .await
        .unwrap();
    assert_eq!(again.first_versions, 0);

    let manager = app.signed_in(Role::AccountManager).await; // ACME's
    let (status, v1) = report(
        &app,
        &manager,
        &[("filter[month]", &month), ("filter[version]", "1")],
    )
    .await;
    assert_eq!(status, 200, "{v1}");
    assert_eq!(v1["version"], 1);
    // O5 was released and not shipped: as of the publishing day its ship clock ran past due.
    assert!(v1["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["order_ref"] == "O5" && b["segment"] == "ship"));
    let ship_v1 = figure(&v1, "ship").clone();

    // One delivery of report.published, to the subscriber that wants every type.
    let deliveries: Vec<Value> = sqlx::query_scalar(
        "select payload from job where kind = 'webhook.deliver' and payload ? 'report_snapshot_id'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");

    // Late data: O5 is shipped now. Recorded after the publishing, it changes the ship figures.
    let mut connectors = Vec::new();
    for name in ["erp", "wms", "carrier"] {
        connectors.push(support::existing_connector(&pool, name).await);
    }
    let released = Utc::now() - Duration::hours(7);
    let late: Vec<(usize, Value)> = order(
        "O5",
        "ACME",
        "UPS",
        released - Duration::minutes(30),
        0.5,
        Some(7),
        None,
    )
    .into_iter()
    .filter(|(_, e)| e["type"] == "shipment.dispatched")
    .collect();
    assert_eq!(late.len(), 1);
    support::deliver_each(&pool, &connectors, &late).await;

    // Looked at again only after the gap; then a revision is published beside version 1.
    let too_soon = publish_due(&pool, Utc::now(), Duration::hours(6))
        .await
        .unwrap();
    assert_eq!(
        too_soon.revisions, 0,
        "a published month is looked at again at most every gap"
    );
    let revised = publish_due(&pool, publish_at, Duration::zero())
        .await
        .unwrap();
    assert_eq!(revised.revisions, 1, "{revised:?}");
    let (_, live) = report(&app, &manager, &[("filter[month]", &month)]).await;
    let versions = live["published"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{live}");
    let v2 = &versions[1];
    assert_eq!(v2["version"], 2);
    let changed: Vec<&str> = v2["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"ship"), "{changed:?}");
    // The dashboard's on-time ship moves with it (one computation). The breach count stays:
    // O5's ship breach went, and its delivery, dispatched but not delivered by the publishing
    // day, now runs past due.
    assert!(changed.contains(&"ship_on_time"), "{changed:?}");
    let ship_change = v2["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "ship")
        .unwrap();
    assert_eq!(ship_change["before"][0], ship_v1["met"]);
    assert_eq!(
        ship_change["after"][0].as_i64(),
        ship_v1["met"].as_i64().map(|m| m + 1),
        "O5 shipped 7 h after release against 8 h: one more kept"
    );
    let why: Vec<(&str, &str)> = v2["late_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["order_ref"].as_str().unwrap(),
                e["event_type"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(why.contains(&("O5", "shipment.dispatched")), "{why:?}");

    // Version 1 is still readable as it was published, and the database refuses to rewrite it.
    let (_, v1_again) = report(
        &app,
        &manager,
        &[("filter[month]", &month), ("filter[version]", "1")],
    )
    .await;
    assert_eq!(figure(&v1_again, "ship"), &ship_v1);
    let rewrite = sqlx::query("update report_snapshot set report = '{}' where version = 1")
        .execute(&pool)
        .await;
    assert!(rewrite.is_err(), "a published version is frozen");
    let (status, _) = report(
        &app,
        &manager,
        &[("filter[month]", &month), ("filter[version]", "9")],
    )
    .await;
    assert_eq!(status, 404, "no such version");
    let (status, body) = report(
        &app,
        &manager,
        &[("filter[month]", &month), ("filter[version]", "one")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("version"), "{body}");

    // Each version went to the subscriber.
    let deliveries: i64 = sqlx::query_scalar(
        "select count(*) from job where kind = 'webhook.deliver' and payload ? 'report_snapshot_id'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(deliveries, 2);

    // The customer's portal lists the month and opens it, printable, with its CSV.
    let customer = app.signed_in(Role::Customer).await; // ACME's
    let portal: Value = app
        .call(&customer, "portal/summary", &[])
        .await
        .json()
        .await
        .unwrap();
    let listed = portal["reports"].as_array().unwrap();
    assert!(
        listed.iter().any(|r| r[0] == month.as_str() && r[1] == 2),
        "{portal}"
    );
    let res = app
        .call(&customer, "portal/report", &[("month", &month)])
        .await;
    assert_eq!(res.status(), 200);
    let latest: Value = res.json().await.unwrap();
    assert_eq!(latest["version"], 2, "the latest version by default");
    let page = app
        .page(&customer, &format!("/portal/reports/{month}"))
        .await;
    assert!(page.contains("id=\"report-title\""), "the report page");
    assert!(page.contains("id=\"breaches-csv\""), "its CSV");
    // Another account's customer finds no such report of theirs, and never ACME's.
    let beta = of_account(&app, Role::Customer, "BETA").await;
    let res = app
        .call(
            &beta,
            "portal/report",
            &[("month", &month), ("version", "2")],
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[test]
fn the_body_of_report_published_names_the_month_version_and_figures() {
    let report = serde_json::json!({
        "orders": 3, "more_breaches": 0,
        "breaches": [{"order_ref": "O2"}],
        "attainment": [{"key": "ship", "label": "Ship", "met": 1, "of": 2, "percent": 50.0, "percent_after": 50.0}],
        "kpis": []
    });
    let published = server::store::sla::snapshots::Published {
        account_id: uuid::Uuid::nil(),
        code: "ACME".into(),
        month: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        version: 2,
        published_at: Utc.with_ymd_and_hms(2026, 12, 1, 6, 0, 0).unwrap(),
        report,
        changes: serde_json::json!([{"key": "ship"}]),
    };
    let body = server::connectors::webhooks::deliver::report_body(7, &published);
    assert_eq!(body["type"], "report.published");
    assert_eq!(body["data"]["month"], "2026-11");
    assert_eq!(body["data"]["revised"], true);
    assert_eq!(body["data"]["breaches"], 1);
    assert_eq!(body["data"]["figures"][0]["percent"], 50.0);
    assert_eq!(body["data"]["changes"][0]["key"], "ship");
}
