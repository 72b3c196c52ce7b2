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
    /// 404: no connector of this name.
    #[error("no connector named `{0}`")]
    UnknownConnector(String),
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
            IngestError::UnknownConnector(_) => StatusCode::NOT_FOUND,
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
            IngestError::UnknownConnector(_) => "unknown_connector",
            IngestError::TooLarge(_) => "too_large",
            IngestError::UnsupportedMediaType(_) => "unsupported_media_type",
            IngestError::Invalid { .. } => "invalid",
            IngestError::Internal => "internal",
        }
    }

    /// The JSON body a sender receives (and the inbox keeps with a rejected message).
    pub fn body(&self) -> Value {
        let details = match self {
            IngestError::Forbidden { details, .. } => details.clone(),
            IngestError::Invalid { location, .. } => json!({"location": location}),
            _ => json!({}),
        };
        json!({"error": {"code": self.code(), "message": self.to_string(), "details": details}})
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
        tracing::error!(error = %e, "ingest database error");
        IngestError::Internal
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if matches!(self, IngestError::Unauthorized(_)) {
            response
                .headers_mut()
                .insert("www-authenticate", http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
