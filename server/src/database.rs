//! Connecting to Postgres: `DATABASE_URL` when set, else the embedded cluster.

use crate::pg::{self, ClusterOptions, EmbeddedPostgres};
use crate::settings::Settings;
use anyhow::Context;
use app::auth::state::{Reads, Replica};
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The pools, and the embedded cluster when this process uses one (stop it on the way out).
pub struct Database {
    pub pools: Pools,
    pub embedded: Option<EmbeddedPostgres>,
}

/// One pool per kind of work, so a flood of ingest or a slow page cannot take the connections
/// the projector needs, and the reverse. Notification listeners open connections of their own
/// (`listener`). A test may hand the same pool to all three (`Pools::single`).
#[derive(Clone, Debug)]
pub struct Pools {
    /// Pages, server functions, sessions, live streams' sign-in checks, downloads.
    pub web: PgPool,
    /// The ingest API and its writer.
    pub ingest: PgPool,
    /// The projector, the sync engine, schedules, sweeps, housekeeping.
    pub workers: PgPool,
    /// Where the read-heavy pages read: the replica (`MILEPOST_REPLICA_URL`) while
    /// `watch_replica` finds it fresh, else `web`.
    pub reads: Reads,
}

impl Pools {
    /// One pool for every kind of work (tests, tools).
    pub fn single(pool: PgPool) -> Self {
        Self {
            web: pool.clone(),
            ingest: pool.clone(),
            reads: Reads::primary_only(pool.clone()),
            workers: pool,
        }
    }

    async fn close(&self) {
        if let Some(replica) = self.reads.replica() {
            replica.pool.close().await;
        }
        self.web.close().await;
        self.ingest.close().await;
        self.workers.close().await;
    }
}

/// Which pool a connection is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Web,
    Ingest,
    Workers,
}

/// The session settings a pool's connections start with. Every statement is bounded: a
/// runaway query ends with an error instead of holding a connection (and its locks) for ever.
/// Pages and ingest run without JIT compilation: their statements are short, and compiling one
/// whose estimated cost passes Postgres's threshold (a month's report over a million orders)
/// took longer than running it (2 s against 0.14 s, measured by `bench sla`). Pages always plan
/// with the values given: their statements take optional filters (`$3 is null or account_id =
/// any($3)`), and the generic plan Postgres switches to after five runs of a prepared statement
/// cannot use the index the given filter would (the scorecards read a month of every account).
pub fn session(
    options: PgConnectOptions,
    kind: PoolKind,
    db: &crate::settings::DbSettings,
) -> PgConnectOptions {
    let (name, timeout, jit, plans) = match kind {
        PoolKind::Web => ("web", db.statement_timeout, "off", "force_custom_plan"),
        PoolKind::Ingest => ("ingest", db.statement_timeout, "off", "auto"),
        PoolKind::Workers => ("workers", db.worker_statement_timeout, "on", "auto"),
    };
    options
        .application_name(&format!("milepost {name}"))
        .options([
            ("statement_timeout", format!("{}s", timeout.as_secs())),
            ("jit", jit.to_string()),
            ("plan_cache_mode", plans.to_string()),
        ])
}

impl Database {
    /// Connects as the settings say. With `DATABASE_URL` set, no local cluster is started or touched.
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let (url, embedded) = match &settings.database_url {
            Some(url) => (url.expose_secret().to_string(), None),
            None => {
                let options = ClusterOptions {
                    bin_dir: settings.pg_bin_dir.clone(),
                    unsafe_fast: false,
                };
                let cluster = EmbeddedPostgres::start_or_reuse(&settings.data_dir, options)
                    .await
                    .context(
                        "starting the embedded Postgres (set DATABASE_URL to use another server)",
                    )?;
                cluster
                    .ensure_database(pg::DATABASE)
                    .await
                    .context("creating the milepost database")?;
                tracing::info!(
                    database.url = %cluster.display_url(pg::DATABASE),
                    "no DATABASE_URL set: using the embedded Postgres"
                );
                (cluster.url(pg::DATABASE), Some(cluster))
            }
        };
        let options = PgConnectOptions::from_str(&url).context("reading the database URL")?;
        let db = &settings.db;
        let pool = |kind: PoolKind, size: u32| {
            PgPoolOptions::new()
                .max_connections(size)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(session(options.clone(), kind, db))
        };
        let web = pool(PoolKind::Web, db.web_connections)
            .await
            .context("connecting to Postgres")?;
        let replica = match &settings.replica_url {
            None => None,
            Some(url) => {
                let options = PgConnectOptions::from_str(url.expose_secret())
                    .context("reading MILEPOST_REPLICA_URL")?;
                // Lazy: a replica that is down at start is read from once it answers.
                let pool = PgPoolOptions::new()
                    .max_connections(db.web_connections)
                    .acquire_timeout(Duration::from_secs(2))
                    .connect_lazy_with(session(options, PoolKind::Web, db));
                Some(Replica {
                    pool,
                    fresh: Arc::default(),
                })
            }
        };
        let pools = Pools {
            reads: Reads::new(web.clone(), replica),
            web,
            ingest: pool(PoolKind::Ingest, db.ingest_connections).await?,
            workers: pool(PoolKind::Workers, db.worker_connections).await?,
        };
        Ok(Self { pools, embedded })
    }

    /// Closes the pool and leaves the embedded cluster (stopping it if this was its last user).
    pub async fn close(self) {
        // Closing waits for every connection to come back; after a shutdown deadline some are
        // still out with work that was cut off. The embedded cluster is stopped regardless.
        if tokio::time::timeout(Duration::from_secs(5), self.pools.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still in use at exit; closing anyway");
        }
        if let Some(cluster) = self.embedded {
            if let Err(e) = cluster.stop().await {
                tracing::error!(error = %e, "could not stop the embedded Postgres");
            }
        }
    }
}

/// Applies pending migrations (ours and the session store's), then seals any secret still stored
/// in plain text (`crate::secrets`). A failure names the migration.
pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    app::store::MIGRATOR
        .run(pool)
        .await
        .context("applying database migrations")?;
    tower_sessions_sqlx_store::PostgresStore::new(pool.clone())
        .migrate()
        .await
        .context("creating the session store tables")?;
    let sealed = crate::secrets::seal_stored(pool, false)
        .await
        .context("sealing stored secrets")?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed secrets stored before encryption");
    }
    Ok(())
}

/// What a `follow`ed notification channel reports.
#[derive(Debug)]
pub enum Heard {
    /// Listening (again): from now on no notification is missed until `Lost`.
    Listening,
    /// A notification, with its payload.
    Notified(String),
    /// The listening connection dropped: notifications may have been missed until `Listening`.
    Lost,
}

/// Listens on `channel` until `stop` resolves or the pool closes, reconnecting after a lost
/// connection, and tells `on` what it hears.
pub async fn follow(
    pool: PgPool,
    channel: &'static str,
    stop: impl std::future::Future<Output = ()>,
    mut on: impl FnMut(Heard),
) {
    tokio::pin!(stop);
    loop {
        let connect = async {
            let mut listener = listener(&pool).await?;
            listener.listen(channel).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = &mut stop => return,
            _ = pool.close_event() => return,
            listener = connect => match listener {
                Ok(listener) => listener,
                Err(_) if pool.is_closed() => return,
                Err(error) => {
                    tracing::warn!(%error, channel, "cannot listen for notifications; retrying");
                    tokio::select! {
                        _ = &mut stop => return,
                        _ = pool.close_event() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        on(Heard::Listening);
        loop {
            let received = tokio::select! {
                _ = &mut stop => return,
                _ = pool.close_event() => return,
                received = listener.try_recv() => received,
            };
            match received {
                Ok(Some(n)) => on(Heard::Notified(n.payload().to_string())),
                Ok(None) | Err(_) => {
                    on(Heard::Lost);
                    break;
                }
            }
        }
    }
}

/// A listener on a connection of its own, opened with `pool`'s settings but not taken from it:
/// a listener holds its connection for as long as it listens, which would shrink the pool.
pub async fn listener(pool: &PgPool) -> sqlx::Result<PgListener> {
    let own = PgPoolOptions::new().max_connections(1).connect_lazy_with(
        (*pool.connect_options())
            .clone()
            .application_name("milepost listener"),
    );
    PgListener::connect_with(&own).await
}

/// Keeps `reads` honest about its replica until `stop`: every second, the replica's lag (0 when it
/// has replayed all it received; else the age of the last transaction it replayed); fresh while
/// it answers and the lag is within `max_lag`. Changes are logged; the lag is the
/// `milepost_replica_lag_seconds` gauge.
pub async fn watch_replica(reads: Reads, max_lag: Duration, stop: CancellationToken) {
    let Some(replica) = reads.replica().cloned() else {
        return;
    };
    let mut was_fresh = None;
    loop {
        let lag = crate::store::replica::lag_seconds(&replica.pool).await;
        let fresh = matches!(lag, Ok(l) if l <= max_lag.as_secs_f64());
        if let Ok(l) = lag {
            metrics::gauge!("milepost_replica_lag_seconds").set(l);
        }
        metrics::gauge!("milepost_replica_fresh").set(if fresh { 1.0 } else { 0.0 });
        replica
            .fresh
            .store(fresh, std::sync::atomic::Ordering::Relaxed);
        if was_fresh != Some(fresh) {
            match &lag {
                Ok(l) if fresh => tracing::info!(lag.seconds = l, "pages read from the replica"),
                Ok(l) => tracing::warn!(
                    lag.seconds = l,
                    max = max_lag.as_secs_f64(),
                    "the replica lags: pages read from the primary"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "the replica does not answer: pages read from the primary")
                }
            }
            was_fresh = Some(fresh);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
