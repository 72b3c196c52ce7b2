//! Supervision: background tasks restarted and reported on `/readyz`, an event the projector
//! cannot fold quarantined while the rest flow, and a graceful shutdown that live streams do
//! not hold open.

use crate::support::{self, TestApp};
use app::domain::Role;
use serde_json::{json, Value};
use server::startup::Runtime;
use server::supervisor::{Backoff, Supervisor};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

async fn readyz(app: &TestApp) -> (u16, Value) {
    let res = app.browser().get(app.url("/readyz")).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Polls `/readyz` until `done` holds (up to `secs`), returning its body then.
async fn readyz_until(
    app: &TestApp,
    secs: u64,
    what: &str,
    done: impl Fn(u16, &Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, body) = readyz(app).await;
        if done(status, &body) {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn task<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no task {name} in {body}"))
}

#[sqlx::test(migrations = false)]
async fn readyz_names_a_task_that_panicked_or_fails_its_rounds_until_it_recovers(pool: PgPool) {
    let runtime = Runtime::default();
    let app = TestApp::spawn_in(pool.clone(), runtime.clone(), |_| {}).await;
    let mut supervisor = Supervisor::with_backoff(
        runtime.health.clone(),
        runtime.stop.clone(),
        Backoff {
            first: Duration::from_secs(2),
            ..Backoff::default()
        },
    );
    // A task that panics when told to, beside the real workers under the same supervisor.
    let panic_now = Arc::new(tokio::sync::Notify::new());
    {
        let (panic_now, stop) = (panic_now.clone(), runtime.stop.clone());
        supervisor.spawn("canary", None, move |beat| {
            let (panic_now, stop) = (panic_now.clone(), stop.clone());
            async move {
                beat.ok();
                tokio::select! {
                    _ = stop.cancelled() => Ok(()),
                    _ = panic_now.notified() => panic!("the canary fell over"),
                }
            }
        });
    }
    let settings = server::workers::WorkerSettings {
        engine: support::fast_engine(),
        ..Default::default()
    };
    let workers = tokio::spawn(server::workers::supervised(
        pool.clone(),
        settings,
        supervisor,
    ));

    let body = readyz_until(&app, 10, "every task running", |status, _| status == 200).await;
    for name in [
        "projector",
        "sync engine",
        "scheduler",
        "sla sweep",
        "housekeeping",
        "alerts",
        "retention",
        "live updates listener",
        "ingest directory listener",
    ] {
        assert_eq!(task(&body, name)["healthy"], true, "{body}");
    }

    // A panic: not ready, the task named with why, until it has been started again.
    panic_now.notify_one();
    let body = readyz_until(&app, 5, "the panic reported", |status, _| status == 503).await;
    let canary = task(&body, "canary");
    assert_eq!(canary["status"], "restarting", "{body}");
    assert_eq!(canary["error"], "panicked: the canary fell over");
    assert!(
        body["reason"].as_str().unwrap().contains("canary"),
        "{body}"
    );
    let body = readyz_until(&app, 10, "the canary started again", |status, _| {
        status == 200
    })
    .await;
    assert_eq!(task(&body, "canary")["restarts"], 1);

    // Rounds that fail (the projector's queue gone under it): not ready, with the error.
    sqlx::query("alter table projection_queue rename to projection_queue_away")
        .execute(&pool)
        .await
        .unwrap();
    let body = readyz_until(
        &app,
        10,
        "the projector's failing rounds reported",
        |status, b| status == 503 && task(b, "projector")["status"] == "failing",
    )
    .await;
    assert!(
        task(&body, "projector")["error"]
            .as_str()
            .unwrap()
            .contains("projection_queue"),
        "{body}"
    );
    sqlx::query("alter table projection_queue_away rename to projection_queue")
        .execute(&pool)
        .await
        .unwrap();
    readyz_until(&app, 10, "the projector healthy again", |status, _| {
        status == 200
    })
    .await;

    runtime.stop.cancel();
    tokio::time::timeout(Duration::from_secs(30), workers)
        .await
        .expect("the workers stop when told")
        .unwrap();
}

fn created(order: &str) -> Value {
    json!({"specversion": "1.0", "id": format!("{order}-created"), "source": "t",
           "type": "order.created", "subject": format!("order/{order}"), "time": "2026-03-01T08:00:00Z",
           "data": {"order": {"erp_order_id": order}, "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}})
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_event_the_projector_cannot_fold_is_quarantined_while_the_next_thousand_fold(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool.clone()).await;
    let erp = support::canonical_connector(&pool, "erp", "erp").await;
    // The database refuses one order's projection, as it would a value out of range.
    sqlx::query(
        r#"create function refuse_poison() returns trigger language plpgsql as $$
           begin raise exception 'order POISON-1 refused by the database'; end $$"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        r#"create trigger refuse_poison before insert or update on "order"
           for each row when (new.order_ref = 'POISON-1') execute function refuse_poison()"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let writer = server::ingest::writer::Writer::start(pool.clone());
    let mut orders = vec!["POISON-1".to_string()];
    orders.extend((0..1000).map(|i| format!("OK-{i:04}")));
    for order in &orders {
        support::send_canonical(&writer, &erp, format!("m-{order}"), &created(order)).await;
    }

    let folded = server::projector::drain(&pool).await.unwrap();

    assert_eq!(folded, 1001, "every event folded or set aside");
    assert_eq!(
        count(&pool, r#"select count(*) from "order""#).await,
        1000,
        "the thousand after it folded"
    );
    assert_eq!(
        count(&pool, "select count(*) from projection_queue").await,
        0
    );
    let (order_ref, error): (Option<String>, String) =
        sqlx::query_as("select order_ref, error from quarantined_event where released_at is null")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(order_ref.as_deref(), Some("POISON-1"));
    assert!(error.contains("refused by the database"), "{error}");

    // On /integrations, with its error; an integrator puts it back once the cause is mended.
    let integrator = app.signed_in(Role::Integrator).await;
    let overview: Value = app
        .call(&integrator, "integrations/overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let listed = &overview["quarantined"][0];
    assert_eq!(listed["order_ref"], "POISON-1", "{overview}");
    assert_eq!(listed["event_type"], "order.created");
    let id = listed["quarantine_id"].as_i64().unwrap().to_string();

    let refused = app
        .call(
            &integrator,
            "integrations/release-quarantined",
            &[("quarantine_id", &id), ("reason", " ")],
        )
        .await;
    assert_eq!(refused.status(), 422, "a reason is required");
    let agent = app.signed_in(Role::Agent).await;
    let forbidden = app
        .call(
            &agent,
            "integrations/release-quarantined",
            &[("quarantine_id", &id), ("reason", "mended")],
        )
        .await;
    assert_eq!(forbidden.status(), 403);

    sqlx::query(r#"drop trigger refuse_poison on "order""#)
        .execute(&pool)
        .await
        .unwrap();
    let released = app
        .call(
            &integrator,
            "integrations/release-quarantined",
            &[("quarantine_id", &id), ("reason", "trigger removed")],
        )
        .await;
    assert_eq!(released.status(), 200);
    server::projector::drain(&pool).await.unwrap();
    assert_eq!(
        count(
            &pool,
            r#"select count(*) from "order" where order_ref = 'POISON-1'"#
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from quarantined_event where released_at is null"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from audit_log where action = 'event.release_quarantine' and detail->>'why' = 'trigger removed'"
        )
        .await,
        1
    );
    let again = app
        .call(
            &integrator,
            "integrations/release-quarantined",
            &[("quarantine_id", &id), ("reason", "twice")],
        )
        .await;
    assert_eq!(again.status(), 404, "a released event is not in quarantine");
}
