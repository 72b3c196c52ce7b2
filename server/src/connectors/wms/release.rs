//! Sends one instruction (release, amend, cancel) to a WMS over HTTP: a JSON body in the
//! `milepost.release.v1` contract (`docs/wms-release.md`), the connector's credential, and an
//! `Idempotency-Key` naming the instruction, so a WMS that saw it before (our answer was lost, a
//! job ran again after a crash) can answer without doing it twice.

use crate::attempt::Done;
use crate::attempt::{retry_after_header, JobError};
use crate::connectors::http::{bounded_text, Targets};
use crate::store::jobs::queue::AttemptRecord;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

/// The contract's name, sent in every body.
pub const CONTRACT: &str = "milepost.release.v1";

#[derive(Clone, Debug)]
pub struct WmsConfig {
    /// Where instructions are POSTed, e.g. `https://wms.example.com/milepost/instructions`.
    pub url: String,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: SecretString,
    pub timeout: Duration,
    /// Public addresses only, unless an admin allowed a private network for this connector.
    pub targets: Targets,
}

/// What to tell the warehouse.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Release,
    Amend,
    Cancel,
}

/// A `wms.instruction` job's payload: the instruction, built when the job was enqueued from the
/// order as it was then.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Instruction {
    /// Unique per instruction; the WMS deduplicates on it.
    pub instruction_id: String,
    pub action: Action,
    pub order_ref: String,
    /// The order as the contract describes it (lines, ship-to, service); empty for a cancel.
    #[serde(default)]
    pub order: Value,
}

pub struct WmsClient {
    config: WmsConfig,
    http: reqwest::Client,
}

impl WmsClient {
    pub fn new(config: WmsConfig) -> reqwest::Result<Self> {
        let http = crate::connectors::http::client(config.timeout, config.targets)?;
        Ok(Self { config, http })
    }

    /// Sends the instruction. 2xx (and 409 "seen it before") is done; 408, 425, 429 and 5xx are
    /// retried (429 and 503 after their Retry-After); any other status is a dead letter with the
    /// WMS's answer kept.
    pub async fn send(&self, i: &Instruction) -> Result<Done, JobError> {
        let body = json!({
            "contract": CONTRACT,
            "instruction_id": i.instruction_id,
            "action": i.action,
            "order_ref": i.order_ref,
            "order": i.order,
            "sent_at": Utc::now().to_rfc3339(),
        });
        let mut record = AttemptRecord {
            request: Some(json!({"url": self.config.url, "body": body})),
            ..AttemptRecord::default()
        };
        let response = crate::correlation::tag(self.http.post(&self.config.url))
            .bearer_auth(self.config.token.expose_secret())
            .header("Idempotency-Key", &i.instruction_id)
            .json(&body)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                let why = if e.is_timeout() {
                    format!(
                        "the WMS did not answer within {} s",
                        self.config.timeout.as_secs()
                    )
                } else {
                    format!("the WMS could not be reached: {e}")
                };
                return Err(JobError::transient(why).with_record(record));
            }
        };
        let status = response.status().as_u16();
        let retry_after = retry_after_header(response.headers());
        let text = bounded_text(response).await.unwrap_or_default();
        let answer = serde_json::from_str::<Value>(&text)
            .unwrap_or_else(|_| Value::String(text.chars().take(2_000).collect()));
        record.response = Some(json!({"status": status, "body": answer}));
        if (200..300).contains(&status) || status == 409 {
            return Ok(Done { record });
        }
        let message = format!(
            "the WMS answered HTTP {status} to {:?} {} of {}",
            i.action, i.instruction_id, i.order_ref
        );
        Err(JobError::from_status(status, retry_after, message).with_record(record))
    }
}
