//! The ingest API end to end: fixtures through HTTP into the event store and the projections,
//! each rule of DESIGN §3, and every bad input answered clearly with nothing half-applied.

use crate::support;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use server::ingest::setup::{create_key, rotate_key};
use server::signing;
use sqlx::PgPool;
use support::{connector, TestApp};

const EXAMPLES: &str = include_str!("../fixtures/canonical/examples.jsonl");
const X945: &str = include_str!("../fixtures/x12/945_partial_backorder.edi");
const X214: &str = include_str!("../fixtures/x12/214_ltl_multistop.edi");
const EASYPOST: &str = include_str!("../fixtures/carriers/easypost_tracker_updated.json");
const SHIPHERO_SHIPMENT: &str = include_str!("../fixtures/wms/shiphero_shipment_update.json");
const ODOO: &str = include_str!("../fixtures/odoo/webhook_received.jsonl");

struct Setup {
    app: TestApp,
    client: Client,
    erp_key: String,
    wms_key: String,
    carrier_key: String,
}

async fn setup(pool: PgPool) -> Setup {
    let app = TestApp::spawn(pool).await;
    for (name, kind) in [("erp", "erp"), ("wms", "wms"), ("carrier", "carrier")] {
        connector(&app.pool, name, kind, "canonical", None).await;
    }
    let erp_key = create_key(&app.pool, "erp", "test").await.unwrap().key;
    let wms_key = create_key(&app.pool, "wms", "test").await.unwrap().key;
    let carrier_key = create_key(&app.pool, "carrier", "test").await.unwrap().key;
    Setup {
        app,
        client: Client::new(),
        erp_key,
        wms_key,
        carrier_key,
    }
}

impl Setup {
    async fn post(
        &self,
        key: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Response {
        self.client
            .post(self.app.url("/api/v1/events"))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn event(&self, key: &str, event: &Value) -> Response {
        self.post(key, "application/cloudevents+json", event.to_string())
            .await
    }

    /// Folds what the ingest queued, as the server's workers do right after each commit.
    async fn settle(&self) {
        server::projector::drain(&self.app.pool).await.unwrap();
    }

    async fn count(&self, sql: &str) -> i64 {
        self.settle().await;
        sqlx::query_scalar(sql)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }
}

fn example(i: usize) -> Value {
    serde_json::from_str(EXAMPLES.lines().nth(i).unwrap()).unwrap()
}

/// The order S00042 as the ERP creates it (the examples start at its release).
fn order_created() -> Value {
    json!({"specversion": "1.0", "id": "odoo-S00042-created", "source": "urn:acme:erp:odoo", "type": "order.created",
           "subject": "order/S00042", "time": "2026-03-02T08:00:00Z",
           "data": {"order": {"erp_order_id": "S00042", "customer_po": "PO-7781"}, "customer": {"name": "Jane Doe"},
                    "lines": [{"line_ref": "S00042-1", "sku": "MUG-BLU-12", "qty_ordered": 4, "uom": "EA"},
                              {"line_ref": "S00042-2", "sku": "MUG-RED-12", "qty_ordered": 2, "uom": "EA"}]}})
}

async fn error_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json::<Value>().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn the_canonical_examples_build_the_order_and_its_timeline(pool: PgPool) {
    let s = setup(pool).await;
    assert_eq!(
        s.event(&s.erp_key, &order_created()).await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        s.event(&s.erp_key, &example(0)).await.status(),
        StatusCode::ACCEPTED
    );
    let wms_batch = Value::Array(vec![example(1), example(2)]).to_string();
    let response = s
        .post(&s.wms_key, "application/cloudevents-batch+json", wms_batch)
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(
        (receipt["accepted"].as_u64(), receipt["duplicates"].as_u64()),
        (Some(2), Some(0))
    );
    assert_eq!(receipt["event_ids"].as_array().unwrap().len(), 2);
    for i in [3, 4] {
        assert_eq!(
            s.event(&s.carrier_key, &example(i)).await.status(),
            StatusCode::ACCEPTED
        );
    }
    s.settle().await;
    let (status, warehouse, carrier_events): (String, Option<String>, i64) = sqlx::query_as(
        r#"select o.status, o.warehouse_code, (select count(*) from event e where e.tracking_number = '1Z000000000000001')
           from "order" o where o.order_ref = 'S00042'"#,
    )
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    // Delivered, but one line is backordered: the order is not complete.
    assert_eq!(status, "partially_shipped");
    assert_eq!(warehouse.as_deref(), Some("3PL-RENO"));
    assert_eq!(
        carrier_events, 3,
        "the dispatch and both carrier events name the parcel"
    );
    let short: (f64, f64, String) = sqlx::query_as(
        r#"select qty_shipped::float8, qty_short::float8, line_status from order_line l join "order" o using (order_id)
           where o.order_ref = 'S00042' and l.line_ref = 'S00042-2'"#,
    )
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    assert_eq!(short, (1.0, 1.0, "partial_backordered".to_string()));
    assert_eq!(
        s.count("select count(*) from event where disposition = 'applied'")
            .await,
        6
    );
    assert_eq!(
        s.count("select count(*) from order_exception where closed_by_event is null")
            .await,
        1,
        "the short pick stays open"
    );
    assert_eq!(
        s.count("select count(*) from shipment where status = 'delivered' and signed_by = 'J DOE'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn the_same_message_twice_is_stored_once_and_reported_as_a_duplicate(pool: PgPool) {
    let s = setup(pool).await;
    let first: Value = s
        .event(&s.erp_key, &order_created())
        .await
        .json()
        .await
        .unwrap();
    let again = s.event(&s.erp_key, &order_created()).await;
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 1);
    assert_eq!(again["redelivery"], true);
    assert_eq!(again["event_ids"], first["event_ids"]);
    assert_eq!(s.count("select count(*) from event").await, 1);
    assert_eq!(
        s.count("select delivery_count::int8 from inbox_message")
            .await,
        2
    );
}

#[sqlx::test(migrations = false)]
async fn the_same_event_in_another_message_is_kept_as_a_duplicate(pool: PgPool) {
    let s = setup(pool).await;
    s.event(&s.erp_key, &order_created()).await;
    let batch = Value::Array(vec![order_created(), example(0)]).to_string();
    let receipt: Value = s
        .post(&s.erp_key, "application/cloudevents-batch+json", batch)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (receipt["accepted"].as_u64(), receipt["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    s.settle().await;
    let reason: String =
        sqlx::query_scalar("select disposition_reason from event where disposition = 'duplicate'")
            .fetch_one(&s.app.pool)
            .await
            .unwrap();
    assert!(reason.starts_with("the same event as"), "{reason}");
}

#[sqlx::test(migrations = false)]
async fn a_late_scan_is_superseded_and_never_moves_delivery_back(pool: PgPool) {
    let s = setup(pool).await;
    s.event(&s.erp_key, &order_created()).await;
    s.event(&s.wms_key, &example(2)).await;
    s.event(&s.carrier_key, &example(4)).await;
    let mut late = example(3);
    late["id"] = json!("late-in-transit");
    late["type"] = json!("shipment.in_transit");
    late["time"] = json!("2026-03-08T09:00:00Z");
    assert_eq!(
        s.event(&s.carrier_key, &late).await.status(),
        StatusCode::ACCEPTED
    );
    s.settle().await;
    let (disposition, reason): (String, String) = sqlx::query_as(
        "select disposition, disposition_reason from event where external_id = 'late-in-transit'",
    )
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    assert_eq!(disposition, "superseded");
    assert!(reason.contains("already delivered"), "{reason}");
    assert_eq!(
        s.count("select count(*) from shipment where status = 'delivered'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn events_before_their_order_wait_and_apply_when_it_arrives(pool: PgPool) {
    let s = setup(pool).await;
    s.event(&s.wms_key, &example(2)).await;
    s.event(&s.carrier_key, &example(4)).await;
    assert_eq!(s.count(r#"select count(*) from "order""#).await, 0);
    assert_eq!(
        s.count("select count(*) from event where disposition = 'pending'")
            .await,
        2
    );
    s.event(&s.erp_key, &order_created()).await;
    assert_eq!(
        s.count("select count(*) from event where disposition = 'applied'")
            .await,
        3
    );
    assert_eq!(
        s.count("select count(*) from shipment where status = 'delivered'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn a_source_may_not_emit_what_it_does_not_own(pool: PgPool) {
    let s = setup(pool).await;
    let (status, body) = error_of(s.event(&s.wms_key, &example(4)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(body["error"]["details"]["owner"], "carrier");
    assert_eq!(s.count("select count(*) from event").await, 0);
    assert_eq!(
        s.count("select count(*) from inbox_message where outcome = 'rejected'")
            .await,
        1
    );
}

#[sqlx::test(migrations = false)]
async fn a_missing_time_stays_unknown_and_a_time_without_offset_is_refused(pool: PgPool) {
    let s = setup(pool).await;
    let mut untimed = order_created();
    untimed.as_object_mut().unwrap().remove("time");
    assert_eq!(
        s.event(&s.erp_key, &untimed).await.status(),
        StatusCode::ACCEPTED
    );
    s.settle().await;
    let (occurred, provenance): (Option<chrono::DateTime<chrono::Utc>>, String) =
        sqlx::query_as("select occurred_at, time_provenance from event")
            .fetch_one(&s.app.pool)
            .await
            .unwrap();
    assert_eq!(
        (occurred, provenance.as_str()),
        (None, "unknown"),
        "the ingest time never stands in"
    );

    let mut naive = order_created();
    naive["id"] = json!("naive");
    naive["time"] = json!("2026-03-02T08:00:00");
    let (status, body) = error_of(s.event(&s.erp_key, &naive).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["location"], "time");
}

#[sqlx::test(migrations = false)]
async fn malformed_bodies_and_wrong_content_types_are_refused_and_kept(pool: PgPool) {
    let s = setup(pool).await;
    let (status, body) = error_of(
        s.post(&s.erp_key, "application/cloudevents+json", "{not json")
            .await,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    let (status, _) = error_of(
        s.post(
            &s.erp_key,
            "application/cloudevents+json",
            vec![0xff, 0xfe, 0x00],
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = error_of(s.post(&s.erp_key, "text/csv", "a,b").await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    assert_eq!(
        s.count("select count(*) from inbox_message where outcome = 'rejected'")
            .await,
        3
    );
    let kept: Vec<u8> =
        sqlx::query_scalar("select body from inbox_message order by inbox_message_id limit 1")
            .fetch_one(&s.app.pool)
            .await
            .unwrap();
    assert_eq!(kept, b"{not json", "the raw bytes are kept as sent");
    assert_eq!(s.count("select count(*) from event").await, 0);
}

#[sqlx::test(migrations = false)]
async fn limits_on_body_size_and_batch_length_hold(pool: PgPool) {
    let s = setup(pool).await;
    let huge = vec![b' '; server::ingest::http::BODY_LIMIT + 1];
    let (status, body) = error_of(
        s.post(&s.erp_key, "application/cloudevents+json", huge)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large"))
    );
    let many: Vec<Value> = (0..1001)
        .map(|i| {
            let mut e = order_created();
            e["id"] = json!(format!("e{i}"));
            e
        })
        .collect();
    let (status, body) = error_of(
        s.post(
            &s.erp_key,
            "application/cloudevents-batch+json",
            Value::Array(many).to_string(),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("1001"),
        "{body}"
    );
    assert_eq!(s.count("select count(*) from event").await, 0);
}

#[sqlx::test(migrations = false)]
async fn one_bad_event_refuses_the_whole_batch(pool: PgPool) {
    let s = setup(pool).await;
    let mut bad = example(0);
    bad["id"] = json!("bad");
    bad.as_object_mut().unwrap().remove("source");
    let batch = Value::Array(vec![order_created(), bad]).to_string();
    let (status, body) = error_of(
        s.post(&s.erp_key, "application/cloudevents-batch+json", batch)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["location"], "event 1: source");
    assert_eq!(s.count("select count(*) from event").await, 0);
    assert_eq!(s.count(r#"select count(*) from "order""#).await, 0);
}

#[sqlx::test(migrations = false)]
async fn keys_are_checked_revoked_and_rotated_with_a_grace_period(pool: PgPool) {
    let s = setup(pool).await;
    let (status, body) = error_of(
        s.client
            .post(s.app.url("/api/v1/events"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (status, _) = error_of(s.event("mpk_000000000000_nope", &order_created()).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let prefix = &s.erp_key[..16];
    let rotated = rotate_key(&s.app.pool, prefix, chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        s.event(&s.erp_key, &order_created()).await.status(),
        StatusCode::ACCEPTED,
        "the old key works in its grace period"
    );
    assert_eq!(
        s.event(&rotated.key, &example(0)).await.status(),
        StatusCode::ACCEPTED
    );
    assert!(
        server::store::api_keys::revoke(&s.app.pool, &rotated.prefix)
            .await
            .unwrap()
    );
    // Servers cache keys and forget them when the revocation's notification arrives: the
    // revoked key is refused as soon as it is heard (milliseconds), never accepted after.
    let mut refused = None;
    for _ in 0..100 {
        let response = s.event(&rotated.key, &example(0)).await;
        if response.status() != StatusCode::ACCEPTED {
            refused = Some(error_of(response).await);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, body) = refused.expect("the revoked key is refused once the change is heard");
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("revoked"));
    let (status, _) = error_of(s.event(&rotated.key, &example(1)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and stays refused");
    let used: i64 = s
        .count("select count(*) from api_key where last_used_at is not null")
        .await;
    assert!(used >= 2, "last use is recorded");
}

#[sqlx::test(migrations = false)]
async fn x12_interchanges_flow_in_with_a_connector_key(pool: PgPool) {
    let s = setup(pool).await;
    connector(
        &s.app.pool,
        "nplt-edi",
        "wms",
        "x12",
        Some("America/Los_Angeles"),
    )
    .await;
    connector(
        &s.app.pool,
        "nmtf-edi",
        "carrier",
        "x12",
        Some("America/Chicago"),
    )
    .await;
    let wms_key = create_key(&s.app.pool, "nplt-edi", "edi")
        .await
        .unwrap()
        .key;
    let carrier_key = create_key(&s.app.pool, "nmtf-edi", "edi")
        .await
        .unwrap()
        .key;
    let post = |name: &str, key: &str, body: String| {
        s.client
            .post(s.app.url(&format!("/api/v1/edi/{name}")))
            .bearer_auth(key)
            .header("content-type", "application/edi-x12")
            .body(body)
            .send()
    };
    s.event(&s.erp_key, &order_created()).await;
    assert_eq!(
        post("nplt-edi", &wms_key, X945.into())
            .await
            .unwrap()
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        s.count("select count(*) from order_line where line_status = 'partial_backordered'")
            .await,
        1
    );
    assert_eq!(
        post("nmtf-edi", &carrier_key, X214.into())
            .await
            .unwrap()
            .status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        s.count("select count(*) from event where source like 'urn:milepost:x12:nmtf-edi'")
            .await,
        3
    );

    let (status, body) = error_of(post("nplt-edi", &carrier_key, X945.into()).await.unwrap()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "another connector's key"
    );
    let truncated = X945[..X945.len() - 40].to_string();
    let (status, body) = error_of(post("nplt-edi", &wms_key, truncated).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let miscounted = X945.replace("SE*15*0001", "SE*99*0001");
    let (status, body) = error_of(post("nplt-edi", &wms_key, miscounted).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["details"]["location"]
            .as_str()
            .unwrap()
            .contains("(SE)"),
        "{body}"
    );
    let unknown_set = X945.replace("ST*945*0001", "ST*810*0001");
    let (status, body) = error_of(post("nplt-edi", &wms_key, unknown_set).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("810"),
        "{body}"
    );
    // Another connector's key is refused at the door (metadata only); the three others are
    // authenticated senders' mistakes, kept whole.
    assert_eq!(
        s.count("select count(*) from inbox_message where outcome = 'rejected'")
            .await,
        3
    );
    assert_eq!(s.count("select count(*) from refused_request").await, 1);
}

#[sqlx::test(migrations = false)]
async fn provider_webhooks_are_verified_over_the_raw_body(pool: PgPool) {
    let s = setup(pool).await;
    let easypost = connector(&s.app.pool, "easypost", "carrier", "easypost", None).await;
    let secret = easypost.signing_secret.unwrap();
    let send = |signature: String| {
        s.client
            .post(s.app.url("/api/v1/webhooks/easypost"))
            .header("content-type", "application/json")
            .header("x-hmac-signature", signature)
            .body(EASYPOST)
            .send()
    };
    let (status, body) = error_of(
        send(signing::easypost("wrong secret", EASYPOST.as_bytes()))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let ok = send(signing::easypost(&secret, EASYPOST.as_bytes()))
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::ACCEPTED);
    let receipt: Value = ok.json().await.unwrap();
    assert_eq!(receipt["accepted"], 3);

    let shiphero = connector(
        &s.app.pool,
        "shiphero",
        "wms",
        "shiphero",
        Some("America/Los_Angeles"),
    )
    .await;
    let signature = signing::hmac_base64(
        &shiphero.signing_secret.unwrap(),
        SHIPHERO_SHIPMENT.as_bytes(),
    );
    let response = s
        .client
        .post(s.app.url("/api/v1/webhooks/shiphero"))
        .header("content-type", "application/json")
        .header("x-shiphero-webhook-signature", &signature)
        .body(SHIPHERO_SHIPMENT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let missing = s
        .client
        .post(s.app.url("/api/v1/webhooks/shiphero"))
        .header("content-type", "application/json")
        .body(SHIPHERO_SHIPMENT)
        .send()
        .await
        .unwrap();
    let (missing_status, missing_body) = error_of(missing).await;
    assert_eq!(missing_status, StatusCode::UNAUTHORIZED);
    let unknown = s
        .client
        .post(s.app.url("/api/v1/webhooks/nobody"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(unknown).await;
    assert_eq!(
        (status, &body),
        (missing_status, &missing_body),
        "an unknown connector is answered exactly as a bad signature: names stay secret"
    );
    let reasons: Vec<String> = sqlx::query_scalar(
        "select reason from refused_request where body_sha256 is null order by refused_request_id",
    )
    .fetch_all(&s.app.pool)
    .await
    .unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("missing x-shiphero-webhook-signature"))
            && reasons
                .iter()
                .any(|r| r.contains("no connector is named nobody")),
        "integrators see the real reasons: {reasons:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn standard_webhooks_check_signature_and_timestamp(pool: PgPool) {
    let s = setup(pool).await;
    let created = connector(&s.app.pool, "acme-wms", "wms", "milepost_wms", None).await;
    let secret = created.signing_secret.unwrap();
    let body = json!({"contract": "milepost.wms.v1", "message_id": "m-1", "events": [
        {"id": "w-1", "type": "order.picked", "order_ref": "S00042", "occurred_at": "2026-03-02T10:00:00+01:00"}]})
    .to_string();
    let send = |timestamp: i64, signature: String| {
        s.client
            .post(s.app.url("/api/v1/webhooks/acme-wms"))
            .header("content-type", "application/json")
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.clone())
            .send()
    };
    let now = chrono::Utc::now().timestamp();
    let stale = now - 3600;
    let (status, error) = error_of(
        send(
            stale,
            signing::standard_webhooks(&secret, "msg_1", stale, body.as_bytes()),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let reason: String = sqlx::query_scalar(
        "select reason from refused_request order by refused_request_id desc limit 1",
    )
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    assert!(
        reason.contains("stale")
            && error["error"]["message"] == server::ingest::http::NOT_AUTHENTICATED,
        "{reason} / {error}"
    );
    let ok = send(
        now,
        signing::standard_webhooks(&secret, "msg_1", now, body.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::ACCEPTED);
    assert_eq!(
        s.count("select count(*) from event where disposition = 'pending'")
            .await,
        1,
        "kept until S00042 arrives"
    );
}

#[sqlx::test(migrations = false)]
async fn odoo_webhooks_authenticate_with_the_url_token(pool: PgPool) {
    let s = setup(pool).await;
    let created = connector(&s.app.pool, "odoo", "erp", "odoo", None).await;
    let token = created.url_token.unwrap();
    let mut accepted = 0;
    for line in ODOO.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let body = record["body"].as_str().unwrap().to_string();
        let response = s
            .client
            .post(s.app.url(&format!("/api/v1/webhooks/odoo?token={token}")))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        accepted += 1;
    }
    assert_eq!(accepted, ODOO.lines().count());
    // Identical payloads Odoo fired twice are one message.
    let distinct: i64 = s
        .count("select count(distinct body) from inbox_message")
        .await;
    assert_eq!(
        s.count("select count(*) from inbox_message").await,
        distinct
    );
    assert_eq!(s.count(r#"select count(*) from "order" where order_ref = 'S00028' and customer_po = 'EXT-ORDER-3003'"#).await, 1);
    let wrong = s
        .client
        .post(s.app.url("/api/v1/webhooks/odoo?token=nope"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = false)]
async fn unknown_codes_are_kept_and_listed_for_mapping(pool: PgPool) {
    let s = setup(pool).await;
    let created = connector(&s.app.pool, "shiphero", "wms", "shiphero", None).await;
    let body = json!({"webhook_type": "Order Teleported", "partner_order_id": "S1"}).to_string();
    let response = s
        .client
        .post(s.app.url("/api/v1/webhooks/shiphero"))
        .header("content-type", "application/json")
        .header(
            "x-shiphero-webhook-signature",
            signing::hmac_base64(&created.signing_secret.unwrap(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        s.count("select count(*) from unknown_code where code = 'Order Teleported'")
            .await,
        1
    );
    assert_eq!(
        s.count("select count(*) from inbox_message where outcome = 'accepted'")
            .await,
        1,
        "the message itself is kept"
    );
}

#[sqlx::test(migrations = false)]
async fn a_disabled_connector_is_refused(pool: PgPool) {
    let s = setup(pool).await;
    sqlx::query("update connector set enabled = false where name = 'erp'")
        .execute(&s.app.pool)
        .await
        .unwrap();
    let (status, body) = error_of(s.event(&s.erp_key, &order_created()).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disabled"));
}

#[sqlx::test(migrations = false)]
async fn the_openapi_document_describes_every_ingest_route_and_status(pool: PgPool) {
    let s = setup(pool).await;
    let doc: Value = s
        .client
        .get(s.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    assert_eq!(
        documented,
        vec![
            "/api/v1/edi/{connector}",
            "/api/v1/events",
            "/api/v1/webhooks/{connector}"
        ]
    );
    for (path, item) in paths {
        let statuses: Vec<&str> = item["post"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for status in ["202", "400", "401", "403", "413", "415", "422"] {
            assert!(statuses.contains(&status), "{path} documents {status}");
        }
    }
    // Every documented route answers something other than 404/405 (it is really routed).
    for path in ["/api/v1/events", "/api/v1/webhooks/x", "/api/v1/edi/x"] {
        let status = s
            .client
            .post(s.app.url(path))
            .send()
            .await
            .unwrap()
            .status();
        assert!(status != StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
}

#[sqlx::test(migrations = false)]
async fn the_workers_fold_an_accepted_message_right_after_it_commits(pool: PgPool) {
    let s = setup(pool).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let workers = tokio::spawn(server::workers::run(s.app.pool.clone(), stop.clone()));
    assert_eq!(
        s.event(&s.erp_key, &order_created()).await.status(),
        StatusCode::ACCEPTED
    );
    let mut folded = false;
    for _ in 0..100 {
        let orders: i64 =
            sqlx::query_scalar(r#"select count(*) from "order" where order_ref = 'S00042'"#)
                .fetch_one(&s.app.pool)
                .await
                .unwrap();
        if orders == 1 {
            folded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(folded, "the projector folded the order without being asked");
    let (disposition,): (String,) = sqlx::query_as("select disposition from event")
        .fetch_one(&s.app.pool)
        .await
        .unwrap();
    assert_eq!(disposition, "applied");
    stop.cancel();
    workers.await.unwrap().unwrap();
}

#[sqlx::test(migrations = false)]
async fn the_same_event_sent_twice_at_once_is_stored_once(pool: PgPool) {
    let s = setup(pool).await;
    let batch = |other: &str| {
        let mut extra = example(0);
        extra["id"] = json!(other);
        Value::Array(vec![order_created(), extra]).to_string()
    };
    let (a, b) = tokio::join!(
        s.post(
            &s.erp_key,
            "application/cloudevents-batch+json",
            batch("extra-a")
        ),
        s.post(
            &s.erp_key,
            "application/cloudevents-batch+json",
            batch("extra-b")
        ),
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(
        s.count("select count(*) from event where external_id = 'odoo-S00042-created' and disposition <> 'duplicate'").await,
        1
    );
    assert_eq!(
        s.count("select count(*) from event where external_id = 'odoo-S00042-created'")
            .await,
        2
    );
    assert_eq!(s.count("select count(*) from event_key").await, 3);
}
