//! A release that cannot go is kept, shown and sent once its cause is fixed (issue 14): never
//! skipped silently, whether the customer is mapped to no account or no WMS serves the
//! warehouse.

use crate::support;

use serde_json::{json, Value};
use server::ingest::connector::Connector;
use sqlx::PgPool;

/// Connectors `[erp, wms, carrier]`, and the WMS one released to for warehouse `W`.
async fn setup(pool: &PgPool) -> Vec<Connector> {
    let connectors = support::canonical_connectors(pool).await;
    sqlx::query("update connector set warehouse_code = 'W' where name = 'wms'")
        .execute(pool)
        .await
        .unwrap();
    let secrets = server::secrets::keyring().seal_values(&json!({"wms_token": "t"}));
    server::store::connectors::set_outbound(
        pool,
        "wms",
        Some(&json!({"system": "wms", "url": "https://wms.example.com/in"})),
        &secrets,
    )
    .await
    .unwrap();
    connectors
}

fn release(order: &str, customer: Value, warehouse: &str) -> Vec<(usize, Value)> {
    let data = json!({"order": {"erp_order_id": order}, "customer": customer, "warehouse": {"code": warehouse},
                      "lines": [{"line_ref": "L1", "sku": "MUG", "qty_ordered": 1}]});
    let e = |id: &str, kind: &str, time: &str| {
        json!({"specversion": "1.0", "id": format!("{order}-{id}"), "source": "t", "type": kind,
               "subject": format!("order/{order}"), "time": time, "data": data})
    };
    vec![
        (0, e("created", "order.created", "2026-03-02T09:00:00Z")),
        (
            0,
            e("release", "order.release_requested", "2026-03-02T10:00:00Z"),
        ),
    ]
}

async fn release_jobs(pool: &PgPool, order: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from job where kind = 'wms.instruction' and payload->>'order_ref' = $1",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn open_exception(pool: &PgPool, order: &str) -> Option<String> {
    sqlx::query_scalar(
        r#"select x.summary from order_exception x join "order" o using (order_id)
           where o.order_ref = $1 and x.kind = 'release_held' and x.closed_by_event is null"#,
    )
    .bind(order)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_order_of_an_unmapped_customer_is_held_shown_and_sent_once_it_is_mapped(pool: PgPool) {
    let c = setup(&pool).await;
    support::deliver_each(
        &pool,
        &c,
        &release(
            "S1",
            json!({"system": "odoo", "external_id": "47", "name": "Azure"}),
            "W",
        ),
    )
    .await;
    assert_eq!(
        release_jobs(&pool, "S1").await,
        0,
        "not sent to the warehouse"
    );
    let reason: String = sqlx::query_scalar(
        "select reason from held_release where order_ref = 'S1' and released_at is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(reason, "customer_not_mapped");
    let summary = open_exception(&pool, "S1")
        .await
        .expect("the order says so");
    assert!(summary.contains("Azure (odoo customer 47)"), "{summary}");

    // Nothing changes until the cause is fixed.
    let retried = server::projector::held::retry(&pool).await.unwrap();
    assert!(retried.sent.is_empty());
    assert_eq!(
        retried.still_held,
        vec![("S1".to_string(), "customer_not_mapped".to_string())]
    );

    let account = app::store::accounts::insert(&pool, "AZURE", "Azure")
        .await
        .unwrap();
    app::store::accounts::map_external_ref(&pool, "odoo", "47", account)
        .await
        .unwrap();
    let retried = server::projector::held::retry(&pool).await.unwrap();
    assert_eq!(retried.sent, vec!["S1".to_string()]);
    assert_eq!(release_jobs(&pool, "S1").await, 1);
    server::projector::drain(&pool).await.unwrap();
    assert_eq!(
        open_exception(&pool, "S1").await,
        None,
        "the exception closes"
    );
    let owner: Option<uuid::Uuid> =
        sqlx::query_scalar(r#"select account_id from "order" where order_ref = 'S1'"#)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(owner, Some(account));

    // Once: a second retry and a refold send nothing more.
    assert!(server::projector::held::retry(&pool)
        .await
        .unwrap()
        .sent
        .is_empty());
    assert_eq!(release_jobs(&pool, "S1").await, 1);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_order_for_a_warehouse_no_wms_serves_is_held_not_skipped(pool: PgPool) {
    let c = setup(&pool).await;
    app::store::accounts::insert(&pool, "ACME", "Acme")
        .await
        .unwrap();
    support::deliver_each(
        &pool,
        &c,
        &release("S2", json!({"account_code": "ACME"}), "NJ"),
    )
    .await;
    support::deliver_each(
        &pool,
        &c,
        &release("S3", json!({"account_code": "ACME"}), "W"),
    )
    .await;
    assert_eq!(
        release_jobs(&pool, "S3").await,
        1,
        "a served warehouse is released at once"
    );
    assert_eq!(release_jobs(&pool, "S2").await, 0);
    let summary = open_exception(&pool, "S2").await.unwrap();
    assert!(summary.contains("no WMS serves warehouse NJ"), "{summary}");
    let listed = server::store::held_releases::open(&pool, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].reason, "no_wms_for_warehouse");
    assert_eq!(
        listed[0].instruction["instruction_id"],
        format!("rel-{}", listed[0].event_id)
    );
    // /integrations lists it with what to do.
    let page = app::services::integrations::overview(&pool).await.unwrap();
    assert_eq!(page.held_releases.len(), 1);
    assert_eq!(page.held_releases[0].order_ref, "S2");
    assert!(
        page.held_releases[0]
            .why
            .contains("No WMS serves warehouse NJ: milepost connector outbound"),
        "{:?}",
        page.held_releases[0]
    );
}
