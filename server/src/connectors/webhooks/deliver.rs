//! Delivers one event to one subscription (`jobs::DeliverWebhook`), signed with Standard
//! Webhooks (`webhook-id` = the event id, so a receiver deduplicates a retry or a replay;
//! `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `<id>.<timestamp>.<body>`). 2xx is delivered; 408, 429 and 5xx are retried with backoff
//! (never before Retry-After); any other answer is final. When a delivery gives up, the
//! subscription is paused with a notice saying why: never a silent stop.

use crate::attempt::{retry_after_header, Done, Failure, JobError};
use crate::signing;
use crate::store::jobs::queue::AttemptRecord;
use crate::store::webhooks;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// One event to one subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub subscription_id: i64,
    pub event_id: Uuid,
}

/// Which attempt this is, of how many: the last one that fails pauses the subscription.
#[derive(Debug, Clone, Copy)]
pub struct AttemptNumber {
    pub attempt: i32,
    pub of: i32,
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
            "data": e.data,
        }
    })
}

/// Sends the event, signed; pauses the subscription with a notice when this attempt gives up.
pub async fn deliver(
    pool: &PgPool,
    http: &reqwest::Client,
    p: &Delivery,
    n: AttemptNumber,
) -> Result<Done, JobError> {
    let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
    let Some((url, secret)) = webhooks::target(pool, p.subscription_id)
        .await
        .map_err(db)?
    else {
        return Err(JobError::fatal(format!(
            "subscription {} no longer exists",
            p.subscription_id
        )));
    };
    let Some(event) = webhooks::event(pool, p.event_id).await.map_err(db)? else {
        return Err(JobError::fatal(format!(
            "event {} is not stored",
            p.event_id
        )));
    };
    let bytes = serde_json::to_vec(&body(&event)).expect("JSON values serialize");
    let id = event.event_id.to_string();
    let ts = Utc::now().timestamp();
    let mut record = AttemptRecord {
        request: Some(json!({"url": url, "webhook-id": id, "type": event.event_type})),
        ..AttemptRecord::default()
    };
    let sent = http
        .post(&url)
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
            let text: String = r
                .text()
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
