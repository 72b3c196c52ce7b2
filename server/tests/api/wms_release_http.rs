//! Release instructions to a stand-in WMS: the WMS down for a while (instructions queue, nothing
//! is lost, each order's instructions arrive once and in order once it is back), a refusal kept
//! as a dead letter, throttling honoured.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use server::attempt::{Failure, JobError};
use server::connectors::wms::release::{Action, Instruction, WmsClient, WmsConfig};
use server::jobs::SendInstructionToWms;
use server::store::jobs::circuits;
use server::store::jobs::queue::{self, ClaimedJob, JobPayload, NewJob};
use server::sync::breaker::BreakerPolicy;
use server::sync::retry::RetryPolicy;
use server::sync::runner::{QueueSpec, Runner, RunnerSettings};
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Wms {
    up: bool,
    /// Answer every instruction with this status instead (when set).
    status: Option<u16>,
    seen: HashSet<String>,
    /// Instructions applied, in arrival order: (order, instruction id, action).
    applied: Vec<(String, String, String)>,
    duplicates: usize,
    refused_while_down: usize,
}

type Shared = Arc<Mutex<Wms>>;

async fn instruction(
    State(wms): State<Shared>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let mut wms = wms.lock().unwrap();
    assert_eq!(
        headers.get("authorization").and_then(|v| v.to_str().ok()),
        Some("Bearer wms-token")
    );
    if let Some(status) = wms.status {
        let mut r = (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({"error": "no such SKU"})),
        )
            .into_response();
        r.headers_mut().insert("retry-after", "9".parse().unwrap());
        return r;
    }
    if !wms.up {
        wms.refused_while_down += 1;
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response();
    }
    let key = headers["idempotency-key"].to_str().unwrap().to_string();
    assert_eq!(body["contract"], "milepost.release.v1");
    assert_eq!(body["instruction_id"], key.as_str());
    if !wms.seen.insert(key.clone()) {
        wms.duplicates += 1;
        return (StatusCode::CONFLICT, Json(json!({"seen": key}))).into_response();
    }
    wms.applied.push((
        body["order_ref"].as_str().unwrap().to_string(),
        key,
        body["action"].as_str().unwrap().to_string(),
    ));
    (StatusCode::ACCEPTED, Json(json!({"accepted": true}))).into_response()
}

async fn stand_in(wms: Wms) -> (Arc<WmsClient>, Shared) {
    let shared = Arc::new(Mutex::new(wms));
    let app = Router::new()
        .route("/instructions", post(instruction))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/instructions", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = WmsClient::new(WmsConfig {
        url,
        token: SecretString::from("wms-token".to_string()),
        timeout: Duration::from_secs(5),
        targets: server::connectors::http::Targets::AllowPrivate,
    })
    .unwrap();
    (Arc::new(client), shared)
}

fn runner(client: Arc<WmsClient>) -> Runner {
    Runner::new(RunnerSettings {
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(50),
    })
    .queue(QueueSpec {
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(200),
        },
        breaker: BreakerPolicy {
            threshold: 3,
            cooldown: Duration::from_millis(200),
            max_cooldown: Duration::from_millis(400),
        },
        ..QueueSpec::new("wms:rno", 4)
    })
    .handle(SendInstructionToWms::KIND, move |job: ClaimedJob| {
        let client = client.clone();
        async move {
            let i: Instruction =
                serde_json::from_value(job.payload).map_err(|e| JobError::fatal(e.to_string()))?;
            client.send(&i).await
        }
    })
}

async fn enqueue(pool: &PgPool, order: &str, n: usize, action: Action) -> i64 {
    let i = Instruction {
        instruction_id: format!("{order}-{n}"),
        action,
        order_ref: order.into(),
        order: json!({"lines": [{"line_ref": format!("{order}-1"), "sku": "E-COM08", "qty": n}]}),
    };
    let key = i.instruction_id.clone();
    let mut job = NewJob::new("wms:rno", &SendInstructionToWms(i))
        .deduped_by(key)
        .ordered_by(order);
    // Enough attempts to outlast the outage below.
    job.max_attempts = Some(50);
    queue::enqueue(pool, &job).await.unwrap().unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_wms_outage_queues_releases_and_they_drain_in_order_once_it_is_back(pool: PgPool) {
    let (client, wms) = stand_in(Wms::default()).await;
    let orders: Vec<String> = (1..=8).map(|n| format!("S{n:05}")).collect();
    for order in &orders {
        enqueue(&pool, order, 1, Action::Release).await;
        enqueue(&pool, order, 2, Action::Amend).await;
        enqueue(&pool, order, 3, Action::Cancel).await;
    }
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner(client).run(pool.clone(), stop.clone()));
    // Down: the circuit opens rather than hammering the WMS.
    let mut opened = false;
    for _ in 0..200 {
        if circuits::circuit(&pool, "wms:rno").await.unwrap().state != "closed" {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(opened, "the circuit opened during the outage");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        wms.lock().unwrap().refused_while_down < 24,
        "an open circuit holds the queue back"
    );

    wms.lock().unwrap().up = true;
    let mut drained = false;
    for _ in 0..500 {
        if wms.lock().unwrap().applied.len() == 24 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert!(drained, "every instruction arrived after the outage");
    let wms = wms.lock().unwrap();
    assert_eq!(wms.duplicates, 0, "none twice");
    for order in &orders {
        let actions: Vec<&str> = wms
            .applied
            .iter()
            .filter(|(o, _, _)| o == order)
            .map(|(_, _, a)| a.as_str())
            .collect();
        assert_eq!(actions, vec!["release", "amend", "cancel"], "order {order}");
    }
}

#[tokio::test]
async fn a_refusal_is_final_with_the_answer_kept_and_throttling_waits() {
    let (client, wms) = stand_in(Wms {
        up: true,
        status: Some(422),
        ..Wms::default()
    })
    .await;
    let i = Instruction {
        instruction_id: "S00001-1".into(),
        action: Action::Release,
        order_ref: "S00001".into(),
        order: json!({}),
    };
    let error = client.send(&i).await.unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    assert!(error.message.contains("HTTP 422"), "{}", error.message);
    assert_eq!(
        error.record.response.unwrap()["body"]["error"],
        "no such SKU"
    );

    wms.lock().unwrap().status = Some(429);
    let error = client.send(&i).await.unwrap_err();
    assert_eq!(error.failure, Failure::Transient);
    assert_eq!(error.retry_after, Some(Duration::from_secs(9)));

    wms.lock().unwrap().status = None;
    client.send(&i).await.unwrap();
    let done = client
        .send(&i)
        .await
        .expect("a repeat the WMS saw before is done");
    assert_eq!(done.record.response.unwrap()["status"], 409);
    assert_eq!(wms.lock().unwrap().applied.len(), 1);
}
