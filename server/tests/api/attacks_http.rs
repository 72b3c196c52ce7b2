//! The ingest door under attack (issue 13): what an unauthenticated sender can make Milepost
//! store, read and answer; a partner whose X12 control numbers wrap; malformed input that must be
//! refused and kept, never a 500.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use server::ingest::setup::{create_key, CreatedConnector};
use server::signing;
use sqlx::PgPool;

const X945: &str = include_str!("../fixtures/x12/945_partial_backorder.edi");

/// A connector in the Pacific zone (the X12 fixtures' facility).
async fn connector(pool: &PgPool, name: &str, kind: &str, format: &str) -> CreatedConnector {
    crate::support::connector(pool, name, kind, format, Some("America/Los_Angeles")).await
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn an_unauthenticated_body_is_never_stored_only_its_size_and_hash(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    connector(&app.pool, "easypost", "carrier", "easypost").await;
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/webhooks/easypost"))
        .header("content-type", "application/json")
        .header("x-hmac-signature", "hmac-sha256-hex=00")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        count(&app.pool, "select count(*) from inbox_message").await,
        0
    );
    let (bytes, hashed): (i32, bool) =
        sqlx::query_as("select body_bytes, body_sha256 is not null from refused_request")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((bytes as usize, hashed), (big.len(), true));
}

#[sqlx::test(migrations = false)]
async fn a_wrong_url_token_is_refused_before_the_body_is_read(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    connector(&app.pool, "odoo", "erp", "odoo").await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/webhooks/odoo?token=guess"))
        .header("content-type", "application/json")
        .body("{\"_id\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        count(&app.pool, "select count(*) from inbox_message").await,
        0
    );
    assert_eq!(
        count(&app.pool, "select body_bytes::int8 from refused_request").await,
        0,
        "refused before a byte of the body was read"
    );
}

#[sqlx::test(migrations = false)]
async fn refusals_from_one_address_are_kept_only_up_to_its_allowance(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let client = reqwest::Client::new();
    let mut last = None;
    for _ in 0..35 {
        let res = client
            .post(app.url("/api/v1/webhooks/nobody"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        last = Some((res.status(), res.headers().get("retry-after").is_some()));
    }
    assert_eq!(last, Some((StatusCode::TOO_MANY_REQUESTS, true)));
    assert_eq!(
        count(&app.pool, "select count(*) from refused_request").await,
        30,
        "past the allowance nothing more is written"
    );
}

#[sqlx::test(migrations = false)]
async fn a_signature_timestamp_at_the_edge_of_i64_is_a_refusal_not_a_panic(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let created = connector(&app.pool, "acme-wms", "wms", "milepost_wms").await;
    let secret = created.signing_secret.unwrap();
    for ts in [i64::MIN, i64::MAX] {
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/webhooks/acme-wms"))
            .header("content-type", "application/json")
            .header("webhook-id", "msg_1")
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                signing::standard_webhooks(&secret, "msg_1", 0, b"{}"),
            )
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{ts}");
    }
}

async fn x12_setup(app: &TestApp) -> String {
    connector(&app.pool, "nplt-edi", "wms", "x12").await;
    create_key(&app.pool, "nplt-edi", "edi").await.unwrap().key
}

async fn post_edi(app: &TestApp, key: &str, body: &str) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/edi/nplt-edi"))
        .bearer_auth(key)
        .header("content-type", "application/edi-x12")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[sqlx::test(migrations = false)]
async fn a_reused_control_number_with_new_content_is_accepted_and_flagged(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let key = x12_setup(&app).await;
    let (status, first) = post_edi(&app, &key, X945).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    // Same sender, same control number (it wrapped), another order: new news.
    let wrapped = X945.replace("S00042", "S00077");
    let (status, second) = post_edi(&app, &key, &wrapped).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{second}");
    assert_eq!(second["redelivery"], false, "{second}");
    assert!(
        second["accepted"].as_u64().unwrap() > 0,
        "its events are stored: {second}"
    );
    assert_eq!(second["reuses_envelope_of"], first["inbox_message_id"]);
    assert_eq!(
        count(&app.pool, "select count(*) from interchange_conflict").await,
        1
    );
    // The very same interchange again is a redelivery.
    let (_, again) = post_edi(&app, &key, &wrapped).await;
    assert_eq!(again["redelivery"], true, "{again}");
    assert_eq!(again["inbox_message_id"], second["inbox_message_id"]);
}

#[sqlx::test(migrations = false)]
async fn an_interchange_stored_under_its_old_id_is_still_a_redelivery(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let key = x12_setup(&app).await;
    let (_, first) = post_edi(&app, &key, X945).await;
    // As stored before content keys: `sender:control`.
    sqlx::query(
        "update inbox_message set message_id = 'NPLT3PL:000006124' where inbox_message_id = $1",
    )
    .bind(first["inbox_message_id"].as_i64().unwrap())
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, again) = post_edi(&app, &key, X945).await;
    assert_eq!(again["redelivery"], true, "{again}");
    assert_eq!(again["inbox_message_id"], first["inbox_message_id"]);
}

#[sqlx::test(migrations = false)]
async fn a_body_that_trickles_in_is_cut_off_with_408_and_kept_as_rejected(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(pool, |s| {
        s.body_read_timeout = std::time::Duration::from_secs(1)
    })
    .await;
    let key = x12_setup(&app).await;
    let addr = app
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/edi/nplt-edi HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {key}\r\n\
         content-type: application/edi-x12\r\ncontent-length: {}\r\n\r\n",
        X945.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // A tenth of the body, then nothing: a slowloris holding the connection open.
    stream
        .write_all(&X945.as_bytes()[..X945.len() / 10])
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server never answered a stalled body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // The sender was authenticated: its refusal is kept for integrators (without the partial
    // bytes), and nothing was accepted.
    let (outcome, code, body_bytes): (String, String, i32) =
        sqlx::query_as("select outcome, error->'error'->>'code', length(body) from inbox_message")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (outcome.as_str(), code.as_str(), body_bytes),
        ("rejected", "incomplete", 0)
    );
}

#[sqlx::test(migrations = false)]
async fn a_nul_escape_in_json_is_refused_and_kept_not_a_500(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    connector(&app.pool, "erp", "erp", "canonical").await;
    let key = create_key(&app.pool, "erp", "t").await.unwrap().key;
    let body = r#"{"specversion": "1.0", "id": "x-\u0000-1", "source": "urn:x", "type": "order.created",
                   "subject": "order/S1", "time": "2026-03-02T08:00:00Z",
                   "data": {"order": {"erp_order_id": "S1\u0000"}}}"#;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&key)
        .header("content-type", "application/cloudevents+json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        count(
            &app.pool,
            "select count(*) from inbox_message where outcome = 'rejected'"
        )
        .await,
        1,
        "kept, rejected"
    );
}

#[sqlx::test(migrations = false)]
async fn live_updates_need_a_session_and_are_capped_per_user(pool: PgPool) {
    use app::domain::Role;
    let app = TestApp::spawn(pool).await;
    let anonymous = app.browser().get(app.url("/live")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let agent = app.signed_in(Role::Agent).await;
    let mut open = Vec::new();
    for _ in 0..server::http::live::STREAMS_PER_USER {
        let res = agent.get(app.url("/live")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        open.push(res);
    }
    let over = agent.get(app.url("/live")).send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(over.headers().contains_key("retry-after"));
    // Closing one frees its slot (the server notices at its next write: keep-alive or a change).
    drop(open.pop());
    let other = app.signed_in(Role::Agent).await;
    let res = other.get(app.url("/live")).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another user has their own allowance"
    );
}

#[sqlx::test(migrations = false)]
async fn a_database_outage_is_503_with_retry_after_not_500(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    connector(&app.pool, "erp", "erp", "canonical").await;
    let key = create_key(&app.pool, "erp", "t").await.unwrap().key;
    app.pool.close().await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/events"))
        .bearer_auth(&key)
        .header("content-type", "application/cloudevents+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("retry-after"));
}

#[sqlx::test(migrations = false)]
async fn secrets_stored_in_plain_text_before_are_sealed_by_migrate_and_still_work(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let created = connector(&app.pool, "acme-wms", "wms", "milepost_wms").await;
    let secret = created.signing_secret.unwrap();
    // As a database from before encryption holds it.
    sqlx::query("update connector set secrets = jsonb_build_object('signing_secret', $1::text) where name = 'acme-wms'")
        .bind(&secret)
        .execute(&app.pool)
        .await
        .unwrap();
    server::database::migrate(&app.pool).await.unwrap();
    let stored: String = sqlx::query_scalar(
        "select secrets->>'signing_secret' from connector where name = 'acme-wms'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(stored.starts_with("mpenc:v1:"), "{stored}");
    let body = r#"{"contract": "milepost.wms.v1", "message_id": "m-1", "events": [
        {"id": "w-1", "type": "order.picked", "order_ref": "S1", "occurred_at": "2026-03-02T10:00:00+01:00"}]}"#;
    let now = chrono::Utc::now().timestamp();
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/webhooks/acme-wms"))
        .header("content-type", "application/json")
        .header("webhook-id", "msg_1")
        .header("webhook-timestamp", now.to_string())
        .header(
            "webhook-signature",
            signing::standard_webhooks(&secret, "msg_1", now, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::ACCEPTED,
        "verified with the sealed secret"
    );
}
