//! `/metrics`: behind its bearer token, and every series moves when its cause happens. Counters
//! are shared by every app in the test process (one recorder per process), so these tests use
//! labels of their own and check that a counter grew by at least what they caused.

use crate::support::{self, TestApp};
use reqwest::Client;
use secrecy::SecretString;
use serde_json::json;
use server::ingest::setup::create_key;
use server::sync::runner::{QueueSpec, Runner, RunnerSettings};
use sqlx::PgPool;
use std::time::Duration;

const TOKEN: &str = "a scrape token";

async fn with_token(pool: PgPool) -> TestApp {
    TestApp::spawn_with(pool, |s| s.metrics_token = Some(SecretString::from(TOKEN))).await
}

async fn scrape(app: &TestApp) -> String {
    let res = Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of the series `name` whose labels include every one of `labels` (0 when absent).
fn value(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter(|(series, _)| {
            let (n, rest) = series.split_once('{').unwrap_or((series, ""));
            n == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, v)| v.parse::<f64>().unwrap())
        .sum()
}

#[sqlx::test(migrations = false)]
async fn metrics_are_served_only_with_the_token_or_not_at_all(pool: PgPool) {
    let without = TestApp::spawn(pool.clone()).await;
    let res = Client::new()
        .get(without.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "no token configured: not served here");

    let app = with_token(pool).await;
    for auth in [None, Some("Bearer wrong"), Some(TOKEN)] {
        let mut req = Client::new().get(app.url("/metrics"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
    }
    let text = scrape(&app).await;
    assert!(
        text.contains("# TYPE milepost_projector_lag_seconds gauge"),
        "{text}"
    );
    assert_eq!(value(&text, "milepost_scrape_database_up", &[]), 1.0);
}

#[sqlx::test(migrations = false)]
async fn each_series_moves_when_its_cause_happens(pool: PgPool) {
    let app = with_token(pool.clone()).await;
    let name = format!("erp-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    support::connector(&pool, &name, "erp", "canonical", None).await;
    let key = create_key(&pool, &name, "test").await.unwrap().key;
    let before = scrape(&app).await;

    // HTTP requests by route pattern and status.
    for _ in 0..3 {
        Client::new().get(app.url("/healthz")).send().await.unwrap();
    }
    // Ingest: accepted, a duplicate, a rejection; and an unauthenticated request.
    let event = json!({"specversion": "1.0", "id": "e1", "source": "t", "type": "order.created",
        "subject": "order/M-1", "time": "2026-03-01T08:00:00Z",
        "data": {"order": {"erp_order_id": "M-1"}, "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}});
    let post = |body: String, key: String| {
        let url = app.url("/api/v1/events");
        async move {
            Client::new()
                .post(url)
                .bearer_auth(key)
                .header("content-type", "application/cloudevents+json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(event.to_string(), key.clone()).await, 202);
    assert_eq!(post(event.to_string(), key.clone()).await, 202);
    let mut bad = event.clone();
    bad["type"] = json!("shipment.delivered");
    assert_eq!(
        post(bad.to_string(), key.clone()).await,
        403,
        "an ERP may not deliver"
    );
    assert_eq!(post(event.to_string(), "mp_wrong".into()).await, 401);

    let queued = scrape(&app).await;
    assert_eq!(value(&queued, "milepost_projector_queue_events", &[]), 1.0);
    assert!(value(&queued, "milepost_projector_lag_seconds", &[]) >= 0.0);
    let age = value(
        &queued,
        "milepost_source_last_message_age_seconds",
        &[("connector", &name)],
    );
    assert!((0.0..60.0).contains(&age), "{queued}");
    server::projector::drain(&pool).await.unwrap();

    // A job with no handler dies on its first attempt; a queue's circuit open ten minutes.
    sqlx::query("insert into job (queue, kind, payload, max_attempts) values ('metrics-q', 'nobody.runs_this', '{}', 1)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("insert into circuit (queue, state, opened_at) values ('metrics-open', 'open', now() - interval '10 minutes')")
        .execute(&pool)
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let runner = Runner::new(RunnerSettings {
        lease: Duration::from_secs(30),
        poll: Duration::from_millis(50),
    })
    .queue(QueueSpec::new("metrics-q", 1));
    let running = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    support::eventually(10, "the job to die", || async {
        sqlx::query_scalar::<_, i64>("select count(*) from job where state = 'dead'")
            .fetch_one(&pool)
            .await
            .unwrap()
            == 1
    })
    .await;
    stop.cancel();
    running.await.unwrap();
    // Clocks: one open and at risk, one open and past due.
    sqlx::query(r#"insert into "order" (order_ref, status) values ('M-CLOCK', 'released')"#)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        r#"insert into sla_clock (order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at, at_risk_at)
           select order_id, s.segment, 1, 1, now() - interval '2 hours', 3600, now() + s.due, now() - interval '1 minute'
           from "order", (values ('ship', interval '30 minutes'), ('deliver', interval '-5 minutes')) s(segment, due)
           where order_ref = 'M-CLOCK'"#,
    )
    .execute(&pool)
    .await
    .unwrap();

    let after = scrape(&app).await;
    let grew = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let healthz = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    assert!(
        grew("milepost_http_requests_total", &healthz) >= 3.0,
        "{after}"
    );
    assert!(
        grew(
            "milepost_http_request_duration_seconds_count",
            &healthz[..2]
        ) >= 3.0
    );
    let of = |outcome: &'static str| [("connector", name.as_str()), ("outcome", outcome)];
    assert_eq!(grew("milepost_ingest_messages_total", &of("accepted")), 1.0);
    assert_eq!(
        grew("milepost_ingest_messages_total", &of("duplicate")),
        1.0
    );
    assert_eq!(grew("milepost_ingest_messages_total", &of("rejected")), 1.0);
    assert_eq!(
        grew(
            "milepost_ingest_duration_seconds_count",
            &[("connector", &name)]
        ),
        3.0
    );
    assert!(
        grew(
            "milepost_ingest_unauthenticated_total",
            &[("reason", "unauthorized")]
        ) >= 1.0
    );
    assert!(grew("milepost_projector_events_folded_total", &[]) >= 1.0);
    assert_eq!(value(&after, "milepost_projector_queue_events", &[]), 0.0);
    assert_eq!(value(&after, "milepost_projector_lag_seconds", &[]), 0.0);
    let attempt = [
        ("queue", "metrics-q"),
        ("kind", "nobody.runs_this"),
        ("outcome", "dead"),
    ];
    assert_eq!(grew("milepost_job_attempts_total", &attempt), 1.0);
    assert_eq!(
        value(
            &after,
            "milepost_jobs",
            &[("queue", "metrics-q"), ("state", "dead")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "milepost_circuit_state",
            &[("queue", "metrics-open"), ("state", "open")]
        ),
        1.0
    );
    assert!(
        value(
            &after,
            "milepost_circuit_open_seconds",
            &[("queue", "metrics-open")]
        ) >= 600.0
    );
    assert_eq!(
        value(&after, "milepost_sla_clocks_open", &[("state", "at_risk")]),
        1.0
    );
    assert_eq!(
        value(&after, "milepost_sla_clocks_open", &[("state", "breached")]),
        1.0
    );
    assert!(
        value(
            &after,
            "milepost_db_pool_max_connections",
            &[("pool", "web")]
        ) > 0.0
    );
}
