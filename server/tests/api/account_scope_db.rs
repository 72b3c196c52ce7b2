//! Accounts never bleed into each other (issue 13, item 8): a connector scoped to some accounts
//! cannot change another account's order, a parcel is claimed once and by its carrier, and a
//! second order naming a claimed number shows a conflict instead of taking the parcel's events.

use crate::support;

use serde_json::{json, Value};
use server::ingest::connector::Connector;
use sqlx::PgPool;

fn event(id: &str, kind: &str, subject: &str, time: &str, data: Value) -> Value {
    json!({"specversion": "1.0", "id": id, "source": "t", "type": kind, "subject": subject, "time": time, "data": data})
}

fn created(order: &str, account: &str) -> Value {
    event(
        &format!("c-{order}"),
        "order.created",
        &format!("order/{order}"),
        "2026-03-01T08:00:00Z",
        json!({"order": {"erp_order_id": order}, "customer": {"account_code": account},
               "lines": [{"line_ref": "L1", "sku": "MUG", "qty_ordered": 2}]}),
    )
}

fn dispatched(id: &str, order: &str, tn: &str, carrier: &str) -> Value {
    event(
        id,
        "shipment.dispatched",
        &format!("order/{order}"),
        "2026-03-02T10:00:00Z",
        json!({"order": {"erp_order_id": order}, "shipment": {"carrier": carrier, "tracking_numbers": [tn]},
               "lines": [{"line_ref": "L1", "qty_shipped": 2, "line_status": "complete"}]}),
    )
}

fn delivered(id: &str, tn: &str, carrier: &str) -> Value {
    event(
        id,
        "shipment.delivered",
        &format!("shipment/{tn}"),
        "2026-03-03T12:00:00Z",
        json!({"tracking_number": tn, "carrier": carrier, "pod": {"signed_by": "ANA"}}),
    )
}

/// ACME and OTHER, and connectors `[erp, wms, carrier]` serving every account.
async fn setup(pool: &PgPool) -> Vec<Connector> {
    for code in ["ACME", "OTHER"] {
        app::store::accounts::insert(pool, code, code)
            .await
            .unwrap();
    }
    support::canonical_connectors(pool).await
}

async fn verdict(pool: &PgPool, external_id: &str) -> (String, Option<String>) {
    sqlx::query_as("select disposition, disposition_reason from event where external_id = $1")
        .bind(external_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn status(pool: &PgPool, order: &str) -> Option<String> {
    sqlx::query_scalar(r#"select status from "order" where order_ref = $1"#)
        .bind(order)
        .fetch_optional(pool)
        .await
        .unwrap()
}

async fn shipment_status(pool: &PgPool, order: &str, tn: &str) -> Option<String> {
    sqlx::query_scalar(
        r#"select s.status from shipment s join "order" o using (order_id)
           where o.order_ref = $1 and s.tracking_number = $2"#,
    )
    .bind(order)
    .bind(tn)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_warehouse_scoped_to_one_account_cannot_change_anothers_order(pool: PgPool) {
    let c = setup(&pool).await;
    server::ingest::setup::set_scope(&pool, "wms", &["ACME".to_string()])
        .await
        .unwrap();
    support::deliver_each(
        &pool,
        &c,
        &[
            (0, created("S1", "ACME")),
            (0, created("S3", "OTHER")),
            (1, dispatched("d1", "S1", "1Z1", "UPS")),
            (1, dispatched("d3", "S3", "1Z3", "UPS")),
        ],
    )
    .await;
    assert_eq!(status(&pool, "S1").await.as_deref(), Some("shipped"));
    assert_eq!(verdict(&pool, "d1").await.0, "applied");

    let (disposition, reason) = verdict(&pool, "d3").await;
    assert_eq!(disposition, "rejected", "kept, and refused");
    let reason = reason.unwrap();
    assert!(reason.contains("does not serve OTHER"), "{reason}");
    assert_eq!(
        status(&pool, "S3").await.as_deref(),
        Some("created"),
        "OTHER's order is untouched"
    );
    assert_eq!(shipment_status(&pool, "S3", "1Z3").await, None);

    // Widening the scope applies on the order's next event: the kept dispatch is folded then.
    server::ingest::setup::set_scope(&pool, "wms", &[])
        .await
        .unwrap();
    support::deliver_each(&pool, &c, &[(2, delivered("v3", "1Z3", "UPS"))]).await;
    assert_eq!(verdict(&pool, "d3").await.0, "applied");
    assert_eq!(status(&pool, "S3").await.as_deref(), Some("delivered"));
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_erp_scoped_to_one_account_cannot_create_anothers_order(pool: PgPool) {
    let c = setup(&pool).await;
    server::ingest::setup::set_scope(&pool, "erp", &["ACME".to_string()])
        .await
        .unwrap();
    support::deliver_each(
        &pool,
        &c,
        &[(0, created("S1", "ACME")), (0, created("S3", "OTHER"))],
    )
    .await;
    assert_eq!(status(&pool, "S1").await.as_deref(), Some("created"));
    assert_eq!(status(&pool, "S3").await, None, "no order for OTHER");
    assert_eq!(verdict(&pool, "c-S3").await.0, "rejected");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_carrier_scoped_to_another_account_cannot_touch_a_parcel(pool: PgPool) {
    let c = setup(&pool).await;
    server::ingest::setup::set_scope(&pool, "carrier", &["OTHER".to_string()])
        .await
        .unwrap();
    support::deliver_each(
        &pool,
        &c,
        &[
            (0, created("S1", "ACME")),
            (1, dispatched("d1", "S1", "1Z1", "UPS")),
            (2, delivered("v1", "1Z1", "UPS")),
        ],
    )
    .await;
    assert_eq!(verdict(&pool, "v1").await.0, "rejected");
    assert_eq!(
        shipment_status(&pool, "S1", "1Z1").await.as_deref(),
        Some("dispatched")
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_number_reused_at_another_carrier_does_not_join_the_parcel(pool: PgPool) {
    let c = setup(&pool).await;
    // The FedEx event arrives first and waits; the UPS dispatch then claims the number, and only
    // the UPS event (sent as the SCAC, UPSN) joins it.
    support::deliver_each(
        &pool,
        &c,
        &[
            (2, delivered("fedex", "7777", "FedEx")),
            (0, created("S1", "ACME")),
            (1, dispatched("d1", "S1", "7777", "UPS")),
        ],
    )
    .await;
    let (disposition, reason) = verdict(&pool, "fedex").await;
    assert_eq!(disposition, "pending");
    assert!(
        reason.as_deref().unwrap_or_default().contains("7777"),
        "{reason:?}"
    );
    assert_eq!(
        shipment_status(&pool, "S1", "7777").await.as_deref(),
        Some("dispatched")
    );

    support::deliver_each(&pool, &c, &[(2, delivered("fedex-again", "7777", "fedex"))]).await;
    let (disposition, reason) = verdict(&pool, "fedex-again").await;
    assert_eq!(disposition, "pending");
    assert!(
        reason.unwrap_or_default().contains("ups parcel"),
        "the wait says why"
    );
    assert_eq!(
        shipment_status(&pool, "S1", "7777").await.as_deref(),
        Some("dispatched")
    );

    support::deliver_each(&pool, &c, &[(2, delivered("ups", "7777", "UPSN"))]).await;
    assert_eq!(verdict(&pool, "ups").await.0, "applied");
    assert_eq!(
        shipment_status(&pool, "S1", "7777").await.as_deref(),
        Some("delivered")
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_second_order_naming_a_claimed_parcel_shows_a_conflict_and_takes_nothing(pool: PgPool) {
    let c = setup(&pool).await;
    support::deliver_each(
        &pool,
        &c,
        &[
            (0, created("S1", "ACME")),
            (0, created("S3", "OTHER")),
            (1, dispatched("d1", "S1", "1Z1", "UPS")),
            (1, dispatched("d3", "S3", "1Z1", "UPS")),
            (2, delivered("v1", "1Z1", "UPS")),
        ],
    )
    .await;
    assert_eq!(status(&pool, "S1").await.as_deref(), Some("delivered"));
    assert_ne!(
        shipment_status(&pool, "S3", "1Z1").await.as_deref(),
        Some("delivered"),
        "ACME's delivery is not OTHER's"
    );
    let claimed_by: String = sqlx::query_scalar(
        "select claimed_by from parcel_conflict where order_ref = 'S3' and tracking_number = '1Z1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(claimed_by, "S1");
    let open: Vec<(String, String)> = sqlx::query_as(
        r#"select x.kind, x.summary from order_exception x join "order" o using (order_id)
           where o.order_ref = 'S3' and x.closed_by_event is null"#,
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].0, "parcel_conflict");
    assert!(open[0].1.contains("order S1"), "{}", open[0].1);

    // The conflict outlives later refolds of S3 (it is read back, not only seen once).
    support::deliver_each(
        &pool,
        &c,
        &[(
            1,
            event(
                "a3",
                "order.allocated",
                "order/S3",
                "2026-03-02T09:00:00Z",
                json!({"order": {"erp_order_id": "S3"}}),
            ),
        )],
    )
    .await;
    let still: i64 = sqlx::query_scalar(
        r#"select count(*) from order_exception x join "order" o using (order_id)
           where o.order_ref = 'S3' and x.kind = 'parcel_conflict' and x.closed_by_event is null"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(still, 1);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_scope_names_known_accounts_and_each_change_is_audited(pool: PgPool) {
    setup(&pool).await;
    let err = server::ingest::setup::set_scope(&pool, "wms", &["NOPE".to_string()])
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no account with code NOPE"),
        "{err}"
    );
    let before =
        server::ingest::setup::set_scope(&pool, "wms", &["ACME".to_string(), "OTHER".to_string()])
            .await
            .unwrap();
    assert!(before.is_empty(), "it served every account: {before:?}");
    let before = server::ingest::setup::set_scope(&pool, "wms", &["OTHER".to_string()])
        .await
        .unwrap();
    assert_eq!(before, vec!["ACME".to_string(), "OTHER".to_string()]);
    let audited: Vec<Value> = sqlx::query_scalar(
        "select detail from audit_log where action = 'connector.scope_changed' and subject = 'connector:wms' order by audit_log_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        audited.len(),
        2,
        "the refused change is not recorded: {audited:?}"
    );
    assert_eq!(audited[1]["accounts"], json!(["OTHER"]));
}
