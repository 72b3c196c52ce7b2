//! Customer webhooks through the workers: an account's subscription receives its orders'
//! events signed with Standard Webhooks, filtered by type, once each; a receiver that refuses for
//! good pauses the subscription with a notice; resume and replay from a point in time deliver
//! again, with the same webhook ids.

use crate::support;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::{json, Value};
use server::ingest::writer::Writer;
use server::signing;
use server::store::jobs::queue::JobPayload;
use server::store::webhooks;
use server::sync::breaker::BreakerPolicy;
use server::sync::engine::EngineSettings;
use server::sync::retry::RetryPolicy;
use server::sync::runner::RunnerSettings;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Receiver {
    /// (webhook-id, webhook-timestamp, webhook-signature, body)
    got: Vec<(String, String, String, String)>,
    answer: u16,
}

type Shared = Arc<Mutex<Receiver>>;

async fn receive(State(r): State<Shared>, headers: HeaderMap, body: String) -> StatusCode {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let mut r = r.lock().unwrap();
    r.got.push((
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
        body,
    ));
    StatusCode::from_u16(r.answer).unwrap()
}

async fn receiver() -> (String, Shared) {
    let shared = Arc::new(Mutex::new(Receiver {
        answer: 204,
        ..Receiver::default()
    }));
    let app = Router::new()
        .route("/hooks", post(receive))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn fast() -> EngineSettings {
    EngineSettings {
        runner: RunnerSettings {
            lease: Duration::from_secs(10),
            poll: Duration::from_millis(50),
        },
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        breaker: BreakerPolicy {
            threshold: 50,
            cooldown: Duration::from_millis(100),
            max_cooldown: Duration::from_millis(200),
        },
    }
}

fn event(id: &str, kind: &str, order: &str) -> Value {
    json!({"specversion": "1.0", "id": id, "source": "erp", "type": kind, "subject": format!("order/{order}"),
           "time": Utc::now().to_rfc3339(),
           "data": {"order": {"erp_order_id": order}, "customer": {"account_code": "ACME"}}})
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_accounts_subscription_gets_its_events_signed_and_a_refusal_pauses_it(pool: PgPool) {
    app::services::accounts::create(&pool, "ACME", "Acme Ltd", None)
        .await
        .unwrap();
    app::services::accounts::create(&pool, "OTHER", "Other Ltd", None)
        .await
        .unwrap();
    let acme = app::store::accounts::find_by_code(&pool, "ACME")
        .await
        .unwrap()
        .unwrap();
    let (url, got) = receiver().await;
    let secret = server::ingest::setup::signing_secret();
    let all = webhooks::insert(&pool, acme.account_id, &url, &secret, &[], true)
        .await
        .unwrap();
    let (url2, got2) = receiver().await;
    webhooks::insert(
        &pool,
        acme.account_id,
        &url2,
        &secret,
        &["order.confirmed".to_string()],
        true,
    )
    .await
    .unwrap();

    let stop = CancellationToken::new();
    let workers = tokio::spawn(server::workers::run_with(
        pool.clone(),
        fast(),
        stop.clone(),
    ));
    let erp = support::canonical_connector(&pool, "erp", "erp").await;
    let writer = Writer::start(pool.clone());
    let started = Utc::now();
    for (id, kind) in [("c1", "order.created"), ("c2", "order.confirmed")] {
        support::send_canonical(&writer, &erp, id.into(), &event(id, kind, "O1")).await;
    }
    // Sent again: one event, one delivery.
    support::send_canonical(
        &writer,
        &erp,
        "again".into(),
        &event("c2", "order.confirmed", "O1"),
    )
    .await;
    // Another account's order is not delivered to ACME.
    let mut other = event("x1", "order.created", "O2");
    other["data"]["customer"]["account_code"] = json!("OTHER");
    support::send_canonical(&writer, &erp, "x1".into(), &other).await;

    wait_for("two deliveries", || got.lock().unwrap().got.len() == 2).await;
    wait_for("one filtered delivery", || {
        got2.lock().unwrap().got.len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first: Vec<(String, String, String, String)> = got.lock().unwrap().got.clone();
    assert_eq!(first.len(), 2, "once each, and nothing of another account");
    for (id, ts, signature, body) in &first {
        let expected =
            signing::standard_webhooks(&secret, id, ts.parse().unwrap(), body.as_bytes());
        assert_eq!(signature, &expected, "signed with Standard Webhooks");
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["data"]["order_ref"], "O1");
        assert_eq!(body["data"]["event_id"].as_str(), Some(id.as_str()));
    }
    let types: Vec<String> = first
        .iter()
        .map(|(_, _, _, b)| {
            serde_json::from_str::<Value>(b).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(types, ["order.created", "order.confirmed"], "in order");
    assert!(got2.lock().unwrap().got[0].3.contains("order.confirmed"));

    // The receiver refuses for good (410): the subscription pauses with a notice.
    got.lock().unwrap().answer = 410;
    support::send_canonical(
        &writer,
        &erp,
        "c3".into(),
        &event("c3", "order.updated", "O1"),
    )
    .await;
    let paused = || async {
        webhooks::list(&pool)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.subscription_id == all)
            .unwrap()
    };
    for _ in 0..100 {
        if paused().await.paused_reason.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let notice = paused().await.paused_reason.expect("paused with a notice");
    assert!(notice.contains("HTTP 410"), "{notice}");
    // The pause is written as the refusal arrives; the attempt's own outcome (dead) is recorded
    // just after it: wait for that too before replaying, as an operator would see it.
    let queue = server::store::jobs::queue::subscription_queue(all);
    for _ in 0..100 {
        let running: i64 = sqlx::query_scalar(
            "select count(*) from job where queue = $1 and state in ('running', 'pending', 'failed')",
        )
        .bind(&queue)
        .fetch_one(&pool)
        .await
        .unwrap();
        if running == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        server::store::jobs::circuits::circuit(
            &pool,
            &server::store::jobs::queue::subscription_queue(all)
        )
        .await
        .unwrap()
        .paused
    );

    // Fixed, resumed and replayed from the start: every event again, with the same ids.
    got.lock().unwrap().answer = 200;
    let mut tx = pool.begin().await.unwrap();
    assert!(webhooks::resume(&mut tx, all).await.unwrap());
    let queued = webhooks::replay_since(
        &mut tx,
        server::jobs::DeliverWebhook::KIND,
        all,
        started - chrono::Duration::seconds(5),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(queued, 3);
    wait_for("the replayed deliveries", || {
        got.lock().unwrap().got.len() == 2 + 1 + 3
    })
    .await;
    let ids: Vec<String> = got
        .lock()
        .unwrap()
        .got
        .iter()
        .map(|g| g.0.clone())
        .collect();
    assert_eq!(
        ids[3..5],
        ids[0..2],
        "a replay carries the same webhook ids"
    );
    stop.cancel();
    workers.await.unwrap().unwrap();
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_delivery_carries_only_allowed_fields_and_never_crosses_accounts(pool: PgPool) {
    use server::connectors::webhooks::deliver::Delivery;
    use server::store::jobs::queue::{enqueue, subscription_queue, NewJob};
    for (code, name) in [("ACME", "Acme Ltd"), ("OTHER", "Other Ltd")] {
        app::services::accounts::create(&pool, code, name, None)
            .await
            .unwrap();
    }
    let account = |code: &'static str| {
        let pool = pool.clone();
        async move {
            app::store::accounts::find_by_code(&pool, code)
                .await
                .unwrap()
                .unwrap()
                .account_id
        }
    };
    let secret = server::ingest::setup::signing_secret();
    let (acme_url, acme_got) = receiver().await;
    webhooks::insert(&pool, account("ACME").await, &acme_url, &secret, &[], true)
        .await
        .unwrap();
    let (other_url, other_got) = receiver().await;
    let other_sub = webhooks::insert(
        &pool,
        account("OTHER").await,
        &other_url,
        &secret,
        &[],
        true,
    )
    .await
    .unwrap();

    let stop = CancellationToken::new();
    let workers = tokio::spawn(server::workers::run_with(
        pool.clone(),
        fast(),
        stop.clone(),
    ));
    let erp = support::canonical_connector(&pool, "erp", "erp").await;
    let writer = Writer::start(pool.clone());
    let mut created = event("p1", "order.created", "O9");
    created["data"]["customer"]["name"] = json!("Jane Private");
    created["data"]["ship_to"] =
        json!({"name": "Jane Private", "line1": "1 Secret Road", "city": "Reno"});
    created["data"]["order"]["customer_po"] = json!("PO-1");
    support::send_canonical(&writer, &erp, "p1".into(), &created).await;
    wait_for("ACME's delivery", || {
        acme_got.lock().unwrap().got.len() == 1
    })
    .await;
    let body: Value = serde_json::from_str(&acme_got.lock().unwrap().got[0].3).unwrap();
    let text = body.to_string();
    assert!(
        !text.contains("Jane Private") && !text.contains("Secret Road"),
        "{text}"
    );
    assert_eq!(
        body["data"]["data"]["order"]["customer_po"], "PO-1",
        "{text}"
    );

    // An edited replay aims ACME's event at OTHER's subscription: refused at delivery.
    let event_id: uuid::Uuid =
        sqlx::query_scalar("select event_id from event where external_id = 'p1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let job = NewJob::new(
        subscription_queue(other_sub),
        &server::jobs::DeliverWebhook(Delivery {
            subscription_id: other_sub,
            event_id: Some(event_id),
            report_snapshot_id: None,
        }),
    );
    let job_id = enqueue(&pool, &job).await.unwrap().unwrap();
    for _ in 0..100 {
        let state: String = sqlx::query_scalar("select state from job where job_id = $1")
            .bind(job_id)
            .fetch_one(&pool)
            .await
            .unwrap();
        if state == "dead" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let state: String = sqlx::query_scalar("select state from job where job_id = $1")
        .bind(job_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "dead");
    assert!(
        other_got.lock().unwrap().got.is_empty(),
        "nothing crossed accounts"
    );
    stop.cancel();
    workers.await.unwrap().unwrap();
}
