//! The projector: the stage between intake and sync. It folds stored events into their orders,
//! in batches, after intake has committed them (the sender's 202 waits only for the store).
//!
//! One run is one transaction and a short sequence of named steps:
//!
//! 1. take a batch from `projection_queue` (skipping rows another projector holds);
//! 2. `owners`: lock the orders and parcels it touches, settle the parcels its dispatches claim
//!    (the first claim stays; another order naming the number is a conflict) and find the order
//!    of each carrier event that names only a parcel of its carrier;
//! 3. `fold`: gather each order's history, route every event to its order (or to its parcel, to
//!    wait for the dispatch that names it), reject the events of connectors that do not serve the
//!    order's account, fold, and give every event its verdict;
//! 4. `effects`: what the applied events cause elsewhere: sync jobs (the outbox, `outbox`) and
//!    deliveries to customer webhook subscriptions; `held`: releases that cannot go (a customer
//!    mapped to no account, a warehouse no WMS serves) are kept instead, with an exception;
//! 5. write the projections, the SLA clocks (`sla::engine`), the histories, the verdicts, the jobs
//!    and the deliveries, and commit. A crash leaves the batch queued for the next run.
//!
//! Decisions on the exception queue that act elsewhere (`case_action`) become jobs the same way,
//! routed by the same rules (`decisions`).
//!
//! An applied event and its consequences therefore commit together or not at all. The projector
//! reads intake's tables and writes the jobs sync runs; it imports neither (`jobs` is the
//! catalogue both share).

pub mod decisions;
pub mod effects;
pub mod fold;
pub mod held;
pub mod outbox;
pub mod owners;
pub mod routes;

use crate::connectors::outbound;
use crate::jobs::DeliverWebhook;
use crate::store::history::{self, Queued};
use crate::store::jobs::queue;
use crate::store::jobs::queue::JobPayload;
use crate::store::{connectors, events, projections, quarantine, webhooks};
use futures_util::FutureExt;
use routes::Routes;
use sqlx::Connection;
use sqlx::{PgConnection, PgPool};
use std::panic::AssertUnwindSafe;

/// Events folded per transaction.
pub const BATCH: i64 = 2000;

/// Folds queued events until none are left; returns how many were folded (or set aside).
pub async fn drain(pool: &PgPool) -> sqlx::Result<usize> {
    drain_reporting(pool, || {}).await
}

/// `drain`, calling `each_batch` after every batch (the worker's heartbeat). A batch that fails
/// for any reason but a lost connection (a panic included) is folded again one event at a time
/// (`isolate`), so one event the fold or the database refuses cannot stop the others.
pub async fn drain_reporting(pool: &PgPool, mut each_batch: impl FnMut()) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let done = match AssertUnwindSafe(run_once(pool, BATCH)).catch_unwind().await {
            Ok(Ok(done)) => done,
            Ok(Err(error)) if is_transient(&error) => return Err(error),
            outcome => {
                let why = failure(outcome.map(|r| r.map(|_| ())));
                tracing::warn!(error = %why, "a batch could not be folded; folding it one event at a time");
                isolate(pool, BATCH).await?
            }
        };
        if done == 0 {
            return Ok(total);
        }
        crate::metrics::events_folded(done);
        total += done;
        each_batch();
    }
}

/// Folds one batch of queued events in one transaction; returns how many.
pub async fn run_once(pool: &PgPool, limit: i64) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let queued = history::take_queued(&mut tx, limit).await?;
    if queued.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let count = queued.len();
    let routes = routes_now(&mut tx).await?;
    project(&mut tx, queued, &Routes::new(&routes)).await?;
    tx.commit().await?;
    Ok(count)
}

/// Folds up to `limit` queued events one at a time, each in its own transaction. An event that
/// fails alone (not for a lost connection) leaves the queue for `quarantined_event`, with its
/// error, in the same transaction: the events after it keep flowing, and an integrator replays
/// it from `/integrations` once the cause is mended. Returns how many were folded or set aside.
pub async fn isolate(pool: &PgPool, limit: i64) -> sqlx::Result<usize> {
    let mut done = 0;
    for _ in 0..limit {
        let mut tx = pool.begin().await?;
        let queued = history::take_queued(&mut tx, 1).await?;
        let Some(event) = queued.first().cloned() else {
            tx.commit().await?;
            break;
        };
        let routes = routes_now(&mut tx).await?;
        // A savepoint: the fold's writes go, the event's removal from the queue stays.
        let mut fold = tx.begin().await?;
        let outcome = AssertUnwindSafe(project(&mut fold, queued, &Routes::new(&routes)))
            .catch_unwind()
            .await;
        match outcome {
            Ok(Ok(())) => fold.commit().await?,
            Ok(Err(error)) if is_transient(&error) => return Err(error),
            outcome => {
                fold.rollback().await?;
                let why = failure(outcome);
                tracing::error!(
                    event.id = %event.entry.event_id, order = ?event.order_ref, error = %why,
                    "an event could not be folded; it is quarantined and the others go on"
                );
                quarantine::quarantine(&mut tx, &event, &why).await?;
                crate::metrics::event_quarantined();
            }
        }
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// The outbound endpoints the batch routes its jobs to, as configured now.
async fn routes_now(conn: &mut PgConnection) -> sqlx::Result<Vec<outbound::Endpoint>> {
    let (endpoints, bad) = outbound::endpoints(&connectors::outbound_all(&mut *conn).await?);
    for error in bad {
        tracing::warn!(%error, "a connector's outbound settings are unusable; nothing is sent to it");
    }
    Ok(endpoints)
}

/// A failure that says nothing about the events: the connection or the server went away, or
/// the transaction lost a race. Trying the same events again later is right; setting them
/// aside is not.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Serialization failure, deadlock; the server shutting down or out of resources;
            // connection exceptions (class 08), insufficient resources (53), operator
            // intervention (57, which includes a cancelled statement).
            code == "40001"
                || code == "40P01"
                || code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57")
        }),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

/// What went wrong with a fold, in words: its error or its panic.
fn failure(outcome: Result<sqlx::Result<()>, Box<dyn std::any::Any + Send>>) -> String {
    match outcome {
        Ok(Ok(())) => "no error".into(),
        Ok(Err(error)) => error.to_string(),
        Err(panic) => format!(
            "the fold panicked: {}",
            crate::supervisor::panic_message(panic.as_ref())
        ),
    }
}

/// One batch, step by step (see the module's documentation).
async fn project(
    conn: &mut PgConnection,
    mut queued: Vec<Queued>,
    routes: &Routes,
) -> sqlx::Result<()> {
    let owners = owners::resolve(conn, &mut queued).await?;
    let mut batch = fold::Batch::gather(conn, &queued, &owners).await?;
    batch.route(queued);
    batch.check_scope(conn).await?;
    let mut folded = batch.fold();
    let releasing = effects::releasing(&folded, routes);
    let times = crate::sla::release::times_for(conn, &releasing, chrono::Utc::now()).await?;
    let mut effects = effects::plan(&folded, routes, &times);
    let held = held::decide(conn, &mut folded, &mut effects, routes, &times).await?;
    write(conn, owners, folded, effects, held).await
}

/// Writes everything one batch decided, in the transaction that took it.
async fn write(
    conn: &mut PgConnection,
    owners: owners::Owners,
    folded: fold::Folded,
    effects: effects::Effects,
    held: Vec<crate::store::held_releases::HeldRelease>,
) -> sqlx::Result<()> {
    let fold::Folded {
        orders,
        waiting,
        changes,
        ..
    } = folded;
    let mut written = Vec::with_capacity(orders.len());
    let mut saved = Vec::with_capacity(orders.len());
    let mut changed_past = Vec::new();
    for order in orders {
        if order.changed_past {
            changed_past.push(order.order_ref.clone());
        }
        written.extend(order.projection);
        saved.push((order.order_ref, order.history));
    }
    history::claim_parcels(conn, &owners.claimed()).await?;
    history::record_parcel_conflicts(conn, &owners.conflicts).await?;
    projections::write(conn, &written).await?;
    crate::sla::engine::recompute(conn, &written, &changed_past, chrono::Utc::now()).await?;
    history::save_orders(conn, &saved).await?;
    history::add_to_parcels(conn, &waiting.into_iter().collect::<Vec<_>>()).await?;
    events::set_verdicts(conn, &changes).await?;
    queue::enqueue_many(conn, &effects.jobs).await?;
    crate::store::held_releases::hold(conn, &held).await?;
    // After the orders are written: a delivery goes to the subscriptions of the order's account.
    webhooks::enqueue_deliveries(conn, DeliverWebhook::KIND, &effects.deliveries).await?;
    Ok(())
}
