//! A warehouse stand-in: it takes release instructions (`docs/wms-release.md`) with a bearer
//! token, answers 409 to an `Idempotency-Key` it has seen, can be taken down (503) or made to
//! fail, and, when told where Milepost is, answers each release with the fulfillment story as
//! signed `milepost.wms.v1` webhooks (`docs/wms-contract.md`): acknowledged, allocated, picked,
//! packed and dispatched, some orders short-picked with the rest backordered. A carrier
//! (`super::carrier`) then takes each dispatched parcel to the door.

use super::carrier::Carrier;
use crate::signing;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the warehouse reports back, and how fast its story goes.
#[derive(Clone)]
pub struct Reporter {
    /// Milepost's webhook URL for the WMS connector (`…/api/v1/webhooks/<connector>`).
    pub webhook_url: String,
    /// The connector's `whsec_…` signing secret.
    pub secret: String,
    pub warehouse: String,
    /// The pause between two steps of an order's story.
    pub step: Duration,
    /// Every n-th order ships its last line short, the rest backordered (0: never).
    pub short_every: u64,
    /// SKUs shipped as another product: (ordered, substitute), reported as `line.substituted`
    /// after picking, the substitute's line then shipping in full.
    pub substitutions: Vec<(String, String)>,
    pub carrier: Option<Carrier>,
}

#[derive(Default)]
pub struct WmsState {
    pub token: String,
    /// Every instruction accepted, once each, in arrival order.
    pub accepted: Vec<Value>,
    /// Every request, repeats and refusals included.
    pub requests: usize,
    seen: HashSet<String>,
    /// Answers 503 with Retry-After 1 while down.
    pub down: bool,
    /// Statuses for the next requests.
    pub faults: VecDeque<u16>,
    releases: u64,
    /// How long each answer takes (so overlapping requests can be seen).
    pub latency: std::time::Duration,
    /// Requests being answered now, and the most there ever were at once.
    pub in_flight: usize,
    pub most_in_flight: usize,
}

#[derive(Clone)]
pub struct WmsStandIn {
    pub url: String,
    pub state: Arc<Mutex<WmsState>>,
    reporter: Option<Reporter>,
    http: reqwest::Client,
}

impl WmsStandIn {
    /// Serves on a free loopback port; reports back when given a `Reporter`.
    pub async fn start(token: &str, reporter: Option<Reporter>) -> std::io::Result<Self> {
        Self::serve(token, reporter, "127.0.0.1:0").await
    }

    pub async fn serve(
        token: &str,
        reporter: Option<Reporter>,
        addr: &str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}/milepost/instructions", listener.local_addr()?);
        let stand_in = WmsStandIn {
            url,
            state: Arc::new(Mutex::new(WmsState {
                token: token.into(),
                ..WmsState::default()
            })),
            reporter,
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route("/milepost/instructions", post(receive))
            .with_state(stand_in.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(stand_in)
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut WmsState) -> R) -> R {
        f(&mut self.state.lock().expect("the stand-in's state"))
    }

    /// Accepted instructions of one order, in arrival order: (action, instruction id).
    pub fn instructions_of(&self, order_ref: &str) -> Vec<(String, String)> {
        self.with(|s| {
            s.accepted
                .iter()
                .filter(|i| i["order_ref"] == order_ref)
                .map(|i| {
                    (
                        i["action"].as_str().unwrap_or_default().to_string(),
                        i["instruction_id"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
    }
}

struct InFlight<'a>(&'a WmsStandIn);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.with(|s| s.in_flight -= 1);
    }
}

async fn receive(
    State(wms): State<WmsStandIn>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let latency = wms.with(|s| {
        s.in_flight += 1;
        s.most_in_flight = s.most_in_flight.max(s.in_flight);
        s.latency
    });
    // Counted out when the answer is done or the client goes away mid-answer (the handler is
    // dropped then, past any code after the sleep).
    let _counted = InFlight(&wms);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let verdict = wms.with(|s| {
        s.requests += 1;
        if bearer.as_deref() != Some(s.token.as_str()) {
            return Err((StatusCode::UNAUTHORIZED, json!({"error": "bad token"})));
        }
        if s.down {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"error": "maintenance"}),
            ));
        }
        if let Some(status) = s.faults.pop_front() {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Err((status, json!({"error": "injected failure"})));
        }
        if body["contract"] != "milepost.release.v1" || body["order_ref"].as_str().is_none() {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "not a milepost.release.v1 instruction"}),
            ));
        }
        let Some(key) = key else {
            return Err((
                StatusCode::BAD_REQUEST,
                json!({"error": "Idempotency-Key is required"}),
            ));
        };
        if !s.seen.insert(key) {
            return Err((StatusCode::CONFLICT, json!({"error": "seen before"})));
        }
        s.accepted.push(body.clone());
        if body["action"] == "release" {
            s.releases += 1;
        }
        Ok(s.releases)
    });
    match verdict {
        Ok(n) => {
            if let (Some(reporter), "release") =
                (&wms.reporter, body["action"].as_str().unwrap_or(""))
            {
                tokio::spawn(tell_story(wms.http.clone(), reporter.clone(), body, n));
            }
            (StatusCode::ACCEPTED, Json(json!({"status": "accepted"}))).into_response()
        }
        Err((status, answer)) => {
            let mut response = (status, Json(answer)).into_response();
            if status == StatusCode::SERVICE_UNAVAILABLE {
                response
                    .headers_mut()
                    .insert("retry-after", "1".parse().expect("a header value"));
            }
            response
        }
    }
}

/// Posts one `milepost.wms.v1` message, signed, retrying a refused post a few times.
pub async fn post_signed(http: &reqwest::Client, url: &str, secret: &str, body: &Value) -> bool {
    let bytes = serde_json::to_vec(body).expect("JSON values serialize");
    let id = body["message_id"].as_str().unwrap_or("msg").to_string();
    for attempt in 0..5u64 {
        let ts = Utc::now().timestamp();
        let sent = http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header(
                "webhook-signature",
                signing::standard_webhooks(secret, &id, ts, &bytes),
            )
            .body(bytes.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) if r.status().is_client_error() => {
                tracing::warn!(status = %r.status(), "Milepost refused the warehouse's message");
                return false;
            }
            _ => tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await,
        }
    }
    false
}

/// The warehouse's side of one released order.
async fn tell_story(http: reqwest::Client, r: Reporter, release: Value, n: u64) {
    let order = release["order_ref"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let lines = release["order"]["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let short = r.short_every > 0 && n.is_multiple_of(r.short_every) && !lines.is_empty();
    let tracking = format!("1ZMP{:012}", n * 7919 % 1_000_000_000_000);
    let substitute_for = |sku: &Value| {
        r.substitutions
            .iter()
            .find(|(ordered, _)| sku == ordered.as_str())
            .map(|(_, substitute)| substitute.clone())
    };
    let mut substituted = Vec::new();
    let mut shipped: Vec<Value> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let qty = l["qty"].as_f64().unwrap_or(0.0);
        if let Some(substitute) = substitute_for(&l["sku"]) {
            let line_ref = format!("{}S", l["line_ref"].as_str().unwrap_or_default());
            substituted.push(json!({"line_ref": line_ref, "sku": substitute, "qty": qty,
                                    "substitute_of": l["line_ref"], "original_sku": l["sku"]}));
            shipped.push(
                json!({"line_ref": l["line_ref"], "sku": l["sku"], "qty_ordered": qty,
                                "qty_shipped": 0, "line_status": "substituted"}),
            );
            shipped.push(json!({"line_ref": line_ref, "sku": substitute, "qty_ordered": qty,
                                "qty_shipped": qty, "line_status": "complete", "substitute_of": l["line_ref"]}));
            continue;
        }
        let last = i + 1 == lines.len();
        let sent = if short && last {
            (qty - 1.0).max(0.0)
        } else {
            qty
        };
        let status = if sent < qty {
            "partial_backordered"
        } else {
            "complete"
        };
        shipped.push(json!({"line_ref": l["line_ref"], "sku": l["sku"], "qty_ordered": qty, "qty_shipped": sent,
                            "line_status": status}));
    }
    let mut steps: Vec<(&str, Value)> = vec![
        ("order.acknowledged", json!({})),
        ("order.allocated", json!({})),
        ("order.picked", json!({})),
    ];
    if !substituted.is_empty() {
        steps.push(("line.substituted", json!({"lines": substituted})));
    }
    steps.extend([
        ("order.packed", json!({})),
        (
            "shipment.dispatched",
            json!({"shipment": {"carrier": "UPS", "tracking_numbers": [tracking]}, "lines": shipped,
                   "is_final": !short}),
        ),
    ]);
    for (i, (kind, data)) in steps.into_iter().enumerate() {
        tokio::time::sleep(r.step).await;
        let message = json!({
            "contract": "milepost.wms.v1",
            "message_id": format!("{}-{order}-{i}", r.warehouse),
            "warehouse": r.warehouse,
            "events": [{"id": format!("{}-{order}-{kind}", r.warehouse), "type": kind, "order_ref": order,
                        "occurred_at": Utc::now().to_rfc3339(), "data": data}],
        });
        if !post_signed(&http, &r.webhook_url, &r.secret, &message).await {
            return;
        }
    }
    if let Some(carrier) = &r.carrier {
        carrier.carry(&tracking, n).await;
    }
}
