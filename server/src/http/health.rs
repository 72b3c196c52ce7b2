//! `/healthz`: the process answers. `/readyz`: it can do its job (database reachable, schema
//! up to date, every background task healthy), so a load balancer sends it traffic; the body
//! names each task and what ails it.

use crate::supervisor::Health;
use app::auth::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Readiness on the main address.
pub async fn readyz(State(state): State<AppState>, health: Health) -> Response {
    readiness(state.pool.clone(), health).await
}

/// The database reachable, the schema up to date, and every background task healthy.
pub async fn readiness(pool: PgPool, health: Health) -> Response {
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        app::store::schema::migrations_applied(&pool),
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
    let tasks = health.report();
    let unhealthy: Vec<&str> = tasks
        .iter()
        .filter(|t| !t.healthy)
        .map(|t| t.name.as_str())
        .collect();
    let (status, reason) = match (status, reason) {
        (StatusCode::OK, None) if !unhealthy.is_empty() => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(format!("unhealthy: {}", unhealthy.join(", "))),
        ),
        other => other,
    };
    let body = match reason {
        None => json!({ "status": "ready", "tasks": tasks }),
        Some(reason) => json!({ "status": "not_ready", "reason": reason, "tasks": tasks }),
    };
    (status, Json(body)).into_response()
}
