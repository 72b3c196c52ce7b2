//! The Odoo client against a stand-in that answers with the bodies and statuses recorded from a
//! real Odoo 19 (`fixtures/odoo/10_errors.json`, copied from the shared recordings), plus the
//! network's own failures: each is read as retry-later or give-up, and the exchange is kept
//! without the credentials.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use secrecy::SecretString;
use serde_json::{json, Map, Value};
use server::attempt::{Failure, JobError};
use server::connectors::odoo::client::{OdooClient, OdooConfig, OdooError, Protocol};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The next answer the stand-in gives, and the last request body it saw.
#[derive(Default)]
struct Script {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
    seen: Option<(String, Value, Option<String>)>,
}

type Shared = Arc<Mutex<Script>>;

async fn answer(
    State(script): State<Shared>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let (status, extra, reply, delay) = {
        let mut s = script.lock().unwrap();
        s.seen = Some((
            uri.path().to_string(),
            serde_json::from_str(&body).unwrap_or(Value::Null),
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ));
        (s.status, s.headers.clone(), s.body.clone(), s.delay)
    };
    tokio::time::sleep(delay).await;
    let mut response = (StatusCode::from_u16(status).unwrap(), reply).into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

async fn stand_in() -> (String, Shared) {
    let script: Shared = Arc::default();
    let app = Router::new()
        .route("/jsonrpc", post(answer))
        .route("/json/2/{model}/{method}", post(answer))
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, script)
}

fn client(base: &str, json2: bool) -> OdooClient {
    OdooClient::new(OdooConfig {
        base_url: base.to_string(),
        database: "odoo_probe".into(),
        protocol: if json2 {
            Protocol::Json2 {
                api_key: SecretString::from("key-0123456789".to_string()),
            }
        } else {
            Protocol::JsonRpc {
                uid: 2,
                secret: SecretString::from("s3cret-password".to_string()),
            }
        },
        timeout: Duration::from_millis(500),
        targets: server::connectors::http::Targets::AllowPrivate,
    })
    .unwrap()
}

fn play(script: &Shared, status: u16, body: &Value) {
    let mut s = script.lock().unwrap();
    s.status = status;
    s.body = body.to_string();
    s.headers.clear();
    s.delay = Duration::ZERO;
}

fn kwargs(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn every_recorded_odoo_error_is_read_as_odoo_meant_it() {
    let recorded: Vec<Value> =
        serde_json::from_str(include_str!("../fixtures/odoo/10_errors.json")).unwrap();
    let (base, script) = stand_in().await;
    let mut checked = 0;
    for entry in &recorded {
        let response = &entry["response"];
        let status = entry["http_status"].as_u64().unwrap() as u16;
        let json2 = entry["api"] == "json2";
        let failure = if json2 {
            response.get("name").cloned()
        } else {
            response.pointer("/error/data/name").cloned()
        };
        play(&script, status, response);
        let result = client(&base, json2)
            .call(
                "sale.order",
                "write",
                Some(&[999_999]),
                kwargs(json!({"vals": {}})),
            )
            .await;
        match failure {
            None => {
                let (value, _) = result.expect("a recorded success is a success");
                let expected = if json2 { response } else { &response["result"] };
                assert_eq!(&value, expected, "{}", entry["label"]);
            }
            Some(name) => {
                let failed = result.expect_err("a recorded error is an error");
                let OdooError::Exception {
                    name: got, message, ..
                } = &failed.error
                else {
                    panic!("{}: {:?}", entry["label"], failed.error);
                };
                assert_eq!(got, name.as_str().unwrap(), "{}", entry["label"]);
                assert!(!message.is_empty());
                // Only a database Odoo cannot reach is worth retrying; the rest is the call's fault.
                let transient = got == "psycopg2.OperationalError";
                assert_eq!(failed.error.is_transient(), transient, "{}", entry["label"]);
                let job_error = JobError::from(failed);
                assert_eq!(
                    job_error.failure,
                    if transient {
                        Failure::Transient
                    } else {
                        Failure::Fatal
                    }
                );
                assert!(job_error.record.response.is_some(), "the answer is kept");
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 20,
        "the recording has its 22 exchanges ({checked})"
    );
}

#[tokio::test]
async fn json_rpc_sends_execute_kw_and_keeps_no_secret_in_the_log() {
    let (base, script) = stand_in().await;
    play(
        &script,
        200,
        &json!({"jsonrpc": "2.0", "id": 1, "result": true}),
    );
    let (result, record) = client(&base, false)
        .call(
            "stock.picking",
            "write",
            Some(&[22]),
            kwargs(json!({"vals": {"carrier_tracking_ref": "1Z999AA10123456784"}})),
        )
        .await
        .unwrap();
    assert_eq!(result, json!(true));
    let (path, body, _) = script.lock().unwrap().seen.clone().unwrap();
    assert_eq!(path, "/jsonrpc");
    assert_eq!(
        body["params"]["args"],
        json!(["odoo_probe", 2, "s3cret-password", "stock.picking", "write", [[22]],
               {"vals": {"carrier_tracking_ref": "1Z999AA10123456784"}}])
    );
    let logged = record.request.unwrap().to_string();
    assert!(!logged.contains("s3cret"), "{logged}");
    assert!(logged.contains("***"));
}

#[tokio::test]
async fn json2_sends_kwargs_and_ids_with_a_bearer_key() {
    let (base, script) = stand_in().await;
    play(&script, 200, &json!([{"id": 25, "name": "S00025"}]));
    let (result, record) = client(&base, true)
        .call(
            "sale.order",
            "search_read",
            None,
            kwargs(json!({"domain": [["name", "=", "S00025"]], "fields": ["name"]})),
        )
        .await
        .unwrap();
    assert_eq!(result[0]["name"], "S00025");
    let (path, body, auth) = script.lock().unwrap().seen.clone().unwrap();
    assert_eq!(path, "/json/2/sale.order/search_read");
    assert_eq!(body["domain"], json!([["name", "=", "S00025"]]));
    assert_eq!(auth.as_deref(), Some("Bearer key-0123456789"));
    assert!(!record.request.unwrap().to_string().contains("key-0123"));

    play(&script, 200, &json!(true));
    client(&base, true)
        .call("sale.order", "action_confirm", Some(&[27]), Map::new())
        .await
        .unwrap();
    let (_, body, _) = script.lock().unwrap().seen.clone().unwrap();
    assert_eq!(body, json!({"ids": [27]}));
}

#[tokio::test]
async fn throttling_outages_and_silence_are_retried_later() {
    let (base, script) = stand_in().await;
    // 429 with Retry-After: transient, and the wait is carried to the retry policy.
    play(&script, 429, &json!("slow down"));
    script
        .lock()
        .unwrap()
        .headers
        .push(("retry-after", "7".to_string()));
    let error = JobError::from(
        client(&base, true)
            .call("sale.order", "search_read", None, Map::new())
            .await
            .unwrap_err(),
    );
    assert_eq!(error.failure, Failure::Transient);
    assert_eq!(error.retry_after, Some(Duration::from_secs(7)));

    // A proxy's 502 page, not Odoo's JSON.
    {
        let mut s = script.lock().unwrap();
        s.status = 502;
        s.body = "<html>Bad Gateway</html>".into();
        s.headers.clear();
    }
    let failed = client(&base, false)
        .call("sale.order", "read", Some(&[1]), Map::new())
        .await
        .unwrap_err();
    assert!(matches!(failed.error, OdooError::Http { status: 502, .. }));
    assert!(failed.error.is_transient());

    // Odoo's own 500 on JSON-2, and a LockError's 409.
    for status in [500, 409] {
        play(
            &script,
            status,
            &json!({"name": "odoo.exceptions.LockError", "message": "locked"}),
        );
        let failed = client(&base, true)
            .call("stock.picking", "button_validate", Some(&[22]), Map::new())
            .await
            .unwrap_err();
        assert!(failed.error.is_transient(), "{status}");
    }

    // No answer in time.
    play(&script, 200, &json!(true));
    script.lock().unwrap().delay = Duration::from_secs(2);
    let failed = client(&base, true)
        .call("sale.order", "read", Some(&[1]), Map::new())
        .await
        .unwrap_err();
    assert!(
        matches!(failed.error, OdooError::Timeout(_)),
        "{:?}",
        failed.error
    );
    assert!(failed.error.is_transient());

    // Nobody listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let failed = client(&closed, false)
        .call("sale.order", "read", Some(&[1]), Map::new())
        .await
        .unwrap_err();
    assert!(matches!(failed.error, OdooError::Unreachable(_)));
    assert!(failed.error.is_transient());
}

#[tokio::test]
async fn an_answer_that_is_not_odoos_is_refused_clearly() {
    let (base, script) = stand_in().await;
    {
        let mut s = script.lock().unwrap();
        s.status = 200;
        s.body = "<html>login page</html>".into();
        s.headers.clear();
    }
    let failed = client(&base, false)
        .call("sale.order", "read", Some(&[1]), Map::new())
        .await
        .unwrap_err();
    assert!(matches!(failed.error, OdooError::Unreadable(_)));
    assert!(failed.error.to_string().contains("not JSON"));
    assert!(!failed.error.is_transient());
    play(&script, 200, &json!({"jsonrpc": "2.0", "id": 1}));
    let failed = client(&base, false)
        .call("sale.order", "read", Some(&[1]), Map::new())
        .await
        .unwrap_err();
    assert!(failed
        .error
        .to_string()
        .contains("neither result nor error"));
}
