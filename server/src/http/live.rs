//! `/live`: server-sent events that tell open pages what changed, so they refetch without a
//! reload. The database announces changes (`NOTIFY milepost_live`, from triggers on the SLA
//! tables); one listener per process fans them out, at most once a second per topic, however
//! busy ingest is. The stream carries topic names only (`dashboard`, `exceptions`), never
//! data: each page refetches through its own authorised server function.

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub const CHANNEL: &str = "milepost_live";
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The fan-out of change notices to every open `/live` stream.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<String>,
}

impl Hub {
    /// Starts listening; the listener reconnects by itself if the database goes away.
    pub fn start(pool: PgPool) -> Self {
        let (sender, _) = broadcast::channel(64);
        let hub = Hub { sender };
        let forward = hub.sender.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = listen(&pool, &forward).await {
                    tracing::warn!(error = %e, "live updates listener lost; reconnecting");
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        });
        hub
    }
}

async fn listen(pool: &PgPool, sender: &broadcast::Sender<String>) -> sqlx::Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
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

/// The event stream.
pub async fn stream(State(hub): State<Hub>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = BroadcastStream::new(hub.sender.subscribe())
        .filter_map(|topic| topic.ok())
        .map(|topic| Ok(Event::default().event("change").data(topic)));
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

pub fn router<S: Clone + Send + Sync + 'static>(pool: PgPool) -> axum::Router<S> {
    axum::Router::new()
        .route("/live", axum::routing::get(stream))
        .with_state(Hub::start(pool))
}
