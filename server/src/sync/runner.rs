//! Runs jobs: one loop per queue with its own concurrency, woken by `LISTEN milepost_jobs` when a
//! job is enqueued and by a poll when a notification is missed. Each attempt ends in exactly one
//! recorded outcome: succeeded, retried later (backoff with jitter, honouring `Retry-After`), or
//! dead. A job whose worker dies returns to pending when its lease runs out, so its effect must be
//! idempotent: handlers check before they act (see the connectors).

use super::breaker::{BreakerPolicy, Gate};
use super::retry::RetryPolicy;
use crate::attempt::{Done, Failure, JobError};
use crate::database::Heard;
use crate::jobs::{BackgroundJob, JobContext, Services};
use crate::store::jobs::circuits;
use crate::store::jobs::queue::{self, AttemptRecord, ClaimedJob, Outcome};
use chrono::Utc;
use sqlx::PgPool;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// The channel the `job_enqueued` trigger notifies, with the queue's name.
const CHANNEL: &str = "milepost_jobs";

pub type JobFuture = Pin<Box<dyn Future<Output = Result<Done, JobError>> + Send>>;

/// Runs one kind of job from its stored row: what `register` makes of a `BackgroundJob`, and
/// what the runner's own tests give it directly. Called again for the same job after a crash or
/// a retry: it must check whether its effect already happened before causing it.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, job: ClaimedJob) -> JobFuture;
}

impl<F, Fut> Handler for F
where
    F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Done, JobError>> + Send + 'static,
{
    fn run(&self, job: ClaimedJob) -> JobFuture {
        Box::pin(self(job))
    }
}

/// One queue: an external endpoint, how many of its jobs run at once, and its breaker.
#[derive(Debug, Clone)]
pub struct QueueSpec {
    pub name: String,
    pub concurrency: usize,
    pub breaker: BreakerPolicy,
    pub retry: RetryPolicy,
}

impl QueueSpec {
    pub fn new(name: &str, concurrency: usize) -> Self {
        Self {
            name: name.to_string(),
            concurrency: concurrency.max(1),
            breaker: BreakerPolicy::default(),
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct RunnerSettings {
    /// How long a claimed job is held; an attempt still running then is cut off and counted failed.
    pub lease: Duration,
    /// The poll that catches a missed notification, a retry coming due, or an opening circuit.
    pub poll: Duration,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(60),
            poll: Duration::from_secs(1),
        }
    }
}

/// The job kinds this process can run, and its queues.
#[derive(Clone, Default)]
pub struct Runner {
    handlers: HashMap<String, Arc<dyn Handler>>,
    queues: Vec<QueueSpec>,
    settings: RunnerSettings,
}

impl Runner {
    pub fn new(settings: RunnerSettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    pub fn queue(mut self, spec: QueueSpec) -> Self {
        self.queues.push(spec);
        self
    }

    /// Runs jobs of `kind` with `handler` (the primitive `register` is built on).
    pub fn handle(mut self, kind: &str, handler: impl Handler) -> Self {
        self.handlers.insert(kind.to_string(), Arc::new(handler));
        self
    }

    /// Runs every job of `J`'s kind: its payload read as `J` (an operator's edit that no longer
    /// reads is a dead letter, with the reason), then `J::run` with the engine's services.
    pub fn register<J: BackgroundJob>(self, services: &Arc<Services>) -> Self {
        let services = services.clone();
        self.handle(J::KIND, move |job: ClaimedJob| {
            let services = services.clone();
            async move {
                let typed: J = serde_json::from_value(job.payload).map_err(|e| {
                    JobError::fatal(format!("the {} job's payload cannot be read: {e}", J::KIND))
                })?;
                let ctx = JobContext {
                    services: &services,
                    queue: &job.queue,
                    attempt: job.attempts,
                    max_attempts: job.max_attempts,
                };
                typed.run(&ctx).await
            }
        })
    }

    /// Runs every queue until `stop`; jobs already started finish (or their lease runs out).
    pub async fn run(self, pool: PgPool, stop: CancellationToken) {
        let wakers: Arc<HashMap<String, Arc<Notify>>> = Arc::new(
            self.queues
                .iter()
                .map(|q| (q.name.clone(), Arc::new(Notify::new())))
                .collect(),
        );
        let handlers = Arc::new(self.handlers);
        let mut tasks = vec![tokio::spawn(listen(
            pool.clone(),
            wakers.clone(),
            stop.clone(),
        ))];
        tasks.push(tokio::spawn(release_leases(
            pool.clone(),
            self.settings.poll,
            stop.clone(),
        )));
        for spec in self.queues {
            let waker = wakers[&spec.name].clone();
            tasks.push(tokio::spawn(run_queue(
                pool.clone(),
                spec,
                handlers.clone(),
                self.settings,
                waker,
                stop.clone(),
            )));
        }
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// Wakes a queue's loop when a job is enqueued on it; the poll covers what a lost connection missed.
async fn listen(pool: PgPool, wakers: Arc<HashMap<String, Arc<Notify>>>, stop: CancellationToken) {
    crate::database::follow(pool, CHANNEL, stop.cancelled_owned(), |heard| {
        if let Heard::Notified(queue) = heard {
            if let Some(waker) = wakers.get(&queue) {
                waker.notify_one();
            }
        }
    })
    .await
}

async fn release_leases(pool: PgPool, every: Duration, stop: CancellationToken) {
    loop {
        match queue::release_expired_leases(&pool).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "returned jobs whose worker stopped answering"),
            Err(error) => tracing::warn!(%error, "could not check job leases"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

async fn run_queue(
    pool: PgPool,
    spec: QueueSpec,
    handlers: Arc<HashMap<String, Arc<dyn Handler>>>,
    settings: RunnerSettings,
    waker: Arc<Notify>,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(spec.concurrency));
    let spec = Arc::new(spec);
    while !stop.is_cancelled() {
        let claimed = match take(&pool, &spec, &slots, settings).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(queue = %spec.name, %error, "could not claim jobs");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        for job in claimed {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (pool, spec, handlers, waker) =
                (pool.clone(), spec.clone(), handlers.clone(), waker.clone());
            // One span per attempt, in the scope of its correlation id: every log line of the
            // job's work and every call it makes carries both.
            let span = tracing::info_span!(
                "job attempt", job.id = job.job_id, job.queue = %job.queue, job.kind = %job.kind,
                job.attempt = job.attempts,
                correlation.id = job.correlation_id.as_deref().unwrap_or("-")
            );
            let correlation = job.correlation_id.clone();
            tokio::spawn(async move {
                let work = attempt(&pool, &spec, &handlers, settings, job);
                crate::correlation::scope(correlation, work)
                    .instrument(span)
                    .await;
                drop(slot);
                // A finished job may unblock the next of its order, or a freed slot more work.
                waker.notify_one();
            });
        }
        if idle {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = waker.notified() => {}
                _ = tokio::time::sleep(settings.poll) => {}
            }
        } else if slots.available_permits() == 0 {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = waker.notified() => {}
            }
        }
    }
    // Stopping: attempts in flight finish and record their outcome (the process's shutdown
    // deadline bounds the wait; an attempt cut off there is retaken when its lease runs out).
    let _ = slots.acquire_many(spec.concurrency as u32).await;
}

/// Claims as many jobs as there are free slots, as the breaker and the queue's concurrency
/// across all workers allow.
async fn take(
    pool: &PgPool,
    spec: &QueueSpec,
    slots: &Semaphore,
    settings: RunnerSettings,
) -> sqlx::Result<Vec<ClaimedJob>> {
    let free = slots.available_permits();
    if free == 0 {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    circuits::lock_circuit(&mut tx, &spec.name).await?;
    let mut circuit = circuits::circuit(&mut *tx, &spec.name).await?;
    let before = circuit.clone();
    let limit = match spec.breaker.gate(&mut circuit, Utc::now()) {
        Gate::Flow => free,
        Gate::Probe => 1,
        Gate::Wait(_) => 0,
    };
    // The queue's concurrency is the partner's limit, across every worker process: claims of a
    // queue are serialised by the circuit lock above, so what runs elsewhere is counted here.
    let room = if limit > 0 {
        (spec.concurrency as i64 - queue::in_flight(&mut *tx, &spec.name).await?).max(0) as usize
    } else {
        0
    };
    let limit = limit.min(room);
    if circuit != before {
        circuits::save_circuit(&mut tx, &circuit).await?;
    }
    let claimed = if limit > 0 {
        queue::claim(&mut *tx, &spec.name, limit as i64, settings.lease).await?
    } else {
        Vec::new()
    };
    if claimed.is_empty() && circuit != before {
        // The probe found no job: the circuit stays as it was, to probe when work arrives.
        circuits::save_circuit(&mut tx, &before).await?;
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Runs one attempt and records its outcome, and what it tells about the endpoint.
async fn attempt(
    pool: &PgPool,
    spec: &QueueSpec,
    handlers: &HashMap<String, Arc<dyn Handler>>,
    settings: RunnerSettings,
    job: ClaimedJob,
) {
    let started = std::time::Instant::now();
    let result = match handlers.get(&job.kind) {
        Some(handler) => {
            // Cut off before the lease runs out, so no other worker starts it while this one runs.
            let budget = settings.lease.mul_f64(0.9);
            match tokio::time::timeout(budget, handler.run(job.clone())).await {
                Ok(result) => result,
                Err(_) => Err(JobError::transient(format!(
                    "no answer within {} s",
                    budget.as_secs()
                ))),
            }
        }
        None => Err(JobError::fatal(format!(
            "this worker cannot run jobs of kind {}",
            job.kind
        ))),
    };
    let (outcome, record, endpoint) = match result {
        Ok(done) => (Outcome::Succeeded, done.record, Some(true)),
        Err(error) => {
            let mut record = error.record.clone();
            record.error = Some(error.message.clone());
            let outcome = if error.failure == Failure::Fatal || job.attempts >= job.max_attempts {
                Outcome::Dead
            } else {
                let wait = spec
                    .retry
                    .delay(job.attempts, error.retry_after, &mut rand::rng());
                Outcome::Retry(wait)
            };
            let endpoint = (error.failure == Failure::Transient).then_some(false);
            match outcome {
                // An integrator's alert: what died, where, and why (replayable from /integrations).
                Outcome::Dead => tracing::error!(
                    job_id = job.job_id, queue = %job.queue, kind = %job.kind, attempts = job.attempts,
                    error = %error.message, "job is a dead letter"
                ),
                _ => tracing::warn!(
                    job_id = job.job_id, queue = %job.queue, kind = %job.kind, attempts = job.attempts,
                    error = %error.message, "job failed; it will be retried"
                ),
            }
            (outcome, record, endpoint)
        }
    };
    crate::metrics::job_attempt(
        &job.queue,
        &job.kind,
        match outcome {
            Outcome::Succeeded => "succeeded",
            Outcome::Retry(_) => "retried",
            Outcome::Dead => "dead",
        },
        started.elapsed(),
    );
    if let Err(error) = record_outcome(pool, spec, &job, outcome, &record, endpoint).await {
        // The lease runs out and the job runs again: nothing is lost.
        tracing::warn!(job_id = job.job_id, %error, "could not record a job's outcome");
    }
}

async fn record_outcome(
    pool: &PgPool,
    spec: &QueueSpec,
    job: &ClaimedJob,
    outcome: Outcome,
    record: &AttemptRecord,
    endpoint_healthy: Option<bool>,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    if !queue::finish(&mut tx, job, outcome, record).await? {
        tracing::warn!(
            job_id = job.job_id,
            "a job's lease ran out before it finished; its next attempt counts"
        );
    }
    if let Some(healthy) = endpoint_healthy {
        circuits::lock_circuit(&mut tx, &spec.name).await?;
        let mut circuit = circuits::circuit(&mut *tx, &spec.name).await?;
        let before = circuit.clone();
        if healthy {
            spec.breaker.on_success(&mut circuit);
        } else {
            spec.breaker.on_failure(&mut circuit, Utc::now());
        }
        if circuit != before {
            if circuit.state != before.state {
                tracing::warn!(queue = %spec.name, from = %before.state, to = %circuit.state, "circuit breaker");
            }
            circuits::save_circuit(&mut tx, &circuit).await?;
        }
    }
    tx.commit().await
}
