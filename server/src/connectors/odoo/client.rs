//! Calls Odoo and classifies what went wrong. Both protocols take the same call: a model, a
//! method, the record ids for record methods, and keyword arguments (`domain`, `fields`,
//! `vals_list`, `vals`, `context`...); JSON-RPC sends them through `execute_kw`, JSON-2 as the body.
//!
//! Odoo's failures, as recorded from Odoo 19: JSON-RPC answers HTTP 200 with
//! `{"error": {"code": 0, "data": {"name": "odoo.exceptions.…", "message": …}}}`; JSON-2 answers
//! real statuses (401, 403, 404, 409, 422, 500) with `{"name", "message", …}` bare. Validation,
//! access and missing-record errors are fatal (retrying cannot help; the job is dead and kept);
//! timeouts, refused connections, 429, 5xx, lock conflicts and database trouble are transient.

use crate::attempt::{retry_after_header, JobError};
use crate::connectors::http::{bounded_text, Targets};
use crate::store::jobs::queue::AttemptRecord;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// Which of Odoo's external APIs to use.
#[derive(Clone, Debug)]
pub enum Protocol {
    /// `/jsonrpc` with `execute_kw(db, uid, secret, …)`; the secret is a password or an API key.
    JsonRpc { uid: i64, secret: SecretString },
    /// `/json/2/…` with `Authorization: bearer <API key>` (Odoo 19 and later).
    Json2 { api_key: SecretString },
}

#[derive(Clone, Debug)]
pub struct OdooConfig {
    /// e.g. `https://erp.example.com`
    pub base_url: String,
    pub database: String,
    pub protocol: Protocol,
    pub timeout: Duration,
    /// Public addresses only, unless an admin allowed a private network for this connector.
    pub targets: Targets,
}

/// Exceptions whose cause is the call itself: retrying the same call gives the same answer.
const FATAL_EXCEPTIONS: &[&str] = &[
    "odoo.exceptions.AccessDenied",
    "odoo.exceptions.AccessError",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.UserError",
    "odoo.exceptions.RedirectWarning",
    "builtins.AttributeError",
    "builtins.ValueError",
    "builtins.TypeError",
    "builtins.KeyError",
    "werkzeug.exceptions.Unauthorized",
    "werkzeug.exceptions.Forbidden",
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.UnprocessableEntity",
    "werkzeug.exceptions.BadRequest",
];

/// A failed call, as Odoo (or the network) reported it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OdooError {
    #[error("Odoo could not be reached: {0}")]
    Unreachable(String),
    #[error("Odoo did not answer within {0} s")]
    Timeout(u64),
    /// An Odoo exception (`name` is its Python class, e.g. `odoo.exceptions.ValidationError`).
    #[error("{name}: {message}")]
    Exception {
        status: u16,
        name: String,
        message: String,
    },
    /// An HTTP failure without Odoo's error body (a proxy's 502, a 429).
    #[error("Odoo answered HTTP {status}")]
    Http {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("Odoo's answer could not be read: {0}")]
    Unreadable(String),
    /// JSON-2 asked of an Odoo without it (before 19): a setting to change, not a call to retry.
    #[error("this Odoo has no JSON-2 API (HTTP 404 at /json/2/): JSON-2 came with Odoo 19; for Odoo 17 or 18 set \"protocol\": \"jsonrpc\" with the integration user's \"uid\"")]
    NoJson2,
}

impl OdooError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable(_) | Self::Timeout(_) => true,
            Self::Http { status, .. } => matches!(status, 408 | 409 | 425 | 429) || *status >= 500,
            Self::Exception { status, name, .. } => {
                if FATAL_EXCEPTIONS.contains(&name.as_str()) {
                    return false;
                }
                // 409 is Odoo's LockError; 5xx and unknown exceptions (a lost database connection,
                // a serialization failure) may pass.
                *status == 409 || *status >= 500 || *status == 200
            }
            Self::Unreadable(_) | Self::NoJson2 => false,
        }
    }
}

/// A call and its failure, with what was sent and answered (credentials left out).
#[derive(Debug, Clone)]
pub struct Failed {
    pub error: OdooError,
    pub record: AttemptRecord,
}

impl From<Failed> for JobError {
    fn from(failed: Failed) -> Self {
        let retry_after = match &failed.error {
            OdooError::Http { retry_after, .. } => *retry_after,
            _ => None,
        };
        let message = failed.error.to_string();
        let error = if failed.error.is_transient() {
            JobError::transient(message)
        } else {
            JobError::fatal(message)
        };
        JobError {
            retry_after,
            ..error.with_record(failed.record)
        }
    }
}

pub struct OdooClient {
    config: OdooConfig,
    http: reqwest::Client,
}

impl OdooClient {
    pub fn new(config: OdooConfig) -> Result<Self, OdooError> {
        let http = crate::connectors::http::client(config.timeout, config.targets)
            .map_err(|e| OdooError::Unreachable(e.to_string()))?;
        Ok(Self { config, http })
    }

    /// A client for fetching files on this connector's behalf (a carrier's proof-of-delivery
    /// image): the same timeout and the same network rules as the calls to Odoo.
    pub fn file_client(&self) -> reqwest::Result<reqwest::Client> {
        crate::connectors::http::client(self.config.timeout, self.config.targets)
    }

    /// Where this Odoo serves, e.g. `https://erp.example.com` (for links in notes).
    pub fn base_url(&self) -> &str {
        self.config.base_url.trim_end_matches('/')
    }

    /// The network rules this connector's calls follow.
    pub fn targets(&self) -> crate::connectors::http::Targets {
        self.config.targets
    }

    /// Calls `model.method` on `ids` (for record methods) with keyword arguments; returns the
    /// result and the exchange, for the attempt log.
    pub async fn call(
        &self,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        kwargs: Map<String, Value>,
    ) -> Result<(Value, AttemptRecord), Failed> {
        let base = self.config.base_url.trim_end_matches('/');
        let (url, body, shown) = match &self.config.protocol {
            Protocol::JsonRpc { uid, secret } => {
                let args = ids.map(|ids| json!([ids])).unwrap_or(json!([]));
                let call = |secret: &str| {
                    json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
                        "service": "object", "method": "execute_kw",
                        "args": [self.config.database, uid, secret, model, method, args, kwargs]}})
                };
                (
                    format!("{base}/jsonrpc"),
                    call(secret.expose_secret()),
                    call("***"),
                )
            }
            Protocol::Json2 { .. } => {
                let mut body = kwargs.clone();
                if let Some(ids) = ids {
                    body.insert("ids".into(), json!(ids));
                }
                let body = Value::Object(body);
                (
                    format!("{base}/json/2/{model}/{method}"),
                    body.clone(),
                    body,
                )
            }
        };
        let mut record = AttemptRecord {
            request: Some(json!({"url": url, "body": shown})),
            ..AttemptRecord::default()
        };
        let fail = |error: OdooError, record: &AttemptRecord| Failed {
            error,
            record: record.clone(),
        };
        let mut request = crate::correlation::tag(self.http.post(&url).json(&body));
        if let Protocol::Json2 { api_key } = &self.config.protocol {
            request = request
                .bearer_auth(api_key.expose_secret())
                .header("X-Odoo-Database", &self.config.database);
        }
        let transport = |e: reqwest::Error| {
            let error = if e.is_timeout() {
                OdooError::Timeout(self.config.timeout.as_secs())
            } else {
                OdooError::Unreachable(e.to_string())
            };
            fail(error, &record)
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = retry_after_header(response.headers());
        let text = bounded_text(response).await.map_err(transport)?;
        let answer: Option<Value> = serde_json::from_str(&text).ok();
        record.response = Some(
            json!({"status": status, "body": answer.clone().unwrap_or(Value::String(text.chars().take(2_000).collect()))}),
        );
        let exception = |e: &Value, status: u16| OdooError::Exception {
            status,
            name: e["name"].as_str().unwrap_or("unknown").to_string(),
            message: e["message"].as_str().unwrap_or_default().to_string(),
        };
        match (&self.config.protocol, status, answer) {
            (Protocol::JsonRpc { .. }, 200, Some(mut a)) => {
                if let Some(error) = a.get("error") {
                    return Err(fail(exception(&error["data"], 200), &record));
                }
                match a.get_mut("result") {
                    Some(result) => Ok((result.take(), record)),
                    None => Err(fail(
                        OdooError::Unreadable(
                            "a JSON-RPC answer with neither result nor error".into(),
                        ),
                        &record,
                    )),
                }
            }
            (Protocol::Json2 { .. }, 200, Some(a)) => Ok((a, record)),
            (_, 200, None) => Err(fail(
                OdooError::Unreadable(format!(
                    "not JSON: {}",
                    text.chars().take(200).collect::<String>()
                )),
                &record,
            )),
            (_, status, Some(a)) if a.get("name").is_some() => {
                Err(fail(exception(&a, status), &record))
            }
            (Protocol::Json2 { .. }, 404, None) => Err(fail(OdooError::NoJson2, &record)),
            (_, status, _) => Err(fail(
                OdooError::Http {
                    status,
                    retry_after,
                },
                &record,
            )),
        }
    }
}
