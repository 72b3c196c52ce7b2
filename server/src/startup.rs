//! Building the web application: routes, layers, and the listener.

use crate::database::Pools;
use crate::http::{csrf, health, security_headers, server_fn_status, trace};
use crate::ingest::http::IngestConfig;
use crate::settings::Settings;
use crate::supervisor::Health;
use anyhow::Context;
use app::auth::{AppState, AuthConfig};
use app::{shell, App};
use axum::http::StatusCode;
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{middleware, Router};
use leptos::config::{get_configuration, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "milepost_session";

/// The web application, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    port: u16,
}

/// What the web application shares with the rest of its process: the background tasks' health
/// (`/readyz` reports it) and the stop token (live streams end when it is cancelled, so they do
/// not hold a graceful shutdown open).
#[derive(Clone, Debug, Default)]
pub struct Runtime {
    pub health: Health,
    pub stop: CancellationToken,
}

impl Application {
    /// Binds the listener (port 0 picks a free one, as tests do) and builds the router, with one
    /// pool for everything and no background tasks of its own to report.
    pub async fn build(settings: &Settings, pool: PgPool) -> anyhow::Result<Self> {
        Self::build_with(settings, &Pools::single(pool), Runtime::default()).await
    }

    /// `build`, with the process's pools and runtime.
    pub async fn build_with(
        settings: &Settings,
        pools: &Pools,
        runtime: Runtime,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen_addr)
            .await
            .with_context(|| {
                format!(
                    "binding {} (set MILEPOST_LISTEN_ADDR to use another address)",
                    settings.listen_addr
                )
            })?;
        let port = listener.local_addr()?.port();
        tokio::spawn(crate::database::watch_replica(
            pools.reads.clone(),
            settings.replica_max_lag,
            runtime.stop.clone(),
        ));
        let router = router(settings, pools, leptos_options(settings)?, runtime);
        Ok(Self {
            listener,
            router,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // TCP_NODELAY: a small response must not wait for the client's delayed ACK (Nagle).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Leptos's options: from cargo-leptos's environment when it built or runs us, else (a plain
/// `cargo build`, tests) the same defaults cargo-leptos would use for this workspace.
fn leptos_options(settings: &Settings) -> anyhow::Result<LeptosOptions> {
    let built_by_cargo_leptos = option_env!("LEPTOS_OUTPUT_NAME").is_some()
        || std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    let mut options = if built_by_cargo_leptos {
        get_configuration(None)
            .context("reading the Leptos configuration")?
            .leptos_options
    } else {
        let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
        LeptosOptions::builder()
            .output_name("milepost")
            .site_root(site_root)
            .site_pkg_dir("pkg")
            .build()
    };
    options.site_addr = settings.listen_addr;
    Ok(options)
}

/// All routes and layers. Public so tests can drive it without a socket when they want to.
pub fn router(
    settings: &Settings,
    pools: &Pools,
    leptos_options: LeptosOptions,
    runtime: Runtime,
) -> Router {
    let pool = pools.web.clone();
    let auth = Arc::new(AuthConfig {
        absolute_timeout: settings.session_absolute,
        client_addr: settings.client_addr.clone(),
        ..AuthConfig::default()
    });
    let state = AppState {
        leptos_options,
        pool: pool.clone(),
        reads: pools.reads.clone(),
        auth,
    };
    let sessions = SessionManagerLayer::new(PostgresStore::new(pool.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(settings.secure_cookies())
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(settings.session_idle.as_secs() as i64),
        ));

    let routes = routes();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let pages = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let allowed_origins = csrf::AllowedOrigins::new(&settings.public_url);

    let app = Router::new()
        // Registers the pages and every server function (at its `/fn/...` path).
        .leptos_routes_with_context(&state, routes, context.clone(), pages)
        // Live updates are for signed-in users only, a few streams each (`http::live`).
        .merge(crate::http::live::router(
            pool.clone(),
            state.clone(),
            runtime.stop.clone(),
            runtime.health.watch("live updates listener"),
        ))
        // CSV downloads of the pages' tables, streamed (`http::export`).
        .merge(crate::http::export::router(state.clone()))
        // Prometheus, behind its bearer token (`http::metrics`).
        .merge(crate::http::metrics::router(
            pools,
            runtime.health.clone(),
            settings.metrics_token.clone(),
        ))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn(server_fn_status::map))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(allowed_origins, csrf::check))
        // Health checks sit outside the session and CSRF layers: probes carry no cookies.
        .route("/healthz", get(health::healthz))
        .route(
            "/readyz",
            get({
                let health = runtime.health.clone();
                move |state| health::readyz(state, health.clone())
            }),
        )
        // The ingest API authenticates with keys and signatures, never cookies.
        .merge(crate::ingest::http::router(
            pools.ingest.clone(),
            IngestConfig {
                health: runtime.health.clone(),
                client_addr: settings.client_addr.clone(),
                limits: settings.ingest_limits,
            },
        ))
        .layer(middleware::from_fn(crate::http::metrics::track));
    around(app, settings).with_state(state)
}

/// The layers every request passes, outermost last: a request id and its span, a handler's
/// panic caught, security headers, compression, the answer's and the body's deadlines. Public so
/// tests can put them around routes of their own (a handler that panics, one that hangs).
pub fn around<S: Clone + Send + Sync + 'static>(
    routes: Router<S>,
    settings: &Settings,
) -> Router<S> {
    let hsts = settings.secure_cookies();
    routes
        // A body that trickles in (slowloris) holds a connection and a task: cut it off.
        .layer(RequestBodyTimeoutLayer::new(settings.body_read_timeout))
        // A request not answered in time ends with 408 (its streamed body, a download or the
        // live stream, is not counted: only the wait for the response's head).
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            settings.request_timeout,
        ))
        // gzip for whoever accepts it; never the live stream (text/event-stream), which must
        // reach the browser as each event is written.
        .layer(CompressionLayer::new().gzip(true))
        .layer(middleware::from_fn(move |req, next| {
            security_headers::add(hsts, req, next)
        }))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(trace::REQUEST_ID, MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(trace::make_span)
                        // One access-log line per request, with status and latency.
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(LatencyUnit::Millis),
                        ),
                )
                .layer(PropagateRequestIdLayer::new(trace::REQUEST_ID))
                // A handler that panics answers 500 (logged with the request's id) instead of
                // dropping the connection.
                .layer(CatchPanicLayer::custom(trace::panicked)),
        )
}

/// The app's routes, generated once per process. Generating them sets a process-wide flag under
/// which any resource first polled meanwhile waits forever (leptos#4773); a process that builds
/// several applications while others already serve pages (the tests, the benchmarks) would see
/// a page now and then never answer.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
