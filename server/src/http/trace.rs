//! A request id on every request (taken from `x-request-id` when a proxy set one) and on every
//! log line written while serving it.

use axum::extract::Request;
use http::HeaderName;
use tower_http::request_id::RequestId;
use tracing::Span;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The span every request's log lines are written in.
pub fn make_span(req: &Request) -> Span {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-")
        .to_string();
    // The correlation id a sender named; the request id otherwise (ingest keeps the same).
    let correlation = req
        .headers()
        .get(crate::correlation::HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::correlation::clean)
        .unwrap_or_else(|| request_id.clone());
    tracing::info_span!(
        "request",
        request.id = %request_id,
        correlation.id = %correlation,
        http.method = %req.method(),
        http.path = %req.uri().path(),
    )
}

/// The answer to a request whose handler panicked: 500 with the request's id to quote (the
/// panic itself is logged, in the request's span, not shown).
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    use axum::response::IntoResponse;
    tracing::error!(
        panic = %crate::supervisor::panic_message(panic.as_ref()),
        "a request handler panicked"
    );
    (
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. It has been logged; quote the x-request-id header if you report it.",
    )
        .into_response()
}
