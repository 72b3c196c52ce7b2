//! `GET /export/{table}.csv`: the CSV download of a page's table with the page's filters as the
//! query (`orders`, `breaches`, `report`, `scorecards`; see `app::services::exports`). Signed-in
//! users only, by the roles of the page; a report's account outside the caller's scope is not
//! found. The file is streamed as it is written: a writer task fills a small channel the body
//! drains, so memory stays flat whatever the size and a slow client slows the writer down.

use app::auth::session::UserSession;
use app::auth::AppState;
use app::error::AppError;
use app::services::csv_export::CsvStream;
use app::services::exports::{self, Export};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use tower_sessions::Session;

/// Chunks (of about 64 KiB) waiting for the client at most.
const IN_FLIGHT: usize = 4;

fn refused(e: AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, e.to_string()).into_response()
}

async fn download(
    State(app): State<AppState>,
    session: Session,
    Path(file): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let Some(which) = file.strip_suffix(".csv").and_then(Export::parse) else {
        return refused(AppError::NotFound);
    };
    let user = match app::auth::resolve(&app, &UserSession::new(session)).await {
        Ok(Some(user)) => user,
        Ok(None) => return refused(AppError::Unauthorized),
        Err(e) => return refused(e),
    };
    if !which.roles().contains(&user.role) {
        return refused(AppError::Forbidden);
    }
    let scope = match app::auth::scope::scope_in(&app.pool, &user).await {
        Ok(scope) => scope,
        Err(e) => return refused(e),
    };
    let now = chrono::Utc::now();
    let prepared = match exports::prepare(&app.pool, &scope, which, &query, now).await {
        Ok(p) => p,
        Err(e) => return refused(e),
    };
    let name = prepared.file_name(now);
    let (tx, rx) = tokio::sync::mpsc::channel(IN_FLIGHT);
    let pool = app.pool.clone();
    tokio::spawn(async move {
        exports::write(&pool, &scope, prepared, CsvStream::new(tx), now).await;
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub fn router<S: Clone + Send + Sync + 'static>(app: AppState) -> axum::Router<S> {
    axum::Router::new()
        .route("/export/{file}", axum::routing::get(download))
        .with_state(app)
}
