//! Delivers one event to one subscription (`jobs::DeliverWebhook`), signed with Standard
//! Webhooks (`webhook-id` = the event id, so a receiver deduplicates a retry or a replay;
//! `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `<id>.<timestamp>.<body>`). 2xx is delivered; 408, 429 and 5xx are retried with backoff
//! (never before Retry-After); any other answer is final. When a delivery gives up, the
//! subscription is paused with a notice saying why: never a silent stop.

use crate::attempt::{retry_after_header, Done, Failure, JobError};
use crate::connectors::http::{bounded_text, check_url, client, Targets};
use crate::signing;
use crate::store::jobs::queue::AttemptRecord;
use crate::store::webhooks;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// The type of the delivery of a published monthly report (`--type` accepts it beside the
/// canonical event types).
pub const REPORT_PUBLISHED: &str = "report.published";

/// One event, or one published monthly report, to one subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub subscription_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<Uuid>,
    /// A `report.published` delivery (`report_snapshot`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_snapshot_id: Option<i64>,
}

/// What a delivery sends: its id (`webhook-id`), type, the account it is about and the body.
struct Message {
    id: String,
    event_type: String,
    account_id: Option<Uuid>,
    body: Value,
}

/// The message of a delivery: the stored event, or the published report.
async fn message(pool: &PgPool, p: &Delivery) -> Result<Message, JobError> {
    let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
    if let Some(report) = p.report_snapshot_id {
        let Some(r) = crate::store::sla::snapshots::published(pool, report)
            .await
            .map_err(db)?
        else {
            return Err(JobError::fatal(format!("report {report} is not published")));
        };
        return Ok(Message {
            // Stable per version, so a receiver deduplicates a retry or a replay.
            id: format!("report-{report}"),
            event_type: REPORT_PUBLISHED.into(),
            account_id: Some(r.account_id),
            body: report_body(report, &r),
        });
    }
    let Some(event_id) = p.event_id else {
        return Err(JobError::fatal(
            "a delivery names neither an event nor a report",
        ));
    };
    let Some(event) = webhooks::event(pool, event_id).await.map_err(db)? else {
        return Err(JobError::fatal(format!("event {event_id} is not stored")));
    };
    Ok(Message {
        id: event.event_id.to_string(),
        event_type: event.event_type.clone(),
        account_id: event.account_id,
        body: body(&event),
    })
}

/// The body of `report.published`: the month's figures as published, and for a revision what
/// changed (the printable report is on the portal).
pub fn report_body(id: i64, r: &crate::store::sla::snapshots::Published) -> Value {
    let figures: Vec<Value> = ["attainment", "kpis"]
        .iter()
        .filter_map(|k| r.report.get(*k).and_then(Value::as_array))
        .flatten()
        .map(|f| {
            json!({
                "key": f["key"], "label": f["label"], "met": f["met"], "of": f["of"],
                "percent": f["percent"], "percent_after_excusals": f["percent_after"],
            })
        })
        .collect();
    json!({
        "type": REPORT_PUBLISHED,
        "timestamp": Utc::now().to_rfc3339(),
        "data": {
            "report_id": id,
            "account": r.code,
            "month": r.month.format("%Y-%m").to_string(),
            "version": r.version,
            "revised": r.version > 1,
            "published_at": r.published_at.to_rfc3339(),
            "orders": r.report["orders"],
            "breaches": r.report["breaches"].as_array().map_or(0, Vec::len) as i64
                + r.report["more_breaches"].as_i64().unwrap_or(0),
            "figures": figures,
            "changes": r.changes,
        }
    })
}

/// Which attempt this is, of how many: the last one that fails pauses the subscription.
#[derive(Debug, Clone, Copy)]
pub struct AttemptNumber {
    pub attempt: i32,
    pub of: i32,
}

/// What of an event's data a subscriber may see, by event family: order references, promises,
/// service, line quantities, tracking, carrier, coarse location, delivery attempt and proof of
/// delivery facts. Everything else (ship-to addresses, customer details, internal WMS ids,
/// the source system's raw codes, proof-of-delivery photos and signatures, coordinates) stays
/// inside Milepost, as it does on the portal. A field is delivered only when it is listed.
const ALLOWED: &[(&str, &[&str])] = &[
    (
        "order.",
        &[
            "/order/erp_order_id",
            "/order/customer_po",
            "/promises/ship_by",
            "/promises/deliver_by",
            "/service/carrier",
            "/service/service_level",
            "/warehouse/code",
            "/reason/code",
            "/complete",
        ],
    ),
    (
        "line.",
        &[
            "/order/erp_order_id",
            "/line_ref",
            "/sku",
            "/substitute_sku",
            "/qty",
            "/reason/code",
        ],
    ),
    (
        "shipment.",
        &[
            "/order/erp_order_id",
            "/tracking_number",
            "/carrier",
            "/shipment/tracking_numbers",
            "/shipment/carrier_scac",
            "/attempt_number",
            "/reason/code",
            "/location/city",
            "/location/region",
            "/location/country",
            "/estimated_delivery",
            "/eta",
            "/pod/signed_by_present",
            "/pod/left_at",
        ],
    ),
];

/// The fields of each line a subscriber may see.
const LINE_FIELDS: &[&str] = &[
    "line_ref",
    "sku",
    "uom",
    "qty_ordered",
    "qty_shipped",
    "qty_backordered",
    "line_status",
];

/// The allow-listed part of `data` for an event of `event_type`.
pub fn visible_data(event_type: &str, data: &Value) -> Value {
    let mut out = Map::new();
    let pointers = ALLOWED
        .iter()
        .find(|(prefix, _)| event_type.starts_with(prefix))
        .map_or(&[][..], |(_, p)| *p);
    for pointer in pointers {
        if let Some(value) = data.pointer(pointer) {
            insert_at(&mut out, pointer, value.clone());
        }
    }
    if let Some(lines) = data.get("lines").and_then(Value::as_array) {
        let lines: Vec<Value> = lines
            .iter()
            .map(|line| {
                Value::Object(
                    LINE_FIELDS
                        .iter()
                        .filter_map(|f| line.get(*f).map(|v| (f.to_string(), v.clone())))
                        .collect(),
                )
            })
            .collect();
        out.insert("lines".into(), Value::Array(lines));
    }
    Value::Object(out)
}

/// Puts `value` at a JSON pointer in `out`, making the objects on the way.
fn insert_at(out: &mut Map<String, Value>, pointer: &str, value: Value) {
    let mut parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let last = parts.pop().unwrap_or_default();
    let mut here = out;
    for part in parts {
        let next = here
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(map) = next else { return };
        here = map;
    }
    here.insert(last.to_string(), value);
}

/// The body a subscriber receives.
pub fn body(e: &webhooks::DeliveredEvent) -> Value {
    json!({
        "type": e.event_type,
        "timestamp": Utc::now().to_rfc3339(),
        "data": {
            "event_id": e.event_id,
            "order_ref": e.order_ref,
            "tracking_number": e.tracking_number,
            "occurred_at": e.occurred_at.map(|t| t.to_rfc3339()),
            "recorded_at": e.recorded_at.to_rfc3339(),
            "data": visible_data(&e.event_type, &e.data),
        }
    })
}

/// Sends the event, signed; pauses the subscription with a notice when this attempt gives up.
/// The two clients deliveries use: public addresses only, and (for subscriptions an admin
/// allowed) private networks too. Neither follows redirects.
#[derive(Clone)]
pub struct WebhookClients {
    pub public: reqwest::Client,
    pub private: reqwest::Client,
}

impl WebhookClients {
    pub fn new(timeout: std::time::Duration) -> reqwest::Result<Self> {
        Ok(Self {
            public: client(timeout, Targets::PublicOnly)?,
            private: client(timeout, Targets::AllowPrivate)?,
        })
    }
}

pub async fn deliver(
    pool: &PgPool,
    clients: &WebhookClients,
    p: &Delivery,
    n: AttemptNumber,
) -> Result<Done, JobError> {
    let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
    let Some(target) = webhooks::target(pool, p.subscription_id)
        .await
        .map_err(db)?
    else {
        return Err(JobError::fatal(format!(
            "subscription {} no longer exists",
            p.subscription_id
        )));
    };
    let message = message(pool, p).await?;
    // Checked at delivery, whatever enqueued it (an edited replay included): a message goes only
    // to subscriptions of its own account. Not a fault of the endpoint: no pause.
    if message.account_id != Some(target.account_id) {
        tracing::warn!(subscription = p.subscription_id, message = %message.id, "refused a delivery across accounts");
        return Err(JobError::fatal(format!(
            "{} {} is not about this subscription's account; not delivered",
            message.event_type, message.id
        )));
    }
    let url = target.url;
    let targets = Targets::allowing_private(target.allow_private_network);
    if let Err(why) = check_url(&url, targets) {
        return Err(JobError::fatal(why));
    }
    let http = if targets == Targets::AllowPrivate {
        &clients.private
    } else {
        &clients.public
    };
    let secret = crate::secrets::keyring()
        .open(&target.secret)
        .map_err(|e| JobError::fatal(format!("subscription {}: {e}", p.subscription_id)))?;
    let bytes = serde_json::to_vec(&message.body).expect("JSON values serialize");
    let id = message.id;
    let ts = Utc::now().timestamp();
    let mut record = AttemptRecord {
        request: Some(json!({"url": url, "webhook-id": id, "type": message.event_type})),
        ..AttemptRecord::default()
    };
    let sent = crate::correlation::tag(http.post(&url))
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            signing::standard_webhooks(&secret, &id, ts, &bytes),
        )
        .body(bytes)
        .send()
        .await;
    let error = match sent {
        Err(e) => JobError::transient(format!("{url} could not be reached: {e}")),
        Ok(r) => {
            let status = r.status().as_u16();
            let retry_after = retry_after_header(r.headers());
            let text: String = bounded_text(r)
                .await
                .unwrap_or_default()
                .chars()
                .take(500)
                .collect();
            record.response = Some(json!({"status": status, "body": text}));
            if (200..300).contains(&status) {
                return Ok(Done { record });
            }
            JobError::from_status(status, retry_after, format!("{url} answered HTTP {status}"))
        }
    }
    .with_record(record);
    let gives_up = error.failure == Failure::Fatal || n.attempt >= n.of;
    if gives_up {
        let reason = format!(
            "paused by Milepost at {}: {} (after {} attempt(s)); fix the endpoint, then resume and replay",
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
            error.message,
            n.attempt
        );
        let mut tx = pool.begin().await.map_err(db)?;
        webhooks::pause(&mut tx, p.subscription_id, &reason)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        tracing::warn!(subscription = p.subscription_id, %reason, "customer webhook paused");
    }
    Err(error)
}
