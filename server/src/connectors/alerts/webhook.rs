//! Alert digests to a webhook, signed the way customer webhooks are (Standard Webhooks:
//! `webhook-id`, `webhook-timestamp`, `webhook-signature` over `id.timestamp.body`), with either
//! Milepost's JSON body or a Slack-compatible one (`{"text": …}`, what Slack's incoming webhooks
//! and the chat servers that copy them take; docs/OPERATIONS.md cites the pages).

use super::Digest;
use crate::connectors::http::{bounded_text, client, Targets};
use crate::signing;
use chrono::Utc;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::Duration;

/// How the body is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"type": "alert.digest", "digest_id", "title", "notices": [...], "alerts_url"}`.
    Milepost,
    /// `{"text": "<title and one line per notice>"}`.
    Slack,
}

#[derive(Clone)]
pub struct WebhookChannel {
    pub url: String,
    /// A Standard Webhooks secret (`whsec_` and base64).
    pub secret: SecretString,
    pub format: WebhookFormat,
    client: reqwest::Client,
}

impl std::fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookChannel")
            .field("url", &self.url)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

/// The longest a digest's webhook call may take.
const TIMEOUT: Duration = Duration::from_secs(15);

impl WebhookChannel {
    /// The operator configured the address, so private networks are allowed (an internal chat
    /// server); redirects are still not followed.
    pub fn new(url: String, secret: SecretString, format: WebhookFormat) -> reqwest::Result<Self> {
        Ok(Self {
            url,
            secret,
            format,
            client: client(TIMEOUT, Targets::AllowPrivate)?,
        })
    }

    pub fn body(&self, digest: &Digest, alerts_url: &str) -> Value {
        match self.format {
            WebhookFormat::Milepost => json!({
                "type": "alert.digest",
                "digest_id": digest.digest_id,
                "title": digest.title(),
                "firing": digest.firing(),
                "resolved": digest.resolved(),
                "notices": digest.notices,
                "alerts_url": alerts_url,
            }),
            WebhookFormat::Slack => json!({ "text": digest.text(alerts_url) }),
        }
    }

    pub async fn send(&self, digest: &Digest, alerts_url: &str) -> Result<(), String> {
        let bytes = serde_json::to_vec(&self.body(digest, alerts_url)).expect("JSON serializes");
        // The digest's id, so a receiver that sees a retry can drop it.
        let id = format!("alert-digest-{}", digest.digest_id);
        let ts = Utc::now().timestamp();
        let signature = signing::standard_webhooks(self.secret.expose_secret(), &id, ts, &bytes);
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", ts.to_string())
            .header("webhook-signature", signature)
            .body(bytes)
            .send()
            .await
            .map_err(|e| format!("{} could not be reached: {e}", self.url))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let text: String = bounded_text(response)
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        Err(format!("{} answered HTTP {status}: {text}", self.url))
    }
}
