//! `/metrics` (Prometheus text format) and the request counter every route passes through.
//!
//! The scrape is served on the main address behind a bearer token (`MILEPOST_METRICS_TOKEN`;
//! without one it is not served there), and on a separate, internal address when
//! `MILEPOST_METRICS_ADDR` is set (no token: bind it where only the scraper reaches), which is
//! also how a `milepost worker` process, which serves no pages, is scraped and probed.

use crate::database::Pools;
use crate::supervisor::Health;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::{header, HeaderMap, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::net::SocketAddr;
use std::time::Instant;
use subtle::ConstantTimeEq;
use tokio_util::sync::CancellationToken;

/// Counts and times every request by its route's pattern (never the raw path: an order
/// reference in a URL must not become a series of its own).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(other)".to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    crate::metrics::http_request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[derive(Clone)]
struct Scrape {
    pools: Pools,
    health: Health,
    token: Option<SecretString>,
}

async fn scrape(State(s): State<Scrape>, headers: HeaderMap) -> Response {
    if let Some(token) = &s.token {
        let offered = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(offered.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is required (MILEPOST_METRICS_TOKEN)",
            )
                .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&s.pools, &s.health).await,
    )
        .into_response()
}

/// `/metrics` on the main address, when a token is configured.
pub fn router<S: Clone + Send + Sync + 'static>(
    pools: &Pools,
    health: Health,
    token: Option<SecretString>,
) -> Router<S> {
    let Some(token) = token else {
        return Router::new();
    };
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape {
            pools: pools.clone(),
            health,
            token: Some(token),
        })
}

/// `/metrics`, `/healthz` and `/readyz` on their own address until `stop`.
pub async fn serve_internal(
    addr: SocketAddr,
    pools: Pools,
    health: Health,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics address {addr} (MILEPOST_METRICS_ADDR)"))?;
    let ready = {
        let (pool, health) = (pools.web.clone(), health.clone());
        move || super::health::readiness(pool.clone(), health.clone())
    };
    let app = Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(super::health::healthz))
        .route("/readyz", get(ready))
        .with_state(Scrape {
            pools,
            health,
            token: None,
        });
    tracing::info!(metrics.addr = %addr, "serving /metrics, /healthz and /readyz");
    axum::serve(listener, app)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await?;
    Ok(())
}
