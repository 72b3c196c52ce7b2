//! The ingest API under `/api/v1`: canonical events, provider webhooks and X12 interchanges.
//! Bearer keys or provider signatures, never cookies: these routes sit outside the session and
//! CSRF layers. Each answer is sent only after the message is committed.

use super::adapters::{self, canonical, AdapterError, Format, Parsed};
use super::connector::Connector;
use super::directory::{Directory, KnownConnector};
use super::error::IngestError;
use super::limits::{IngestLimits, Limiters};
use super::pipeline::{self, Inbound, Receipt};
use super::writer::Writer;
use super::{api_keys, openapi, signature};
use crate::store::refusals::{self, Refusal};
use app::auth::client_addr::ClientAddrPolicy;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The largest body accepted, in bytes: a full batch of 1,000 events fits with room to spare.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Headers kept with each message: useful to an integrator, never credentials.
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "user-agent",
    "x-request-id",
    "x-correlation-id",
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
    pub limiters: Limiters,
    pub client_addr: Arc<ClientAddrPolicy>,
}

/// How the ingest door tells senders apart and how much it lets each send.
#[derive(Clone, Debug, Default)]
pub struct IngestConfig {
    pub client_addr: ClientAddrPolicy,
    pub limits: IngestLimits,
    /// Where the directory's change listener reports how it is.
    pub health: crate::supervisor::Health,
}

/// The one answer to every request that is not authenticated for the connector it names,
/// whether the connector exists or not: a different answer for an unknown name would tell anyone
/// which connectors exist. The reason is kept for integrators (`refused_request`) and logged.
pub const NOT_AUTHENTICATED: &str =
    "not authenticated: check the connector name in the URL, the signature or token, and the sender's clock";

/// The ingest routes, with their own state; starts the group-commit writer on the current runtime.
pub fn router<S: Clone + Send + Sync + 'static>(pool: PgPool, config: IngestConfig) -> Router<S> {
    let writer = Writer::start(pool.clone());
    let directory = Directory::start(
        pool.clone(),
        config.health.watch("ingest directory listener"),
    );
    let limiters = Limiters::new(config.limits);
    Router::new()
        .route("/api/v1/events", post(events))
        .route("/api/v1/webhooks/{connector}", post(webhook))
        .route("/api/v1/edi/{connector}", post(edi))
        .route("/api/v1/openapi.json", get(openapi::document))
        .with_state(IngestState {
            pool,
            writer,
            directory,
            limiters,
            client_addr: Arc::new(config.client_addr),
        })
}

/// The sender's address (`app::auth::client_addr`): the TCP peer, or the right-most untrusted
/// hop when the peer is a trusted proxy. Without connection info (a router driven in-process)
/// it is the unspecified address.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<IngestState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &IngestState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientAddr(state.client_addr.resolve(peer, &parts.headers)))
    }
}

/// Where a request stands before it is authenticated: who sent it, to which path. Refusals here
/// keep metadata only, within the address's refusal allowance.
struct Door<'a> {
    state: &'a IngestState,
    addr: IpAddr,
    path: String,
    /// The path names a connector that signs or carries a token: every refusal gets the same
    /// answer, so that answers do not tell which connectors exist. (A key's refusal says what is
    /// wrong with the key: that reveals nothing about connectors.)
    one_answer: bool,
}

impl Door<'_> {
    /// The address's share of requests, before anything else is done.
    fn admit(&self) -> Result<(), IngestError> {
        self.state.limiters.admit_addr(self.addr)
    }

    /// Refuses an unauthenticated request: the sender gets `NOT_AUTHENTICATED` (or 429 once the
    /// address is past its allowance, and then nothing is written); the reason, the size and the
    /// hash of what was read are kept, never the bytes.
    async fn refuse(&self, why: &IngestError, body: Option<&[u8]>) -> Response {
        if let Err(limited) = self.state.limiters.admit_refusal(self.addr) {
            tracing::warn!(client.addr = %self.addr, path = %self.path, "unauthenticated requests over the allowance");
            return limited.into_response();
        }
        crate::metrics::ingest_refused(why.code());
        let digest = body.map(|b| Sha256::digest(b).to_vec());
        let addr = self.addr.to_string();
        let refusal = Refusal {
            client_addr: &addr,
            path: &self.path,
            body_bytes: body.map_or(0, <[u8]>::len),
            body_sha256: digest.as_deref(),
            code: why.code(),
            reason: &why.to_string(),
        };
        match refusals::record(&self.state.pool, &refusal).await {
            Ok(id) => {
                tracing::info!(client.addr = %self.addr, path = %self.path, refused_request_id = id, reason = %why, "unauthenticated request refused")
            }
            Err(e) => return IngestError::from(e).into_response(),
        }
        match why {
            IngestError::Unauthorized(_) if self.one_answer => {
                IngestError::Unauthorized(NOT_AUTHENTICATED.into()).into_response()
            }
            other => other.clone().into_response(),
        }
    }

    /// The connector the path names, or the same refusal as a bad credential.
    async fn connector(&self, name: &str) -> Result<Arc<Connector>, Response> {
        match load_connector(self.state, name).await {
            Ok(Some(c)) => Ok(c),
            Ok(None) => {
                let why = IngestError::Unauthorized(format!("no connector is named {name}"));
                Err(self.refuse(&why, None).await)
            }
            Err(e) => Err(e.into_response()),
        }
    }
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

/// The kept headers with the message's correlation id: the sender's `X-Correlation-Id`, else
/// its request id (`X-Request-Id`, which the request-id layer sets when the sender did not).
fn with_correlation(mut kept: Value) -> Value {
    let id = [crate::correlation::HEADER, "x-request-id"]
        .iter()
        .find_map(|h| {
            kept.get(*h)
                .and_then(Value::as_str)
                .and_then(crate::correlation::clean)
        })
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    kept[crate::correlation::HEADER] = Value::String(id);
    kept
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase())
}

async fn load_connector(
    state: &IngestState,
    name: &str,
) -> Result<Option<Arc<Connector>>, IngestError> {
    match state.directory.connector(name).await? {
        Some(found) => usable(&found).map(Some),
        None => Ok(None),
    }
}

/// A stored connector this server can use; one it cannot is a configuration error, logged.
fn usable(connector: &KnownConnector) -> Result<Arc<Connector>, IngestError> {
    connector.clone().map_err(|e| {
        tracing::error!(error = %e, "connector misconfigured");
        IngestError::Internal
    })
}

/// Reads the body up to the limit. Past it, the sender gets 413 and the inbox keeps a rejected
/// entry with the headers (not the oversized bytes). A body that stops arriving is cut off by
/// the request body timeout (`startup.rs`) and answered 408.
async fn read_body(body: Body) -> Result<Bytes, IngestError> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        let over_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if over_limit {
            IngestError::TooLarge(format!(
                "the body is over the {} MiB limit",
                BODY_LIMIT / (1024 * 1024)
            ))
        } else {
            IngestError::Incomplete(format!("the body did not arrive whole: {e}"))
        }
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
            headers: with_correlation(kept_headers(self.headers)),
            header_message_id: self.header_message_id.clone(),
            received_at: Utc::now(),
        }
    }

    async fn refuse(&self, body: &[u8], error: IngestError) -> Response {
        let started = std::time::Instant::now();
        let content_type = content_type(self.headers);
        let inbound = self.inbound(body, content_type.as_deref());
        let kept = pipeline::reject(&self.state.pool, &inbound, &error).await;
        let outcome = match &kept {
            Ok(_) if !error.status().is_server_error() => "rejected",
            _ => "failed",
        };
        crate::metrics::ingest_message(&self.connector.name, outcome, started.elapsed());
        let response = match kept {
            Ok(_) => error.into_response(),
            Err(e) => e.into_response(),
        };
        echo_correlation(response, &inbound)
    }

    async fn ingest(&self, body: &[u8], parsed: Result<Parsed, AdapterError>) -> Response {
        let started = std::time::Instant::now();
        let content_type = content_type(self.headers);
        let inbound = self.inbound(body, content_type.as_deref());
        let result = pipeline::ingest(&self.state.writer, &inbound, parsed).await;
        let outcome = match &result {
            Ok(receipt) if receipt.accepted > 0 => "accepted",
            Ok(_) => "duplicate",
            Err(e) if e.status().is_server_error() => "failed",
            Err(_) => "rejected",
        };
        crate::metrics::ingest_message(&self.connector.name, outcome, started.elapsed());
        let response = match result {
            Ok(receipt) => accepted(receipt),
            Err(e) => e.into_response(),
        };
        echo_correlation(response, &inbound)
    }
}

/// Tells the sender the correlation id its message is known by (to quote it, or to find it on
/// `/integrations`).
fn echo_correlation(mut response: Response, inbound: &Inbound<'_>) -> Response {
    if let Some(value) = inbound
        .correlation_id()
        .and_then(|id| http::HeaderValue::from_str(&id).ok())
    {
        response
            .headers_mut()
            .insert(crate::correlation::HEADER, value);
    }
    response
}

/// `POST /api/v1/events`: canonical CloudEvents, one or a batch, from the key's connector.
#[utoipa::path(post, path = "/api/v1/events", tag = "ingest",
    request_body(description = "One CloudEvent (application/cloudevents+json) or an array of up to 1,000 (application/cloudevents-batch+json)",
                 content((openapi::CloudEventDoc = "application/cloudevents+json"),
                         (openapi::CloudEventBatchDoc = "application/cloudevents-batch+json"))),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Stored and committed", body = openapi::ReceiptDoc),
        (status = 400, description = "Malformed: not UTF-8 or not JSON", body = openapi::ErrorDoc),
        (status = 401, description = "No key, or an unknown, revoked or expired key", body = openapi::ErrorDoc),
        (status = 403, description = "The connector may not emit this event type", body = openapi::ErrorDoc),
        (status = 408, description = "The body did not arrive within 30 seconds", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB or batch over 1,000 events", body = openapi::ErrorDoc),
        (status = 415, description = "Not a CloudEvents JSON content type", body = openapi::ErrorDoc),
        (status = 422, description = "An event breaks a rule; details name the event and field", body = openapi::ErrorDoc),
        (status = 429, description = "Over the key's or the address's rate limit; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 503, description = "The database is briefly unavailable; nothing was stored; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait")))))]
pub async fn events(
    State(state): State<IngestState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let door = Door {
        state: &state,
        addr,
        path: "/api/v1/events".into(),
        one_answer: false,
    };
    if let Err(limited) = door.admit() {
        return limited.into_response();
    }
    let connector = match authenticate_key(&door, &headers).await {
        Ok(found) => match usable(&found.connector) {
            Ok(connector) => connector,
            Err(e) => return e.into_response(),
        },
        Err(refused) => return refused,
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

/// The request's bearer key, within its share of requests; a bad key is refused at the door.
async fn authenticate_key(
    door: &Door<'_>,
    headers: &HeaderMap,
) -> Result<Arc<super::directory::KnownKey>, Response> {
    let authorization = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match api_keys::authenticate(&door.state.directory, authorization).await {
        Ok(found) => {
            door.state
                .limiters
                .admit_key(found.key.api_key_id)
                .map_err(IntoResponse::into_response)?;
            Ok(found)
        }
        Err(why @ IngestError::Unauthorized(_)) => Err(door.refuse(&why, None).await),
        Err(other) => Err(other.into_response()),
    }
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
        (status = 401, description = "Not authenticated: an unknown connector, a missing or wrong signature or token, or a stale timestamp (one answer for all; the reason is kept for integrators)", body = openapi::ErrorDoc),
        (status = 403, description = "The connector is disabled or may not emit this event type", body = openapi::ErrorDoc),
        (status = 408, description = "The body did not arrive within 30 seconds", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB", body = openapi::ErrorDoc),
        (status = 415, description = "Not JSON", body = openapi::ErrorDoc),
        (status = 422, description = "Readable but wrong; details name the field", body = openapi::ErrorDoc),
        (status = 429, description = "Over the address's rate limit, or too many unauthenticated requests from it; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 503, description = "The database is briefly unavailable; nothing was stored; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait")))))]
pub async fn webhook(
    State(state): State<IngestState>,
    ClientAddr(addr): ClientAddr,
    Path(name): Path<String>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let door = Door {
        state: &state,
        addr,
        path: format!("/api/v1/webhooks/{name}"),
        one_answer: true,
    };
    if let Err(limited) = door.admit() {
        return limited.into_response();
    }
    let connector = match door.connector(&name).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    // Everything that can be checked without the body is checked before it is read.
    if let Err(why) = signature::precheck(&connector, &headers, query.token.as_deref(), Utc::now())
    {
        return door.refuse(&why, None).await;
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return door.refuse(&e, None).await,
    };
    // The signature covers the body: until it is verified, nothing of the body is kept.
    let header_message_id = match signature::verify(
        &connector,
        &headers,
        query.token.as_deref(),
        &body,
        Utc::now(),
    ) {
        Ok(id) => id,
        Err(why) => return door.refuse(&why, Some(&body)).await,
    };
    let request = Request {
        state: &state,
        connector: &connector,
        headers: &headers,
        header_message_id,
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
        (status = 408, description = "The body did not arrive within 30 seconds", body = openapi::ErrorDoc),
        (status = 413, description = "Body over 4 MiB", body = openapi::ErrorDoc),
        (status = 415, description = "Not application/edi-x12 or text/plain", body = openapi::ErrorDoc),
        (status = 422, description = "Truncated, miscounted, or an unsupported transaction set; details name the segment", body = openapi::ErrorDoc),
        (status = 429, description = "Over the key's or the address's rate limit; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait"))),
        (status = 503, description = "The database is briefly unavailable; nothing was stored; see Retry-After", body = openapi::ErrorDoc,
         headers(("Retry-After" = u32, description = "Seconds to wait")))))]
pub async fn edi(
    State(state): State<IngestState>,
    ClientAddr(addr): ClientAddr,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let door = Door {
        state: &state,
        addr,
        path: format!("/api/v1/edi/{name}"),
        one_answer: false,
    };
    if let Err(limited) = door.admit() {
        return limited.into_response();
    }
    // The key first: an unknown connector and another connector's key get the same answer.
    let key = match authenticate_key(&door, &headers).await {
        Ok(key) => key,
        Err(refused) => return refused,
    };
    let connector = match usable(&key.connector) {
        Ok(c) if c.name == name => c,
        Ok(_) => {
            // The same answer whether `name` exists or not.
            let why = IngestError::Forbidden {
                message: format!("this API key is not one of connector {name}'s"),
                details: serde_json::json!({"connector": name}),
            };
            return door.refuse(&why, None).await;
        }
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
