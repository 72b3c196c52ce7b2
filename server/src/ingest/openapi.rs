//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`. A test holds it to the router: every route documented, every status.

use app::domain::event::EventType;
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};

/// A CloudEvents string attribute: the spec forbids control characters (U+0000-U+001F,
/// U+007F-U+009F), and Milepost needs at least one non-space character.
fn attribute() -> Value {
    json!({"type": "string", "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"})
}

/// `schema`, or null.
fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

/// A component whose schema is written as JSON (`raw_schemas`): the shapes derive and utoipa's
/// model cannot say (patterns over code points, `propertyNames`, recursion). The path macros
/// only need its name; `document` puts the JSON in place.
fn placeholder() -> RefOr<Schema> {
    RefOr::T(Schema::Object(utoipa::openapi::Object::new()))
}

/// Any JSON whose strings (keys included) hold no NUL: Postgres cannot store U+0000, so a
/// message carrying one is refused 422.
pub struct JsonValueDoc;

impl PartialSchema for JsonValueDoc {
    fn schema() -> RefOr<Schema> {
        placeholder()
    }
}

fn json_value_schema() -> Value {
    let me = json!({"$ref": "#/components/schemas/JsonValue"});
    json!({"oneOf": [
        {"type": "string", "pattern": "^[^\\u0000]*$"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "null"},
        {"type": "array", "items": me},
        {"type": "object", "additionalProperties": me, "propertyNames": {"pattern": "^[^\\u0000]*$"}}
    ]})
}

impl ToSchema for JsonValueDoc {
    fn name() -> Cow<'static, str> {
        "JsonValue".into()
    }
}

/// One structured CloudEvent (CloudEvents 1.0) of a canonical type.
pub struct CloudEventDoc;

impl PartialSchema for CloudEventDoc {
    fn schema() -> RefOr<Schema> {
        placeholder()
    }
}

fn cloud_event_schema() -> Value {
    let types: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    json!({
        "type": "object",
        "description": "A structured CloudEvent. `type` is a canonical event type (a reverse-DNS, versioned name ending in one, e.g. com.acme.transport.shipment.delivered.v1, is read too). Extension attributes are kept; `data_base64` is refused.",
        "required": ["specversion", "id", "source", "type"],
        "properties": {
            "specversion": {"type": "string", "enum": ["1.0"]},
            "id": attribute(),
            "source": attribute(),
            "type": {"type": "string", "enum": types, "description": "The canonical event type; each type's owner and the `data` fields Milepost reads are in docs/events.md"},
            // Optional attributes may be null: CloudEvents' JSON format reads null as absent.
            "subject": nullable(attribute()),
            "time": {"type": ["string", "null"], "format": "date-time", "minLength": 20, "maxLength": 40, "description": "RFC 3339 with an offset; without it the time is recorded as unknown, never as now"},
            "datacontenttype": {"type": ["string", "null"], "enum": ["application/json", null]},
            "correlationid": nullable(attribute()),
            "data": {"anyOf": [{"$ref": "#/components/schemas/JsonValue"}, {"type": "null"}]}
        },
        // Extension attributes: lower-case letters and digits (CloudEvents); scalar values.
        "propertyNames": {"pattern": "^[a-z0-9]+$"},
        "additionalProperties": {"anyOf": [
            {"type": "string", "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"},
            {"type": "number"}, {"type": "boolean"}, {"type": "null"}]}
    })
}

impl ToSchema for CloudEventDoc {
    fn name() -> Cow<'static, str> {
        "CloudEvent".into()
    }
}

/// A batch: 1 to 1,000 CloudEvents.
pub struct CloudEventBatchDoc;

impl PartialSchema for CloudEventBatchDoc {
    fn schema() -> RefOr<Schema> {
        placeholder()
    }
}

/// The components written as JSON, by name.
fn raw_schemas() -> [(&'static str, Value); 3] {
    [
        ("JsonValue", json_value_schema()),
        ("CloudEvent", cloud_event_schema()),
        (
            "CloudEventBatch",
            json!({"type": "array", "minItems": 1, "maxItems": 1000,
                   "items": {"$ref": "#/components/schemas/CloudEvent"}}),
        ),
    ]
}

impl ToSchema for CloudEventBatchDoc {
    fn name() -> Cow<'static, str> {
        "CloudEventBatch".into()
    }
}

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
    components(schemas(ReceiptDoc, ErrorDoc, ErrorDetail, CloudEventDoc, CloudEventBatchDoc, JsonValueDoc)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The document as served: utoipa's, with the components written as JSON put in place.
pub fn document_value() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).expect("the document serializes");
    for (name, schema) in raw_schemas() {
        doc["components"]["schemas"][name] = schema;
    }
    doc
}

pub async fn document() -> Json<Value> {
    Json(document_value())
}
