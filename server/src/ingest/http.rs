//! The ingest API under `/api/v1`: canonical events, provider webhooks and X12 interchanges.
//! Bearer keys or provider signatures, never cookies: these routes sit outside the session and
//! CSRF layers. Each answer is sent only after the message is committed.

use super::adapters::{self, canonical, AdapterError, Format, Parsed};
use super::connector::Connector;
use super::directory::{Directory, KnownConnector};
use super::error::IngestError;
use super::pipeline::{self, Inbound, Receipt};
use super::writer::Writer;
use super::{api_keys, openapi, signature};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use sqlx::PgPool;
use std::sync::Arc;

/// The largest body accepted, in bytes: a full batch of 1,000 events fits with room to spare.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Headers kept with each message: useful to an integrator, never credentials.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "x-request-id",
    "webhook-id",
    "webhook-timestamp",
    "x-shiphero-message-id",
];

/// What the ingest handlers share: the pool for reads and refusals, the writer for accepted
/// messages.
#[derive(Clone)]
pub struct IngestState {
    pub pool: PgPool,
    pub writer: Writer,
    pub directory: Directory,
}

/// The ingest routes, with their own state; starts the group-commit writer on the current runtime.
pub fn router<S: Clone + Send + Sync + 'static>(pool: PgPool) -> Router<S> {
    let writer = Writer::start(pool.clone());
    let directory = Directory::start(pool.clone());
    Router::new()
        .route("/api/v1/events", post(events))
        .route("/api/v1/webhooks/{connector}", post(webhook))
        .route("/api/v1/edi/{connector}", post(edi))
        .route("/api/v1/openapi.json", get(openapi::document))
        .with_state(IngestState {
            pool,
            writer,
            directory,
        })
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// `202 Accepted` with what was stored.
fn accepted(receipt: Receipt) -> Response {
    (StatusCode::ACCEPTED, Json(receipt)).into_response()
}

fn kept_headers(headers: &HeaderMap) -> Value {
    let kept: Map<String, Value> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((name.to_string(), Value::String(value.to_string())))
        })
        .collect();
    Value::Object(kept)
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
}

async fn load_connector(state: &IngestState, name: &str) -> Result<Arc<Connector>, IngestError> {
    let found = state
        .directory
        .connector(name)
        .await?
        .ok_or_else(|| IngestError::UnknownConnector(name.to_string()))?;
    usable(&found)
}

/// A stored connector this server can use; one it cannot is a configuration error, logged.
fn usable(connector: &KnownConnector) -> Result<Arc<Connector>, IngestError> {
    connector.clone().map_err(|e| {
        tracing::error!(error = %e, "connector misconfigured");
        IngestError::Internal
    })
}

/// Reads the body up to the limit. Past it, the sender gets 413 and the inbox keeps a rejected
/// entry with the headers (not the oversized bytes).
async fn read_body(body: Body) -> Result<Bytes, IngestError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        IngestError::TooLarge(format!(
            "the body is over the {} MiB limit",
            BODY_LIMIT / (1024 * 1024)
        ))
    })
}

/// Everything after authentication is the same for each endpoint: refusals are kept in the
/// inbox; the rest goes through the pipeline.
struct Request<'a> {
    state: &'a IngestState,
    connector: &'a Connector,
    headers: &'a HeaderMap,
    header_message_id: Option<String>,
}

impl Request<'_> {
    fn inbound<'b>(&'b self, body: &'b [u8], content_type: Option<&'b str>) -> Inbound<'b> {
        Inbound {
            connector: self.connector,
            body,
            content_type,
            headers: kept_headers(self.headers),
            header_message_id: self.header_message_id.clone(),
            received_at: Utc::now(),
        }
    }

    async fn refuse(&self, body: &[u8], error: IngestError) -> Response {
        let content_type = content_type(self.headers);
        match pipeline::reject(
            &self.state.pool,
            &self.inbound(body, content_type.as_deref()),
            &error,
        )
        .await
        {
            Ok(_) => error.into_response(),
            Err(e) => e.into_response(),
        }
    }

    async fn ingest(&self, body: &[u8], parsed: Result<Parsed, AdapterError>) -> Response {
        let content_type = content_type(self.headers);
        match pipeline::ingest(
            &self.state.writer,
            &self.inbound(body, content_type.as_deref()),
            parsed,
        )
        .await
        {
            Ok(receipt) => accepted(receipt),
            Err(e) => e.into_response(),
        }
    }
}

/// `POST /api/v1/events`: canonical CloudEvents, one or a batch, from the key's connector.
#[utoipa::path(post, path = "/api/v1/events", tag = "ingest",
    request_body(content = Value, description = "One CloudEvent (application/cloudevents+json) or an array of up to 1,000 (application/cloudevents-batch+json)",
                 content_type = "application/cloudevents+json"),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Stored and committed", body = openapi::ReceiptDoc),
        (status = 400, description = "Malformed: not UTF-8 or not JSON", body = openapi::ErrorDoc),
        (status = 401, description = "No key, or an unknown, revoked or expired key", body = openapi::ErrorDoc),
        (status = 403, description = "The connector may not emit this event type", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB or batch over 1,000 events", body = openapi::ErrorDoc),
        (status = 415, description = "Not a CloudEvents JSON content type", body = openapi::ErrorDoc),
        (status = 422, description = "An event breaks a rule; details name the event and field", body = openapi::ErrorDoc)))]
pub async fn events(State(state): State<IngestState>, headers: HeaderMap, body: Body) -> Response {
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let connector = match api_keys::authenticate(&state.directory, authorization)
        .await
        .and_then(|found| usable(&found.connector))
    {
        Ok(connector) => connector,
        Err(e) => return e.into_response(),
    };
    let request = Request {
        state: &state,
        connector: &connector,
        headers: &headers,
        header_message_id: None,
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return request.refuse(b"", e).await,
    };
    if !connector.enabled {
        return request.refuse(&body, disabled(&connector)).await;
    }
    let parsed = match content_type(&headers).as_deref() {
        Some("application/cloudevents+json") => canonical::parse_single(&body).map(|e| vec![e]),
        Some("application/cloudevents-batch+json") => {
            canonical::parse_batch(&body, canonical::BATCH_LIMIT)
        }
        other => {
            let error = IngestError::UnsupportedMediaType(format!(
                "send application/cloudevents+json (one event) or application/cloudevents-batch+json (a batch), not {}",
                other.unwrap_or("no content type")
            ));
            return request.refuse(&body, error).await;
        }
    };
    let parsed = parsed
        .map(|events| Parsed {
            events,
            ..Parsed::default()
        })
        .map_err(AdapterError::from);
    request.ingest(&body, parsed).await
}

fn disabled(connector: &Connector) -> IngestError {
    IngestError::Forbidden {
        message: format!("connector {} is disabled", connector.name),
        details: serde_json::json!({"connector": connector.name}),
    }
}

/// `POST /api/v1/webhooks/{connector}`: the connector's own provider format, authenticated by
/// the provider's signature scheme (or a URL token where the provider signs nothing).
#[utoipa::path(post, path = "/api/v1/webhooks/{connector}", tag = "ingest",
    params(("connector" = String, Path, description = "The connector's name"),
           ("token" = Option<String>, Query, description = "The URL token, for Odoo and Shippo connectors")),
    request_body(content = Value, description = "The provider's webhook body, as it sends it", content_type = "application/json"),
    responses(
        (status = 202, description = "Stored and committed", body = openapi::ReceiptDoc),
        (status = 400, description = "Malformed: not UTF-8 or not JSON", body = openapi::ErrorDoc),
        (status = 401, description = "Missing or wrong signature or token, or a stale timestamp", body = openapi::ErrorDoc),
        (status = 403, description = "The connector is disabled or may not emit this event type", body = openapi::ErrorDoc),
        (status = 404, description = "No connector of this name", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB", body = openapi::ErrorDoc),
        (status = 415, description = "Not JSON", body = openapi::ErrorDoc),
        (status = 422, description = "Readable but wrong; details name the field", body = openapi::ErrorDoc)))]
pub async fn webhook(
    State(state): State<IngestState>,
    Path(name): Path<String>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let connector = match load_connector(&state, &name).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let mut request = Request {
        state: &state,
        connector: &connector,
        headers: &headers,
        header_message_id: None,
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return request.refuse(b"", e).await,
    };
    if connector.format == Format::X12 {
        let error = IngestError::UnsupportedMediaType(format!(
            "connector {name} reads X12: POST it to /api/v1/edi/{name}"
        ));
        return request.refuse(&body, error).await;
    }
    match content_type(&headers).as_deref() {
        Some(t) if t == "application/json" || t.ends_with("+json") => {}
        other => {
            let error = IngestError::UnsupportedMediaType(format!(
                "send application/json, not {}",
                other.unwrap_or("no content type")
            ));
            return request.refuse(&body, error).await;
        }
    }
    match signature::verify(
        &connector,
        &headers,
        query.token.as_deref(),
        &body,
        Utc::now(),
    ) {
        Ok(id) => request.header_message_id = id,
        Err(e) => return request.refuse(&body, e).await,
    }
    if !connector.enabled {
        return request.refuse(&body, disabled(&connector)).await;
    }
    let parsed = adapters::parse(connector.format, &connector.origin, &body);
    request.ingest(&body, parsed).await
}

/// `POST /api/v1/edi/{connector}`: one ANSI X12 interchange (214, 945 or 856 sets), with a key
/// of that connector.
#[utoipa::path(post, path = "/api/v1/edi/{connector}", tag = "ingest",
    params(("connector" = String, Path, description = "The X12 connector's name")),
    request_body(content = String, description = "One X12 004010 interchange", content_type = "application/edi-x12"),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Stored and committed", body = openapi::ReceiptDoc),
        (status = 400, description = "Not UTF-8, or not an ISA envelope", body = openapi::ErrorDoc),
        (status = 401, description = "No key, or an unknown, revoked or expired key", body = openapi::ErrorDoc),
        (status = 403, description = "The key belongs to another connector, or the connector is disabled", body = openapi::ErrorDoc),
        (status = 404, description = "No connector of this name", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB", body = openapi::ErrorDoc),
        (status = 415, description = "Not application/edi-x12 or text/plain", body = openapi::ErrorDoc),
        (status = 422, description = "Truncated, miscounted, or an unsupported transaction set; details name the segment", body = openapi::ErrorDoc)))]
pub async fn edi(
    State(state): State<IngestState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let connector = match load_connector(&state, &name).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let request = Request {
        state: &state,
        connector: &connector,
        headers: &headers,
        header_message_id: None,
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return request.refuse(b"", e).await,
    };
    match api_keys::authenticate(&state.directory, authorization).await {
        Ok(found) if found.key.connector_id == connector.id => {}
        Ok(_) => {
            let error = IngestError::Forbidden {
                message: format!("this API key belongs to another connector, not {name}"),
                details: serde_json::json!({"connector": name}),
            };
            return request.refuse(&body, error).await;
        }
        Err(e) => return request.refuse(&body, e).await,
    }
    if connector.format != Format::X12 {
        let error =
            IngestError::UnsupportedMediaType(format!("connector {name} does not read X12"));
        return request.refuse(&body, error).await;
    }
    match content_type(&headers).as_deref() {
        Some("application/edi-x12" | "application/edi" | "text/plain") => {}
        other => {
            let error = IngestError::UnsupportedMediaType(format!(
                "send application/edi-x12 (or text/plain), not {}",
                other.unwrap_or("no content type")
            ));
            return request.refuse(&body, error).await;
        }
    }
    if !connector.enabled {
        return request.refuse(&body, disabled(&connector)).await;
    }
    let parsed = adapters::x12::parse_message(&connector.origin, &body);
    request.ingest(&body, parsed).await
}
