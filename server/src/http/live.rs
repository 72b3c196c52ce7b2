//! `/live`: server-sent events that tell open pages what changed, so they refetch without a
//! reload. The database announces changes (`NOTIFY milepost_live`, from triggers on the SLA
//! tables); one listener per process fans them out, at most once a second per topic, however
//! busy ingest is. The stream carries topic names only (`dashboard`, `exceptions`), never
//! data: each page refetches through its own authorised server function. Even so, only a
//! signed-in user may listen (a stream is a held connection and a task), and each user holds at
//! most `STREAMS_PER_USER` at once (tabs beyond that are told 429 and fall back to polling).

use crate::supervisor::Beat;
use app::auth::session::UserSession;
use app::auth::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;
use tokio_util::sync::CancellationToken;
use tower_sessions::Session;
use uuid::Uuid;

pub const CHANNEL: &str = "milepost_live";
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The fan-out of change notices to every open `/live` stream.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<String>,
}

impl Hub {
    /// Starts listening; the listener reconnects by itself if the database goes away.
    /// Until `stop`.
    pub fn start(pool: PgPool, stop: CancellationToken, beat: Beat) -> Self {
        let (sender, _) = broadcast::channel(64);
        let hub = Hub { sender };
        let forward = hub.sender.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    result = listen(&pool, &forward, &beat) => if let Err(e) = result {
                        tracing::warn!(error = %e, "live updates listener lost; reconnecting");
                        beat.failed(&format!("{e}; reconnecting (pages fall back to polling)"));
                    }
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        });
        hub
    }
}

async fn listen(
    pool: &PgPool,
    sender: &broadcast::Sender<String>,
    beat: &Beat,
) -> sqlx::Result<()> {
    let mut listener = crate::database::listener(pool).await?;
    listener.listen(CHANNEL).await?;
    beat.ok();
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut flush = tokio::time::interval(FLUSH_EVERY);
    loop {
        tokio::select! {
            notice = listener.recv() => { pending.insert(notice?.payload().to_string()); }
            _ = flush.tick() => {
                for topic in std::mem::take(&mut pending) {
                    // No open page is not an error.
                    let _ = sender.send(topic);
                }
            }
        }
    }
}

/// Open streams one user may hold at once (tabs and windows).
pub const STREAMS_PER_USER: usize = 16;

/// Open streams per user.
#[derive(Clone, Default)]
struct Streams(Arc<Mutex<HashMap<Uuid, usize>>>);

/// One open stream, counted until it is dropped (the client went away).
struct StreamSlot {
    streams: Streams,
    user_id: Uuid,
}

impl Streams {
    fn take(&self, user_id: Uuid) -> Option<StreamSlot> {
        let mut open = self.0.lock().expect("live streams lock");
        let count = open.entry(user_id).or_default();
        if *count >= STREAMS_PER_USER {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            streams: self.clone(),
            user_id,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.streams.0.lock().expect("live streams lock");
        if let Some(count) = open.get_mut(&self.user_id) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[derive(Clone)]
struct Live {
    hub: Hub,
    app: AppState,
    streams: Streams,
    stop: CancellationToken,
}

/// The event stream of a signed-in user.
async fn stream(State(live): State<Live>, session: Session) -> Response {
    let user = match app::auth::resolve(&live.app, &UserSession::new(session)).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => {
            return StatusCode::from_u16(e.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    };
    let Some(slot) = live.streams.take(user.user_id) else {
        tracing::info!(user.id = %user.user_id, "live streams per user at their cap");
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(http::header::RETRY_AFTER, "30")],
            "too many live streams open for this user",
        )
            .into_response();
    };
    // The stream ends when the process stops, so a graceful shutdown is not held open by it
    // (the page's EventSource reconnects to whichever process serves next).
    let events = futures_util::StreamExt::take_until(
        BroadcastStream::new(live.hub.sender.subscribe()),
        live.stop.clone().cancelled_owned(),
    )
    .filter_map(|topic| topic.ok())
    .map(move |topic| {
        // The slot lives as long as the stream.
        let _held = &slot;
        Ok::<_, Infallible>(Event::default().event("change").data(topic))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// `/live`; its streams end when `stop` is cancelled.
pub fn router<S: Clone + Send + Sync + 'static>(
    pool: PgPool,
    app: AppState,
    stop: CancellationToken,
    beat: Beat,
) -> axum::Router<S> {
    axum::Router::new()
        .route("/live", axum::routing::get(stream))
        .with_state(Live {
            hub: Hub::start(pool, stop.clone(), beat),
            app,
            streams: Streams::default(),
            stop,
        })
}
