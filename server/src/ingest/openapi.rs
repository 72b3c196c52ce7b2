//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`. A test holds it to the router: every route documented, every status.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The `202` body.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ReceiptDoc {
    /// The inbox entry that keeps the raw message.
    inbox_message_id: i64,
    /// New events stored.
    accepted: usize,
    /// Events already stored before (the same message again, or the same event in another).
    duplicates: usize,
    /// Every event of the message, new or duplicate, in order.
    event_ids: Vec<uuid::Uuid>,
    /// True when this exact message (connector and message id) was accepted before.
    redelivery: bool,
    /// X12 only, and only when it happened: the earlier inbox entry whose sender and control
    /// number this interchange reused with different content (both are kept and accepted).
    #[schema(nullable = false)]
    reuses_envelope_of: Option<i64>,
}

/// Every error body: `{"error": {...}}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDoc {
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// `malformed`, `unauthorized`, `forbidden`, `incomplete`, `too_large`,
    /// `unsupported_media_type`, `invalid`, `rate_limited`, `unavailable` or `internal`.
    code: String,
    message: String,
    /// E.g. `{"location": "event 3: time"}` or `{"index": 0, "type": "shipment.delivered"}`.
    details: serde_json::Value,
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mpk_...")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Milepost ingest API", version = "1",
         description = "Inbound messages from ERP, WMS and carriers. Every accepted message is stored raw and as canonical events before the 202 is sent; a refused one from an authenticated sender is kept in the inbox, marked rejected. A request that is not authenticated is refused before its body is read where the scheme allows, and only its metadata is kept. Limits: requests per API key and per client address (429 with Retry-After); the body must arrive within 30 seconds (408)."),
    paths(super::http::events, super::http::webhook, super::http::edi),
    components(schemas(ReceiptDoc, ErrorDoc, ErrorDetail)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
