//! API keys and connectors, cached in memory so a busy sender's calls do not each read them.
//!
//! The cache is only trusted while this process listens for changes: a trigger notifies
//! `milepost_ingest_directory` when a key is revoked or rotated or a connector changes
//! (`migrations/*_credentials_changed_notify.sql`), and every server forgets what it cached. A
//! revoked key is refused from the commit that revoked it, in every process. When the listening
//! connection drops, the cache is emptied and bypassed until it is back, since a notification
//! may have been missed. An entry read while a notification arrived is not kept, so a read that
//! raced a revocation cannot outlive it.

use super::connector::{BadConnector, Connector};
use crate::database::Heard;
use crate::store::api_keys::{self, StoredKey};
use crate::store::connectors;
use crate::supervisor::Beat;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The channel the triggers notify.
const CHANNEL: &str = "milepost_ingest_directory";
/// An entry is read again after this long even without a notification: a safety net, not the
/// mechanism.
const MAX_AGE: Duration = Duration::from_secs(60);

/// A stored connector: usable, or why not (a configuration error, logged where it is used).
pub type KnownConnector = Result<Arc<Connector>, Arc<BadConnector>>;

/// An API key as checked on each call, with its connector.
pub struct KnownKey {
    pub key: StoredKey,
    pub connector: KnownConnector,
    /// When this process last recorded the key's use (Unix seconds).
    pub last_recorded_use: AtomicI64,
}

struct Entry<V> {
    value: Arc<V>,
    read_at: Instant,
}

struct Shared {
    keys: Mutex<HashMap<String, Entry<KnownKey>>>,
    connectors: Mutex<HashMap<String, Entry<KnownConnector>>>,
    /// Bumped on every notification and on every loss of the listening connection.
    generation: AtomicU64,
    listening: AtomicBool,
}

impl Shared {
    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.keys.lock().expect("directory lock").clear();
        self.connectors.lock().expect("directory lock").clear();
    }
}

#[derive(Clone)]
pub struct Directory {
    pool: PgPool,
    shared: Arc<Shared>,
}

impl Directory {
    /// Starts listening for changes on the current Tokio runtime; stops when the pool closes.
    pub fn start(pool: PgPool, beat: Beat) -> Self {
        let shared = Arc::new(Shared {
            keys: Mutex::default(),
            connectors: Mutex::default(),
            generation: AtomicU64::new(0),
            listening: AtomicBool::new(false),
        });
        tokio::spawn(listen(pool.clone(), shared.clone(), beat));
        Self { pool, shared }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The key with this prefix, if there is one.
    pub async fn key(&self, prefix: &str) -> sqlx::Result<Option<Arc<KnownKey>>> {
        if let Some(hit) = self.cached(&self.shared.keys, prefix) {
            return Ok(Some(hit));
        }
        let generation = self.shared.generation.load(Ordering::SeqCst);
        let Some(found) = api_keys::find_with_connector(&self.pool, prefix).await? else {
            return Ok(None);
        };
        let known = Arc::new(KnownKey {
            last_recorded_use: AtomicI64::new(
                found.key.last_used_at.map_or(0, |at| at.timestamp()),
            ),
            key: found.key,
            connector: Connector::try_from(found.connector)
                .map(Arc::new)
                .map_err(Arc::new),
        });
        self.keep(&self.shared.keys, prefix, generation, known.clone());
        Ok(Some(known))
    }

    /// The connector of this name, if there is one.
    pub async fn connector(&self, name: &str) -> sqlx::Result<Option<Arc<KnownConnector>>> {
        if let Some(hit) = self.cached(&self.shared.connectors, name) {
            return Ok(Some(hit));
        }
        let generation = self.shared.generation.load(Ordering::SeqCst);
        let Some(record) = connectors::find_by_name(&self.pool, name).await? else {
            return Ok(None);
        };
        let connector = Arc::new(Connector::try_from(record).map(Arc::new).map_err(Arc::new));
        self.keep(&self.shared.connectors, name, generation, connector.clone());
        Ok(Some(connector))
    }

    fn cached<V>(&self, map: &Mutex<HashMap<String, Entry<V>>>, name: &str) -> Option<Arc<V>> {
        if !self.shared.listening.load(Ordering::SeqCst) {
            return None;
        }
        let map = map.lock().expect("directory lock");
        map.get(name)
            .filter(|e| e.read_at.elapsed() < MAX_AGE)
            .map(|e| e.value.clone())
    }

    /// Keeps what was read, unless a change was announced since the read began.
    fn keep<V>(
        &self,
        map: &Mutex<HashMap<String, Entry<V>>>,
        name: &str,
        generation: u64,
        value: Arc<V>,
    ) {
        let mut map = map.lock().expect("directory lock");
        if self.shared.listening.load(Ordering::SeqCst)
            && self.shared.generation.load(Ordering::SeqCst) == generation
        {
            map.insert(
                name.to_string(),
                Entry {
                    value,
                    read_at: Instant::now(),
                },
            );
        }
    }
}

async fn listen(pool: PgPool, shared: Arc<Shared>, beat: Beat) {
    crate::database::follow(pool, CHANNEL, std::future::pending(), |heard| match heard {
        Heard::Listening => {
            shared.listening.store(true, Ordering::SeqCst);
            beat.ok();
        }
        Heard::Notified(_) => shared.forget_all(),
        // A change may have gone unheard.
        Heard::Lost => {
            shared.listening.store(false, Ordering::SeqCst);
            shared.forget_all();
            beat.failed(&"the listening connection was lost; reconnecting (keys and connectors are read from the database meanwhile)");
        }
    })
    .await
}
