//! Keeping background tasks alive, and saying how they are.
//!
//! Every long-running task of a process (the projector, the job runners, the scheduler, the SLA
//! sweep, housekeeping, the notification listeners) runs under a [`Supervisor`]: a task that
//! panics or returns an error is started again after a backoff that doubles up to a minute (and
//! starts over once the task has run a while), and every task reports each round through its
//! [`Beat`]. [`Health`] is what `/readyz` reads: a task restarting, failing its rounds, or silent
//! for longer than its round allows makes the process not ready, by name.

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How restarts back off.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// The wait before the first restart; it doubles with each failure in a row.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// A task that ran this long before failing starts over from `first`.
    pub reset_after: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The wait after `failures` failures in a row (1 for the first).
    pub fn wait(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(16);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }
}

/// What a task is doing, as `/readyz` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Started, no round finished yet.
    Starting,
    /// Its last round went well.
    Running,
    /// Its last round failed; it carries on and tries again.
    Failing,
    /// It panicked or ended with an error and waits to be started again.
    Restarting,
    /// No round finished for longer than its round allows: it may hang.
    Stalled,
    /// It ended because the process is stopping.
    Stopped,
}

/// One task's health.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    pub name: String,
    pub status: TaskStatus,
    pub healthy: bool,
    /// Times it was started again after a failure.
    pub restarts: u32,
    /// The error or panic of its last failure, while it is not running again.
    pub error: Option<String>,
    pub last_ok: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct TaskState {
    status: TaskStatus,
    restarts: u32,
    error: Option<String>,
    last_ok: Option<DateTime<Utc>>,
    /// When it last showed life (a round, or a start): `Stalled` counts from here.
    alive_at: Instant,
    stale_after: Option<Duration>,
}

/// The health of every supervised task of this process. Cheap to clone; `Default` is empty
/// (a process without workers is healthy as far as tasks go).
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<BTreeMap<String, TaskState>>>);

impl Health {
    fn update(&self, name: &str, f: impl FnOnce(&mut TaskState)) {
        if let Some(state) = self.0.lock().expect("health lock").get_mut(name) {
            f(state);
        }
    }

    fn register(&self, name: &str, stale_after: Option<Duration>) {
        self.0.lock().expect("health lock").insert(
            name.to_string(),
            TaskState {
                status: TaskStatus::Starting,
                restarts: 0,
                error: None,
                last_ok: None,
                alive_at: Instant::now(),
                stale_after,
            },
        );
    }

    /// A beat for a task that keeps itself running (a listener that reconnects by itself):
    /// reported here, never restarted.
    pub fn watch(&self, name: &str) -> Beat {
        self.register(name, None);
        Beat {
            name: name.into(),
            health: self.clone(),
        }
    }

    /// Every task, by name.
    pub fn report(&self) -> Vec<TaskReport> {
        let now = Instant::now();
        self.0
            .lock()
            .expect("health lock")
            .iter()
            .map(|(name, s)| {
                let stale = s
                    .stale_after
                    .is_some_and(|limit| now.duration_since(s.alive_at) > limit);
                let status = match s.status {
                    TaskStatus::Starting | TaskStatus::Running if stale => TaskStatus::Stalled,
                    other => other,
                };
                TaskReport {
                    name: name.clone(),
                    status,
                    healthy: matches!(
                        status,
                        TaskStatus::Starting | TaskStatus::Running | TaskStatus::Stopped
                    ),
                    restarts: s.restarts,
                    error: s.error.clone(),
                    last_ok: s.last_ok,
                }
            })
            .collect()
    }

    /// The tasks that are not healthy.
    pub fn unhealthy(&self) -> Vec<TaskReport> {
        self.report().into_iter().filter(|t| !t.healthy).collect()
    }
}

/// A task's way to report each round.
#[derive(Debug, Clone)]
pub struct Beat {
    name: Arc<str>,
    health: Health,
}

impl Beat {
    /// A round went well.
    pub fn ok(&self) {
        self.health.update(&self.name, |s| {
            s.status = TaskStatus::Running;
            s.error = None;
            s.last_ok = Some(Utc::now());
            s.alive_at = Instant::now();
        });
    }

    /// A round failed; the task carries on.
    pub fn failed(&self, error: &dyn std::fmt::Display) {
        let error = format!("{error:#}");
        self.health.update(&self.name, |s| {
            s.status = TaskStatus::Failing;
            s.error = Some(error);
            s.alive_at = Instant::now();
        });
    }

    /// A beat that reports nowhere, for a task run outside a supervisor (tests, benchmarks).
    pub fn detached(name: &str) -> Self {
        Self {
            name: name.into(),
            health: Health::default(),
        }
    }
}

/// Starts tasks and keeps them running until the process stops.
pub struct Supervisor {
    health: Health,
    stop: CancellationToken,
    backoff: Backoff,
    tasks: JoinSet<()>,
}

impl Supervisor {
    pub fn new(health: Health, stop: CancellationToken) -> Self {
        Self::with_backoff(health, stop, Backoff::default())
    }

    pub fn with_backoff(health: Health, stop: CancellationToken, backoff: Backoff) -> Self {
        Self {
            health,
            stop,
            backoff,
            tasks: JoinSet::new(),
        }
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// The token whose cancellation stops every task.
    pub fn stop(&self) -> &CancellationToken {
        &self.stop
    }

    /// Runs the task `start` makes, and makes and runs it again whenever it panics or ends with
    /// an error before the process stops. `stale_after`: the longest a healthy task goes
    /// without a round (`None` for a task without rounds, such as a listener).
    pub fn spawn<F, Fut>(&mut self, name: &str, stale_after: Option<Duration>, start: F)
    where
        F: Fn(Beat) -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.health.register(name, stale_after);
        let beat = Beat {
            name: name.into(),
            health: self.health.clone(),
        };
        let (stop, backoff) = (self.stop.clone(), self.backoff);
        self.tasks.spawn(async move {
            let mut failures = 0;
            loop {
                let started = Instant::now();
                // A panic in the task is caught here, not in the runtime: it is a failure like
                // any other, and the task is started again.
                let outcome = AssertUnwindSafe(start(beat.clone())).catch_unwind().await;
                if stop.is_cancelled() {
                    beat.health.update(&beat.name, |s| s.status = TaskStatus::Stopped);
                    return;
                }
                let error = match outcome {
                    Ok(Ok(())) => "it ended while the process was still running".to_string(),
                    Ok(Err(error)) => format!("{error:#}"),
                    Err(panic) => format!("panicked: {}", panic_message(panic.as_ref())),
                };
                if started.elapsed() >= backoff.reset_after {
                    failures = 0;
                }
                failures += 1;
                let wait = backoff.wait(failures);
                tracing::error!(task = %beat.name, %error, restart_in_ms = wait.as_millis() as u64, "a background task failed; starting it again");
                beat.health.update(&beat.name, |s| {
                    s.status = TaskStatus::Restarting;
                    s.error = Some(error);
                    s.restarts += 1;
                });
                tokio::select! {
                    _ = stop.cancelled() => {
                        beat.health.update(&beat.name, |s| s.status = TaskStatus::Stopped);
                        return;
                    }
                    _ = tokio::time::sleep(wait) => {}
                }
                beat.health.update(&beat.name, |s| {
                    s.status = TaskStatus::Starting;
                    s.alive_at = Instant::now();
                });
            }
        });
    }

    /// Waits for every task to end (they end when the process stops).
    pub async fn wait(mut self) {
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Runs `round` every `period` until `stop`, reporting each through `beat`. A failed round is
/// logged and tried again at the next; a round under way when `stop` comes finishes first.
pub async fn repeat<F, Fut>(
    period: Duration,
    stop: &CancellationToken,
    beat: &Beat,
    mut round: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            _ = tick.tick() => match round().await {
                Ok(()) => beat.ok(),
                Err(error) => {
                    tracing::warn!(task = %beat.name, error = %format!("{error:#}"), "a round failed; trying again at the next");
                    beat.failed(&error);
                }
            }
        }
    }
}

/// The message a panic was raised with.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> Backoff {
        Backoff {
            first: Duration::from_millis(10),
            max: Duration::from_millis(40),
            reset_after: Duration::from_secs(60),
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_maximum() {
        let b = Backoff::default();
        let waits: Vec<u64> = (1..=8).map(|n| b.wait(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 32, 60, 60]);
    }

    async fn eventually(health: &Health, what: impl Fn(&[TaskReport]) -> bool) -> Vec<TaskReport> {
        for _ in 0..200 {
            let report = health.report();
            if what(&report) {
                return report;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never reached: {:?}", health.report());
    }

    #[tokio::test]
    async fn a_task_that_panics_is_started_again_and_says_why_meanwhile() {
        let stop = CancellationToken::new();
        let health = Health::default();
        let mut supervisor = Supervisor::with_backoff(
            health.clone(),
            stop.clone(),
            Backoff {
                first: Duration::from_millis(300),
                ..quick()
            },
        );
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let stopping = stop.clone();
        supervisor.spawn("flaky", None, move |beat| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            let stop = stopping.clone();
            async move {
                if run == 0 {
                    panic!("poisoned on purpose");
                }
                beat.ok();
                stop.cancelled().await;
                Ok(())
            }
        });

        let restarting = eventually(&health, |r| r[0].status == TaskStatus::Restarting).await;
        assert!(!restarting[0].healthy);
        assert_eq!(restarting[0].restarts, 1);
        assert_eq!(
            restarting[0].error.as_deref(),
            Some("panicked: poisoned on purpose")
        );
        assert_eq!(health.unhealthy().len(), 1);

        let running = eventually(&health, |r| r[0].status == TaskStatus::Running).await;
        assert!(running[0].healthy && running[0].error.is_none());
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        stop.cancel();
        supervisor.wait().await;
        assert_eq!(health.report()[0].status, TaskStatus::Stopped);
    }

    #[tokio::test]
    async fn an_error_is_a_failure_and_the_backoff_grows_with_each() {
        let stop = CancellationToken::new();
        let health = Health::default();
        let mut supervisor = Supervisor::with_backoff(health.clone(), stop.clone(), quick());
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        supervisor.spawn("broken", None, move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Err(anyhow::anyhow!("the table is gone")) }
        });
        let report = eventually(&health, |r| r[0].restarts >= 4).await;
        assert_eq!(report[0].error.as_deref(), Some("the table is gone"));
        stop.cancel();
        supervisor.wait().await;
        assert!(runs.load(Ordering::SeqCst) >= 4);
    }

    #[tokio::test]
    async fn failing_rounds_and_silence_make_a_task_unhealthy() {
        let stop = CancellationToken::new();
        let health = Health::default();
        let mut supervisor = Supervisor::new(health.clone(), stop.clone());
        let (tx, rx) = tokio::sync::watch::channel(0);
        let rx = Arc::new(rx);
        supervisor.spawn("rounds", Some(Duration::from_millis(150)), move |beat| {
            let mut rx = (*rx).clone();
            async move {
                while rx.changed().await.is_ok() {
                    match *rx.borrow() {
                        1 => beat.ok(),
                        _ => beat.failed(&"the partner said 500"),
                    }
                }
                Ok(())
            }
        });
        tx.send(1).unwrap();
        eventually(&health, |r| r[0].status == TaskStatus::Running).await;
        tx.send(2).unwrap();
        let failing = eventually(&health, |r| r[0].status == TaskStatus::Failing).await;
        assert_eq!(failing[0].error.as_deref(), Some("the partner said 500"));
        tx.send(1).unwrap();
        eventually(&health, |r| r[0].status == TaskStatus::Running).await;
        // No round for longer than its round allows.
        let stalled = eventually(&health, |r| r[0].status == TaskStatus::Stalled).await;
        assert!(!stalled[0].healthy);
        stop.cancel();
        drop(tx);
        supervisor.wait().await;
    }
}
