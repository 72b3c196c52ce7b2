//! The nightly reconciliation, through the real connectors and stand-ins: an order whose
//! webhook never came (the automation rule was deleted) is found by comparing Odoo's open
//! deliveries with Milepost's orders, read through the normal path and released to the
//! warehouse once; run again, nothing is out of step and nothing is sent twice. The report shows
//! on /integrations.

use crate::support;
use app::domain::Role;
use server::jobs::ReconcileOdoo;
use server::simulators::live;
use server::store::jobs::queue::{self, connector_queue, NewJob};
use sqlx::PgPool;
use std::time::Duration;

async fn reconciled(pool: &PgPool) -> Vec<serde_json::Value> {
    sqlx::query_scalar("select report from reconciliation_run order by reconciliation_run_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn reconcile(pool: &PgPool, runs_before: usize) {
    let job = NewJob::new(
        connector_queue("odoo", live::ODOO),
        &ReconcileOdoo {
            quiet_hours: 72,
            apply_inventory: false,
        },
    );
    queue::enqueue(pool, &job).await.unwrap();
    support::eventually(30, "the reconciliation run", || async {
        reconciled(pool).await.len() == runs_before + 1
    })
    .await;
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_missed_webhook_is_found_by_reconciliation_and_repaired_once(pool: PgPool) {
    let support::LiveFlow {
        app,
        live,
        stop,
        workers,
    } = support::live_flow(&pool, |options| {
        options.short_every = 0;
        options.failed_attempt_every = 0;
    })
    .await;

    // The automation rules are gone: Odoo tells Milepost nothing of this order.
    live.odoo.with(|o| o.webhook_url = None);
    let (id, order) = live.odoo.create_order(45, &[(21, 1.0)], "PO-MISSED").await;
    live.odoo.confirm(id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        live.wms.instructions_of(&order).is_empty(),
        "nobody knows of it yet"
    );

    reconcile(&pool, 0).await;
    let first = &reconciled(&pool).await[0];
    assert_eq!(first["out_of_step"], 1, "{first}");
    assert_eq!(first["reads_enqueued"], 1, "{first}");
    assert_eq!(first["repairs"][0]["order"], order.as_str());
    assert_eq!(first["repairs"][0]["why"], "unknown to Milepost");
    support::eventually(
        30,
        "the repaired order released to the warehouse",
        || async { !live.wms.instructions_of(&order).is_empty() },
    )
    .await;

    // Again: in step now, nothing read, nothing sent twice.
    reconcile(&pool, 1).await;
    let second = &reconciled(&pool).await[1];
    assert_eq!(second["out_of_step"], 0, "{second}");
    assert_eq!(second["reads_enqueued"], 0, "{second}");
    let released: Vec<String> = live
        .wms
        .instructions_of(&order)
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    assert_eq!(released, ["release"], "released once");

    // The integrator sees the latest run.
    let integrator = app.signed_in(Role::Integrator).await;
    let overview: serde_json::Value = app
        .call(&integrator, "integrations/overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let run = &overview["reconciliations"][0];
    assert_eq!(run["connector"], live::ODOO);
    assert_eq!(run["open_deliveries"], second["open_deliveries"]);
    assert_eq!(run["out_of_step"], 0);

    stop.cancel();
    workers.await.unwrap().unwrap();
}
