//! Background workers: the projector (folds stored events into their orders), the sync engine
//! (`sync::engine`: a queue per connector Milepost calls, rebuilt when a connector changes), the
//! schedules, the SLA sweep (`sla::sweep`), alerts (`alerts`), retention (`retention`) and housekeeping (expired sessions, old sign-in
//! failures, the event table's partitions for the coming months), each under the process's
//! `Supervisor`. Every task is idempotent, so several worker processes may run.

use crate::alerts::AlertSettings;
use crate::ingest::reads::ReadIntake;
use crate::ingest::writer::Writer;
use crate::supervisor::{repeat, Beat, Health, Supervisor};
use anyhow::Context;
use chrono::Utc;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions_sqlx_store::PostgresStore;

const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(5 * 60);
/// Sign-in failures are only counted for minutes; a day of them is kept for investigation.
const KEEP_LOGIN_FAILURES: chrono::Duration = chrono::Duration::days(1);
/// Unauthenticated refusals (metadata only) are kept a month for an integrator tracing a
/// misconfigured sender.
const KEEP_REFUSALS: chrono::Duration = chrono::Duration::days(30);

/// How often the projector looks for queued events. Ingest does not NOTIFY: Postgres serialises
/// the commits of notifying transactions, which capped concurrent ingest; a short poll costs less.
const PROJECTOR_POLL: Duration = Duration::from_millis(200);

/// How often due schedules are looked for (they are as precise as this).
const SCHEDULE_TICK: Duration = Duration::from_secs(1);

/// The longest the projector or the scheduler may go without finishing a round (each batch of
/// the projector counts) before `/readyz` calls it stalled.
const STALE_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the workers are told: the sync engine's waits and where alerts go.
#[derive(Clone, Debug, Default)]
pub struct WorkerSettings {
    pub engine: crate::sync::engine::EngineSettings,
    pub alerts: AlertSettings,
    pub retention: crate::retention::RetentionSettings,
}

/// Runs until `stop` is cancelled: the projector, the sync engine, the schedules, the SLA sweep,
/// alerts and housekeeping.
pub async fn run(pool: PgPool, stop: CancellationToken) -> anyhow::Result<()> {
    run_with(pool, crate::sync::engine::EngineSettings::default(), stop).await
}

/// `run`, with the sync engine's waits as given (tests shorten them).
pub async fn run_with(
    pool: PgPool,
    engine: crate::sync::engine::EngineSettings,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let settings = WorkerSettings {
        engine,
        ..WorkerSettings::default()
    };
    supervised(pool, settings, Supervisor::new(Health::default(), stop)).await;
    Ok(())
}

/// Starts every worker task under `supervisor` (restarted with backoff when it fails; its
/// `Health` says how each is) and waits until they end, when its stop token is cancelled.
pub async fn supervised(pool: PgPool, settings: WorkerSettings, mut supervisor: Supervisor) {
    let WorkerSettings {
        engine,
        alerts,
        retention,
    } = settings;
    let stop = supervisor.stop().clone();
    let every = |pool: &PgPool, stop: &CancellationToken| (pool.clone(), stop.clone());
    {
        let (pool, stop) = every(&pool, &stop);
        supervisor.spawn("projector", Some(STALE_AFTER), move |beat| {
            let (pool, stop) = every(&pool, &stop);
            async move { repeat(PROJECTOR_POLL, &stop, &beat, || project(&pool, &beat)).await }
        });
    }
    {
        // Jobs that read from a partner store what they read through intake, as if it was sent.
        let (pool, stop) = every(&pool, &stop);
        supervisor.spawn("sync engine", None, move |_| {
            let intake = Arc::new(ReadIntake::new(Writer::start(pool.clone())));
            crate::sync::engine::supervise(pool.clone(), intake, engine, stop.clone())
        });
    }
    {
        let (pool, stop) = every(&pool, &stop);
        supervisor.spawn("scheduler", Some(STALE_AFTER), move |beat| {
            let (pool, stop) = every(&pool, &stop);
            async move {
                repeat(SCHEDULE_TICK, &stop, &beat, || async {
                    crate::sync::schedules::tick(&pool).await.map(|_| ())
                })
                .await
            }
        });
    }
    {
        let (pool, stop) = every(&pool, &stop);
        let settings = crate::sla::sweep::SweepSettings::default();
        supervisor.spawn("sla sweep", Some(settings.every * 5), move |beat| {
            let (pool, stop, settings) = (pool.clone(), stop.clone(), settings.clone());
            async move {
                repeat(settings.every, &stop, &beat, || async {
                    Ok(crate::sla::sweep::once(&pool, &settings).await?)
                })
                .await
            }
        });
    }
    {
        let (pool, stop) = every(&pool, &stop);
        supervisor.spawn(
            "alerts",
            Some(crate::alerts::CHECK_EVERY * 5),
            move |beat| {
                let (pool, stop, alerts) = (pool.clone(), stop.clone(), alerts.clone());
                async move {
                    repeat(crate::alerts::CHECK_EVERY, &stop, &beat, || async {
                        crate::alerts::round(&pool, &alerts).await.map(|_| ())
                    })
                    .await
                }
            },
        );
    }
    {
        let (pool, stop) = every(&pool, &stop);
        let every_run = crate::retention::RUN_EVERY;
        supervisor.spawn("retention", Some(every_run * 3), move |beat| {
            let (pool, stop, retention) = (pool.clone(), stop.clone(), retention.clone());
            async move {
                repeat(every_run, &stop, &beat, || async {
                    crate::retention::run(&pool, &retention, Utc::now())
                        .await
                        .map(|_| ())
                })
                .await
            }
        });
    }
    supervisor.spawn("housekeeping", Some(HOUSEKEEPING_EVERY * 3), move |beat| {
        let (pool, stop) = every(&pool, &stop);
        async move { repeat(HOUSEKEEPING_EVERY, &stop, &beat, || housekeeping(&pool)).await }
    });
    supervisor.wait().await;
}

/// One projector round: fold what is queued (a beat per batch), then send the exception
/// queue's decisions.
async fn project(pool: &PgPool, beat: &Beat) -> anyhow::Result<()> {
    crate::projector::drain_reporting(pool, || beat.ok())
        .await
        .context("folding queued events (they stay queued)")?;
    crate::projector::decisions::dispatch(pool)
        .await
        .context("sending exception decisions (they stay queued)")?;
    Ok(())
}

/// Monthly event partitions made ahead of time.
const EVENT_PARTITIONS_AHEAD: i32 = 3;

/// Deletes expired sessions, old sign-in failures and old refused requests; creates the coming months' event partitions.
pub async fn housekeeping(pool: &PgPool) -> anyhow::Result<()> {
    crate::store::events::ensure_partitions(pool, EVENT_PARTITIONS_AHEAD)
        .await
        .context("creating the coming months' event partitions")?;
    PostgresStore::new(pool.clone())
        .delete_expired()
        .await
        .context("deleting expired sessions")?;
    let pruned =
        app::store::login_failures::delete_older_than(pool, Utc::now() - KEEP_LOGIN_FAILURES)
            .await
            .context("pruning old sign-in failures")?;
    let refusals = crate::store::refusals::delete_older_than(pool, Utc::now() - KEEP_REFUSALS)
        .await
        .context("pruning old refused requests")?;
    tracing::debug!(
        login_failures.pruned = pruned,
        refused_requests.pruned = refusals,
        "housekeeping done"
    );
    Ok(())
}
