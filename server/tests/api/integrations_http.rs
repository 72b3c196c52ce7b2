//! The integrations page's server functions over HTTP: health, jobs and attempts, replay (one,
//! edited, many), the refusal of a replay that would overwrite newer state, pause and resume,
//! each audited; and who may do what.

use crate::support;

use app::domain::Role;
use serde_json::{json, Value};
use server::jobs::SendInstructionToWms;
use server::store::jobs::circuits;
use server::store::jobs::queue::JobPayload;
use sqlx::PgPool;
use support::TestApp;

/// A `wms.instruction` job put straight into `state`, with one recorded attempt when dead.
async fn job(pool: &PgPool, queue: &str, order: &str, state: &str, payload: Value) -> i64 {
    // Stored as a row, not enqueued: the page shows whatever payload a job carries, even one
    // its kind could never have been enqueued with.
    let id: i64 = sqlx::query_scalar(
        "insert into job (queue, kind, payload, ordering_key) values ($1, $2, $3, $4) returning job_id",
    )
    .bind(queue)
    .bind(SendInstructionToWms::KIND)
    .bind(payload)
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "update job set state = $2, finished_at = now(), last_error = case when $2 = 'dead' then 'the WMS answered HTTP 422' end where job_id = $1",
    )
    .bind(id)
    .bind(state)
    .execute(pool)
    .await
    .unwrap();
    if state == "dead" {
        sqlx::query(
            "insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, error, duration_ms)
             values ($1, 0, 1, now(), 'dead', '{\"url\": \"http://wms\"}', '{\"status\": 422}', 'the WMS answered HTTP 422', 12)",
        )
        .bind(id)
        .execute(pool)
        .await
        .unwrap();
    }
    id
}

async fn state_of(pool: &PgPool, id: i64) -> (String, Value) {
    sqlx::query_as("select state, payload from job where job_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn audits(pool: &PgPool, action: &str) -> Vec<Value> {
    sqlx::query_scalar("select detail from audit_log where action = $1 order by audit_log_id")
        .bind(action)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_integrator_sees_health_and_a_dead_letter_with_its_exchange(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let dead = job(
        &pool,
        "wms:reno",
        "S1",
        "dead",
        json!({"action": "release"}),
    )
    .await;
    job(&pool, "wms:reno", "S2", "pending", json!({})).await;
    let integrator = app.signed_in(Role::Integrator).await;

    let res = app.call(&integrator, "integrations/overview", &[]).await;
    assert_eq!(res.status(), 200);
    let overview: Value = res.json().await.unwrap();
    let reno = &overview["queues"][0];
    assert_eq!(reno["queue"], "wms:reno");
    assert_eq!(
        (reno["depth"].as_i64(), reno["dead"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(reno["error_rate_pct"], 100.0);

    let res = app
        .call(
            &integrator,
            "integrations/jobs",
            &[("filter[state]", "dead")],
        )
        .await;
    let listed: Value = res.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["job_id"], dead);

    let detail: Value = app
        .call(
            &integrator,
            "integrations/job",
            &[("job_id", &dead.to_string())],
        )
        .await
        .json()
        .await
        .unwrap();
    let attempt = &detail["attempts"][0];
    assert_eq!(attempt["outcome"], "dead");
    assert!(attempt["request"].as_str().unwrap().contains("http://wms"));
    assert!(attempt["response"].as_str().unwrap().contains("422"));
}

#[sqlx::test(migrations = false)]
async fn a_replay_needs_a_reason_and_valid_json_and_is_audited_with_before_and_after(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let dead = job(&pool, "wms:reno", "S1", "dead", json!({"sku": "WRONG"})).await;
    let integrator = app.signed_in(Role::Integrator).await;
    let id = dead.to_string();

    let res = app
        .call(
            &integrator,
            "integrations/replay",
            &[("job_id", &id), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &integrator,
            "integrations/replay",
            &[
                ("job_id", &id),
                ("reason", "fixed the SKU"),
                ("payload", "{not json"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not JSON"));
    assert_eq!(state_of(&pool, dead).await.0, "dead", "nothing changed");

    let res = app
        .call(
            &integrator,
            "integrations/replay",
            &[
                ("job_id", &id),
                ("reason", "fixed the SKU"),
                ("payload", r#"{"sku": "E-COM08"}"#),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        state_of(&pool, dead).await,
        ("pending".into(), json!({"sku": "E-COM08"}))
    );
    let audit = audits(&pool, "job.edit_replay").await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["why"], "fixed the SKU");
    assert_eq!(audit[0]["before"]["payload"], json!({"sku": "WRONG"}));
    assert_eq!(audit[0]["after"]["payload"], json!({"sku": "E-COM08"}));

    let res = app
        .call(
            &integrator,
            "integrations/replay",
            &[("job_id", &id), ("reason", "again")],
        )
        .await;
    assert_eq!(res.status(), 409, "a pending job is not replayed twice");
}

#[sqlx::test(migrations = false)]
async fn a_replay_that_would_overwrite_newer_state_is_refused_with_the_reason(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let old = job(
        &pool,
        "wms:reno",
        "S7",
        "dead",
        json!({"action": "amend", "v": 1}),
    )
    .await;
    let newer = job(
        &pool,
        "wms:reno",
        "S7",
        "succeeded",
        json!({"action": "amend", "v": 2}),
    )
    .await;
    let other = job(&pool, "wms:reno", "S8", "dead", json!({})).await;
    let integrator = app.signed_in(Role::Integrator).await;

    let res = app
        .call(
            &integrator,
            "integrations/replay",
            &[("job_id", &old.to_string()), ("reason", "retry")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("job {newer}")) && body.contains("would overwrite"),
        "{body}"
    );
    assert_eq!(state_of(&pool, old).await.0, "dead");

    let res = app
        .call(
            &integrator,
            "integrations/replay-many",
            &[("filter[queue]", "wms:reno"), ("reason", "the WMS is back")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let outcome: Value = res.json().await.unwrap();
    assert_eq!(outcome["replayed"], 1);
    assert_eq!(outcome["refused"].as_array().unwrap().len(), 1);
    assert_eq!(state_of(&pool, other).await.0, "pending");
    assert_eq!(state_of(&pool, old).await.0, "dead");
    assert_eq!(audits(&pool, "job.replay_many").await.len(), 1);
}

#[sqlx::test(migrations = false)]
async fn pausing_and_resuming_a_queue_is_audited_and_only_for_operators(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let integrator = app.signed_in(Role::Integrator).await;
    let pause = |paused: &'static str| {
        [
            ("queue", "wms:reno"),
            ("paused", paused),
            ("reason", "WMS maintenance window"),
        ]
    };
    let res = app
        .call(&integrator, "integrations/pause", &pause("true"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(circuits::circuit(&pool, "wms:reno").await.unwrap().paused);
    let res = app
        .call(&integrator, "integrations/pause", &pause("false"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(!circuits::circuit(&pool, "wms:reno").await.unwrap().paused);
    let paused = audits(&pool, "queue.pause").await;
    assert_eq!(paused[0]["before"]["paused"], false);
    assert_eq!(paused[0]["after"]["paused"], true);
    assert_eq!(audits(&pool, "queue.resume").await.len(), 1);

    let agent = app.signed_in(Role::Agent).await;
    assert_eq!(
        app.call(&agent, "integrations/pause", &pause("true"))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call(&agent, "integrations/jobs", &[]).await.status(),
        200,
        "agents read an order's jobs"
    );
    let customer = app.signed_in(Role::Customer).await;
    assert_eq!(
        app.call(&customer, "integrations/jobs", &[]).await.status(),
        403
    );
    assert_eq!(
        app.call(&customer, "integrations/overview", &[])
            .await
            .status(),
        403
    );
}
