//! Group commit for accepted messages. Every message is stored by one statement
//! (`store::events::store_messages`); when senders arrive together, the writer stores the
//! messages that queued while earlier statements ran in one statement and one commit. A lone
//! message is written at once (no timer waits for company), so latency at low load is one
//! statement; under load the groups grow by themselves and the cost per message falls.
//!
//! Each caller still gets its own answer after its message is committed, and a group that fails
//! is retried one message at a time, so a bad message never fails its neighbours.

use crate::store::events::{self, MessageToStore, NewEvent, SeenCode, StoredMessage};
use crate::store::inbox::NewMessage;
use crate::store::jobs::queue::{self, NewJob};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Statements in flight at once, at most. A group of small messages runs alone, so the messages
/// that arrive meanwhile make the next group larger (fewer statements per message); a large
/// batch may run beside another, so both cores work on big statements. On two cores this split
/// measured best with `milepost bench ingest`: one statement at a time for single events (3,400/s
/// against 2,900/s with two), two for batches (28,000/s against 19,000/s with one).
const IN_FLIGHT: u32 = 2;
/// A message with at least this many events may run beside another statement.
const LARGE: usize = 500;
/// A group stops growing at this many messages or events, so one statement stays short and two
/// full batches of 1,000 run side by side rather than in one statement.
const GROUP_MESSAGES: usize = 128;
const GROUP_EVENTS: usize = 1_000;
/// Messages waiting for a statement before senders wait too (backpressure, not loss: a sender
/// that waits is still answered).
const QUEUE: usize = 4_096;
/// Bytes of message bodies waiting or being written, at most, in KiB: 4,096 small messages are a
/// few MiB, but 4,096 bodies of 4 MiB would be 16 GiB. A sender whose message would pass this
/// waits (backpressure) until earlier messages are committed.
pub const QUEUE_KIB: u32 = 128 * 1024;

/// An accepted message, owned, on its way to the database.
pub struct AcceptedMessage {
    pub connector_id: i64,
    pub message_id: String,
    pub message_id_derived: bool,
    pub received_at: DateTime<Utc>,
    pub content_type: Option<String>,
    pub headers: Value,
    pub body: Vec<u8>,
    pub events: Vec<NewEvent>,
    /// Codes no mapping knew, counted into the mapping inbox with the message.
    pub unknown_codes: Vec<SeenCode>,
    /// Jobs the message asks for (reads of records it pointed at), enqueued with it when its
    /// connector's system is one Milepost calls.
    pub follow_ups: Vec<NewJob>,
}

type Answer = oneshot::Sender<sqlx::Result<StoredMessage>>;

/// The handle senders store through; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    pool: PgPool,
    messages: mpsc::Sender<(AcceptedMessage, Answer)>,
    statements: Arc<AtomicU64>,
    /// KiB of bodies in the queue or in a statement (`QUEUE_KIB`).
    bytes: Arc<Semaphore>,
}

impl Writer {
    /// Starts the writer on the current Tokio runtime. It stops when the last handle is dropped,
    /// after storing what was queued.
    pub fn start(pool: PgPool) -> Self {
        let (messages, queued) = mpsc::channel(QUEUE);
        let statements = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(pool.clone(), queued, statements.clone()));
        Self {
            pool,
            messages,
            statements,
            bytes: Arc::new(Semaphore::new(QUEUE_KIB as usize)),
        }
    }

    /// KiB of bodies the queue can take now before senders wait.
    pub fn room_kib(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Group statements run so far (fewer than messages when senders arrive together).
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Stores one message; returns once it is committed. Waits first while the queue holds
    /// `QUEUE_KIB` of bodies.
    pub async fn store(&self, message: AcceptedMessage) -> sqlx::Result<StoredMessage> {
        let kib = u32::try_from(message.body.len().div_ceil(1024))
            .unwrap_or(QUEUE_KIB)
            .clamp(1, QUEUE_KIB);
        // Held until this message is committed (or failed): the budget covers the queue and
        // the statement.
        let _room = self
            .bytes
            .acquire_many(kib)
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let (answer, answered) = oneshot::channel();
        self.messages
            .send((message, answer))
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answered.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(
    pool: PgPool,
    mut queued: mpsc::Receiver<(AcceptedMessage, Answer)>,
    statements: Arc<AtomicU64>,
) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT as usize));
    let mut held_over: Option<(AcceptedMessage, Answer)> = None;
    loop {
        let first = match held_over.take() {
            Some(job) => job,
            None => match queued.recv().await {
                Some(job) => job,
                None => return,
            },
        };
        // Wait for room before gathering the rest of the group: while statements run, the
        // messages arriving meanwhile join this one.
        let need = if first.0.events.len() >= LARGE {
            1
        } else {
            IN_FLIGHT
        };
        let Ok(slot) = slots.clone().acquire_many_owned(need).await else {
            return;
        };
        let mut group = vec![first];
        let mut keys: HashSet<(i64, String)> = HashSet::new();
        keys.insert((group[0].0.connector_id, group[0].0.message_id.clone()));
        let mut event_count = group[0].0.events.len();
        while group.len() < GROUP_MESSAGES {
            let Ok(next) = queued.try_recv() else { break };
            let key = (next.0.connector_id, next.0.message_id.clone());
            // The same message twice in one statement would update its inbox row twice, which
            // Postgres refuses: the repeat starts the next group.
            if keys.contains(&key) || event_count + next.0.events.len() > GROUP_EVENTS {
                held_over = Some(next);
                break;
            }
            keys.insert(key);
            event_count += next.0.events.len();
            group.push(next);
        }
        let pool = pool.clone();
        statements.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            write_group(&pool, group).await;
            drop(slot);
        });
    }
}

/// Stores a group and answers each sender; a failed group is retried message by message so the
/// error reaches only the sender whose message caused it.
async fn write_group(pool: &PgPool, group: Vec<(AcceptedMessage, Answer)>) {
    let (messages, answers): (Vec<AcceptedMessage>, Vec<Answer>) = group.into_iter().unzip();
    match store(pool, &messages).await {
        Ok(stored) => {
            for (answer, stored) in answers.into_iter().zip(stored) {
                let _ = answer.send(Ok(stored));
            }
        }
        Err(error) if messages.len() == 1 => {
            let _ = answers.into_iter().next().map(|a| a.send(Err(error)));
        }
        Err(error) => {
            tracing::warn!(%error, messages = messages.len(), "group write failed; storing its messages one by one");
            for (message, answer) in messages.iter().zip(answers) {
                let result = store(pool, std::slice::from_ref(message)).await;
                let _ = answer.send(result.map(|mut s| s.remove(0)));
            }
        }
    }
}

async fn store(pool: &PgPool, messages: &[AcceptedMessage]) -> sqlx::Result<Vec<StoredMessage>> {
    let rows: Vec<NewMessage> = messages
        .iter()
        .map(|j| NewMessage {
            connector_id: j.connector_id,
            message_id: &j.message_id,
            message_id_derived: j.message_id_derived,
            received_at: j.received_at,
            content_type: j.content_type.as_deref(),
            headers: &j.headers,
            body: &j.body,
            event_count: j.events.len() as i32,
        })
        .collect();
    let to_store: Vec<MessageToStore> = messages
        .iter()
        .zip(&rows)
        .map(|(j, message)| MessageToStore {
            message,
            events: &j.events,
        })
        .collect();
    if messages
        .iter()
        .all(|j| j.unknown_codes.is_empty() && j.follow_ups.is_empty())
    {
        // One statement, committed on its own: one round trip.
        return events::store_messages(pool, &to_store).await;
    }
    let mut tx = pool.begin().await?;
    let stored = events::store_messages(&mut *tx, &to_store).await?;
    for (message, stored) in messages.iter().zip(&stored) {
        // A re-delivered message was counted the first time.
        if stored.first_time && !message.unknown_codes.is_empty() {
            events::record_unknown_codes(
                &mut tx,
                message.connector_id,
                stored.inbox_message_id,
                message.received_at,
                &message.unknown_codes,
            )
            .await?;
        }
        if stored.first_time && !message.follow_ups.is_empty() {
            queue::enqueue_if_called(&mut tx, message.connector_id, &message.follow_ups).await?;
        }
    }
    tx.commit().await?;
    Ok(stored)
}
