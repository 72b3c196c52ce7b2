//! Server functions answer every error with status 500 and the encoded error in the body. This
//! layer gives each `AppError` its documented status (401, 403, 422, 429, ...) in one place, so
//! no server function can forget to, and `Retry-After` to the ones that carry a wait (429, 503).

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// Server-function error bodies are small; anything larger is passed through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub async fn map(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match to_bytes(body, MAX_ERROR_BODY).await {
        Ok(b) => b,
        Err(_) => return Response::from_parts(parts, Body::empty()),
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(seconds) = error.retry_after_seconds() {
            parts
                .headers
                .insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
