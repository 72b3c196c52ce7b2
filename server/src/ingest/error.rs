//! The ingest API's errors: one status each, sent as `{"error": {"code", "message", "details"}}`.

use super::adapters::AdapterError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// 400: not UTF-8, not JSON, not an X12 envelope.
    #[error("{0}")]
    Malformed(String),
    /// 401: no key, a bad or revoked key, a bad signature or a stale timestamp.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the source may not emit this type, or the connector is disabled.
    #[error("{message}")]
    Forbidden { message: String, details: Value },
    /// 429: over a rate limit; `Retry-After` says when to come back.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_seconds: u32,
    },
    /// 503: the database is unreachable; nothing was stored, retry after `Retry-After`.
    #[error("the service is briefly unavailable; the message was not accepted, retry later")]
    Unavailable,
    /// 408: the body stopped arriving before it was whole (the body read timeout).
    #[error("{0}")]
    Incomplete(String),
    /// 413: the body or the batch is over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: a content type this endpoint does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: readable, but breaks a rule; `location` names the field, event or segment.
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
    /// 500: logged where it happened; the sender may retry (the message was not accepted).
    #[error("internal error; the message was not accepted, retry later")]
    Internal,
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        match self {
            IngestError::Malformed(_) => StatusCode::BAD_REQUEST,
            IngestError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            IngestError::Forbidden { .. } => StatusCode::FORBIDDEN,
            IngestError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            IngestError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::Incomplete(_) => StatusCode::REQUEST_TIMEOUT,
            IngestError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IngestError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            IngestError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Malformed(_) => "malformed",
            IngestError::Unauthorized(_) => "unauthorized",
            IngestError::Forbidden { .. } => "forbidden",
            IngestError::RateLimited { .. } => "rate_limited",
            IngestError::Unavailable => "unavailable",
            IngestError::Incomplete(_) => "incomplete",
            IngestError::TooLarge(_) => "too_large",
            IngestError::UnsupportedMediaType(_) => "unsupported_media_type",
            IngestError::Invalid { .. } => "invalid",
            IngestError::Internal => "internal",
        }
    }

    /// The JSON body a sender receives (and the inbox keeps with a rejected message). A NUL
    /// the sender's input put in a message is shown as U+FFFD: Postgres cannot store it, and
    /// the refusal must be kept.
    pub fn body(&self) -> Value {
        let clean = |s: &str| s.replace('\0', "\u{FFFD}");
        let details = match self {
            IngestError::Forbidden { details, .. } => {
                serde_json::from_str(&details.to_string().replace("\\u0000", "\\ufffd"))
                    .unwrap_or_default()
            }
            IngestError::Invalid { location, .. } => json!({"location": clean(location)}),
            _ => json!({}),
        };
        json!({"error": {"code": self.code(), "message": clean(&self.to_string()), "details": details}})
    }
}

impl From<AdapterError> for IngestError {
    fn from(e: AdapterError) -> Self {
        match e {
            AdapterError::Malformed(m) => IngestError::Malformed(m),
            AdapterError::TooMany { .. } => IngestError::TooLarge(e.to_string()),
            AdapterError::Invalid { location, message } => {
                IngestError::Invalid { location, message }
            }
        }
    }
}

impl From<sqlx::Error> for IngestError {
    fn from(e: sqlx::Error) -> Self {
        if app::services::db_error::is_unavailable(&e) {
            tracing::warn!(error = %e, "ingest database unavailable");
            return IngestError::Unavailable;
        }
        tracing::error!(error = %e, "ingest database error");
        IngestError::Internal
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        match self {
            IngestError::Unauthorized(_) => {
                headers.insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
            }
            IngestError::RateLimited {
                retry_after_seconds,
                ..
            } => {
                headers.insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(retry_after_seconds),
                );
            }
            IngestError::Unavailable => {
                headers.insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from(app::error::UNAVAILABLE_RETRY_SECONDS),
                );
            }
            _ => {}
        }
        response
    }
}
