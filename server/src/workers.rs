//! Background workers: the projector (folds stored events into their orders), housekeeping
//! (expired sessions, old sign-in failures, the event table's partitions for the coming months),
//! and the sync engine (`sync::engine`: a queue per connector Milepost calls, rebuilt when a
//! connector changes, and the schedules), and the SLA sweep (`sla::sweep`). Every task is idempotent, so several worker processes may run.

use crate::ingest::reads::ReadIntake;
use crate::ingest::writer::Writer;
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

/// Runs until `stop` is cancelled: the projector, the sync engine, the schedules, and
/// housekeeping every few minutes.
pub async fn run(pool: PgPool, stop: CancellationToken) -> anyhow::Result<()> {
    run_with(pool, crate::sync::engine::EngineSettings::default(), stop).await
}

/// `run`, with the sync engine's waits as given (tests shorten them).
pub async fn run_with(
    pool: PgPool,
    engine: crate::sync::engine::EngineSettings,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let projector = tokio::spawn(project(pool.clone(), stop.clone()));
    // Jobs that read from a partner store what they read through intake, as if it was sent.
    let intake = Arc::new(ReadIntake::new(Writer::start(pool.clone())));
    let jobs = tokio::spawn(crate::sync::engine::supervise(
        pool.clone(),
        intake,
        engine,
        stop.clone(),
    ));
    let schedules = tokio::spawn(crate::sync::schedules::run(
        pool.clone(),
        SCHEDULE_TICK,
        stop.clone(),
    ));
    let sweep = tokio::spawn(crate::sla::sweep::run(
        pool.clone(),
        crate::sla::sweep::SweepSettings::default(),
        stop.clone(),
    ));
    let housekeeping = keep_house(pool, stop).await;
    projector.await.context("the projector task")?;
    sweep.await.context("the SLA sweep")?;
    jobs.await.context("the job runner")?;
    schedules.await.context("the scheduler")?;
    housekeeping
}

/// How often due schedules are looked for (they are as precise as this).
const SCHEDULE_TICK: Duration = Duration::from_secs(1);

/// Folds queued events into their orders, draining the queue every poll.
async fn project(pool: PgPool, stop: CancellationToken) {
    let mut tick = tokio::time::interval(PROJECTOR_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = crate::projector::drain(&pool).await {
                    tracing::warn!(error = %e, "projector failed; the events stay queued and are retried");
                }
                if let Err(e) = crate::projector::decisions::dispatch(&pool).await {
                    tracing::warn!(error = %e, "sending exception decisions failed; they stay queued and are retried");
                }
            }
        }
    }
}

async fn keep_house(pool: PgPool, stop: CancellationToken) -> anyhow::Result<()> {
    let mut tick = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tick.tick() => {
                if let Err(e) = housekeeping(&pool).await {
                    tracing::warn!(error = %format!("{e:#}"), "housekeeping failed; retrying next round");
                }
            }
        }
    }
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
