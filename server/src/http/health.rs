//! `/healthz`: the process answers. `/readyz`: it can do its job (database reachable, schema
//! up to date), so a load balancer sends it traffic.

use app::auth::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::time::Duration;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        app::store::schema::migrations_applied(&state.pool),
    )
    .await;
    let (status, reason) = match check {
        Ok(Ok(true)) => (StatusCode::OK, None),
        Ok(Ok(false)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("database migrations are pending".to_string()),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("database unreachable".to_string()),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("database did not answer within 2 s".to_string()),
        ),
    };
    let body = match reason {
        None => json!({ "status": "ready" }),
        Some(reason) => json!({ "status": "not_ready", "reason": reason }),
    };
    (status, Json(body))
}
