//! The sync engine's job runner against a real Postgres: dedupe, per-order ordering, retries with
//! backoff and Retry-After, dead letters, leases of crashed workers, the circuit breaker per
//! queue, schedules run once across workers, and the wake-up by LISTEN/NOTIFY.

use app::store::jobs;
use serde_json::json;
use server::attempt::{Done, JobError};
use server::store::jobs::circuits;
use server::store::jobs::queue::{self, AttemptRecord, ClaimedJob, JobPayload, NewJob};
use server::sync::breaker::BreakerPolicy;
use server::sync::retry::RetryPolicy;
use server::sync::runner::{QueueSpec, Runner, RunnerSettings};
use server::sync::schedules;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn fast(name: &str, concurrency: usize) -> QueueSpec {
    QueueSpec {
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        breaker: BreakerPolicy {
            threshold: 3,
            cooldown: Duration::from_millis(300),
            max_cooldown: Duration::from_secs(1),
        },
        ..QueueSpec::new(name, concurrency)
    }
}

fn settings() -> RunnerSettings {
    RunnerSettings {
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(50),
    }
}

fn job<J: JobPayload>(queue: &str, payload: &J) -> NewJob {
    NewJob::new(queue, payload)
}

/// Job kinds only these tests run (the runner's mechanics do not depend on what a job does);
/// each carries whatever JSON its test gives it.
macro_rules! test_kinds {
    ($($name:ident = $kind:literal),* $(,)?) => {$(
        #[derive(serde::Serialize)]
        #[serde(transparent)]
        struct $name(serde_json::Value);
        impl JobPayload for $name {
            const KIND: &'static str = $kind;
        }
    )*};
}
test_kinds!(
    OdooPoll = "odoo.poll",
    OdooReadOrder = "odoo.read_order",
    WmsStep = "wms.step",
    Flaky = "flaky",
    Throttled = "throttled",
    Validate = "validate",
    NeedsFix = "needs_fix",
    Write = "write",
    Release = "release",
    Post = "post",
    Ping = "ping"
);

/// Runs `runner` until `done` holds (checked every 20 ms, for up to 20 s), then stops it.
async fn run_until<F, Fut>(pool: &PgPool, runner: Runner, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    let mut held = false;
    for _ in 0..1000 {
        if done().await {
            held = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert!(held, "the condition never held");
}

/// Log lines written while a test holds its own subscriber, read back as JSON.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    fn lines(&self) -> Vec<serde_json::Value> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

async fn state_of(pool: &PgPool, job_id: i64) -> String {
    jobs::find(pool, job_id)
        .await
        .unwrap()
        .unwrap()
        .state
        .to_string()
}

async fn all_final(pool: &PgPool) -> bool {
    let open: i64 = sqlx::query_scalar(
        "select count(*) from job where state in ('pending', 'running', 'failed')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    open == 0
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_dedupe_key_makes_one_job_until_it_finishes(pool: PgPool) {
    let read = |n: i64| {
        job("odoo", &OdooReadOrder(json!({"id": 42, "n": n}))).deduped_by("read:sale.order:42")
    };
    let first = queue::enqueue(&pool, &read(1)).await.unwrap();
    assert!(first.is_some());
    for n in 2..50 {
        assert_eq!(queue::enqueue(&pool, &read(n)).await.unwrap(), None);
    }
    let runs = Arc::new(Mutex::new(0));
    let counted = runs.clone();
    let runner = Runner::new(settings()).queue(fast("odoo", 2)).handle(
        "odoo.read_order",
        move |_job: ClaimedJob| {
            *counted.lock().unwrap() += 1;
            async { Ok(Done::default()) }
        },
    );
    run_until(&pool, runner, || all_final(&pool)).await;
    assert_eq!(*runs.lock().unwrap(), 1, "one read for a storm of triggers");
    assert!(
        queue::enqueue(&pool, &read(99)).await.unwrap().is_some(),
        "a later change reads again"
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_notice_while_the_same_read_runs_makes_one_more_read_after_it(pool: PgPool) {
    let read = |n: i64| {
        job("odoo", &OdooReadOrder(json!({"id": 42, "n": n})))
            .deduped_by("read:sale.order:42")
            .ordered_by("read:sale.order:42")
    };
    let first = queue::enqueue(&pool, &read(1)).await.unwrap().unwrap();
    let running = queue::claim(&pool, "odoo", 10, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(running.len(), 1);
    // Odoo changes the order again while it is being read: the newer state must be read too.
    let second = queue::enqueue(&pool, &read(2)).await.unwrap();
    assert!(second.is_some(), "a new read waits behind the running one");
    assert_eq!(
        queue::enqueue(&pool, &read(3)).await.unwrap(),
        None,
        "one waiting read is enough"
    );
    assert!(
        queue::claim(&pool, "odoo", 10, Duration::from_secs(30))
            .await
            .unwrap()
            .is_empty(),
        "not beside it: after it"
    );
    // The running read fails and would retry: the waiting one does the same work, so it stands
    // down instead of breaking the one-waiting-job rule.
    let mut conn = pool.acquire().await.unwrap();
    assert!(queue::finish(
        &mut conn,
        &running[0],
        queue::Outcome::Retry(Duration::from_millis(10)),
        &AttemptRecord::default()
    )
    .await
    .unwrap());
    assert_eq!(state_of(&pool, first).await, "cancelled");
    let next = queue::claim(&pool, "odoo", 10, Duration::from_millis(50))
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].job_id, second.unwrap());

    // The same when a worker dies holding it: its expired lease does not put it back beside a
    // newer one.
    let third = queue::enqueue(&pool, &read(4)).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert_eq!(queue::release_expired_leases(&pool).await.unwrap(), 1);
    assert_eq!(state_of(&pool, second.unwrap()).await, "cancelled");
    assert_eq!(state_of(&pool, third).await, "pending");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn jobs_of_one_order_run_in_order_while_others_run_beside_them(pool: PgPool) {
    for step in 0..6 {
        for order in ["A", "B", "C"] {
            let j = job("wms", &WmsStep(json!({"order": order, "step": step}))).ordered_by(order);
            queue::enqueue(&pool, &j).await.unwrap();
        }
    }
    let seen: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let log = seen.clone();
    let runner =
        Runner::new(settings())
            .queue(fast("wms", 4))
            .handle("wms.step", move |job: ClaimedJob| {
                let log = log.clone();
                async move {
                    // Slow enough that a second job of the same order would overlap if allowed.
                    tokio::time::sleep(Duration::from_millis(15)).await;
                    log.lock().unwrap().push((
                        job.payload["order"].as_str().unwrap().to_string(),
                        job.payload["step"].as_i64().unwrap(),
                    ));
                    Ok(Done::default())
                }
            });
    run_until(&pool, runner, || all_final(&pool)).await;
    let seen = seen.lock().unwrap();
    for order in ["A", "B", "C"] {
        let steps: Vec<i64> = seen
            .iter()
            .filter(|(o, _)| o == order)
            .map(|(_, s)| *s)
            .collect();
        assert_eq!(steps, (0..6).collect::<Vec<_>>(), "order {order}");
    }
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn transient_failures_are_retried_and_each_attempt_is_kept(pool: PgPool) {
    let id = queue::enqueue(&pool, &job("odoo", &Flaky(json!({}))))
        .await
        .unwrap()
        .unwrap();
    let runner = Runner::new(settings()).queue(fast("odoo", 1)).handle(
        "flaky",
        |job: ClaimedJob| async move {
            if job.attempts < 3 {
                Err(JobError::from_status(503, None, "Odoo answered 503"))
            } else {
                Ok(Done {
                    record: AttemptRecord {
                        request: Some(json!({"method": "read"})),
                        response: Some(json!({"result": []})),
                        error: None,
                    },
                })
            }
        },
    );
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "succeeded"
    })
    .await;
    let attempts: Vec<(i32, String)> = sqlx::query_as(
        "select attempt, outcome from job_attempt where job_id = $1 order by attempt",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        attempts,
        vec![
            (1, "retry".into()),
            (2, "retry".into()),
            (3, "succeeded".into())
        ]
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn retry_after_is_honoured(pool: PgPool) {
    let id = queue::enqueue(&pool, &job("odoo", &Throttled(json!({}))))
        .await
        .unwrap()
        .unwrap();
    let runner = Runner::new(settings()).queue(fast("odoo", 1)).handle(
        "throttled",
        |_job: ClaimedJob| async {
            Err(JobError::from_status(
                429,
                Some(Duration::from_secs(30)),
                "Too Many Requests",
            ))
        },
    );
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "failed"
    })
    .await;
    let wait: f64 = sqlx::query_scalar(
        "select extract(epoch from run_at - updated_at)::float8 from job where job_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(wait >= 30.0, "retried {wait} s later, before Retry-After");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_fatal_error_is_dead_at_once_with_its_request_and_answer(pool: PgPool) {
    let id = queue::enqueue(&pool, &job("odoo", &Validate(json!({"picking": 7}))))
        .await
        .unwrap()
        .unwrap();
    let runner = Runner::new(settings()).queue(fast("odoo", 1)).handle(
        "validate",
        |_job: ClaimedJob| async {
            Err(
                JobError::fatal("odoo.exceptions.ValidationError: no quantity done").with_record(
                    AttemptRecord {
                        request: Some(json!({"method": "button_validate", "ids": [7]})),
                        response: Some(json!({"error": {"code": 200}})),
                        error: None,
                    },
                ),
            )
        },
    );
    // Integrators are alerted from the log: the dead letter is an error line naming it.
    let log = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(log.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "dead"
    })
    .await;
    drop(guard);
    let line = log
        .lines()
        .into_iter()
        .find(|l| l["fields"]["message"] == "job is a dead letter")
        .expect("the dead letter is logged");
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["fields"]["job_id"], id);
    assert!(line["fields"]["error"]
        .as_str()
        .unwrap()
        .contains("ValidationError"));
    let row = jobs::find(&pool, id).await.unwrap().unwrap();
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.unwrap().contains("ValidationError"));
    let (request, response, error): (serde_json::Value, serde_json::Value, String) =
        sqlx::query_as("select request, response, error from job_attempt where job_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(request["method"], "button_validate");
    assert_eq!(response["error"]["code"], 200);
    assert!(error.contains("ValidationError"));
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_job_out_of_attempts_is_dead_and_can_be_replayed_edited(pool: PgPool) {
    let mut j = job("wms", &NeedsFix(json!({"sku": "BAD"})));
    j.max_attempts = Some(2);
    let id = queue::enqueue(&pool, &j).await.unwrap().unwrap();
    let handler = |job: ClaimedJob| async move {
        if job.payload["sku"] == "GOOD" {
            Ok(Done::default())
        } else {
            Err(JobError::transient("timed out"))
        }
    };
    let runner = Runner::new(settings())
        .queue(fast("wms", 1))
        .handle("needs_fix", handler);
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "dead"
    })
    .await;
    assert_eq!(jobs::find(&pool, id).await.unwrap().unwrap().attempts, 2);

    let mut conn = pool.acquire().await.unwrap();
    let before = jobs::replay(&mut conn, id, Some(&json!({"sku": "GOOD"})))
        .await
        .unwrap()
        .expect("a dead job can be replayed");
    assert_eq!(before.payload["sku"], "BAD");
    assert!(
        jobs::replay(&mut conn, id, None).await.unwrap().is_none(),
        "a pending job cannot be replayed again"
    );
    assert_eq!(
        jobs::find(&pool, id).await.unwrap().unwrap().last_error,
        None,
        "a replayed job starts without its old error"
    );
    drop(conn);
    let runner = Runner::new(settings())
        .queue(fast("wms", 1))
        .handle("needs_fix", handler);
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "succeeded"
    })
    .await;
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_crashed_workers_job_runs_again_when_its_lease_runs_out(pool: PgPool) {
    let id = queue::enqueue(&pool, &job("odoo", &Write(json!({}))))
        .await
        .unwrap()
        .unwrap();
    // A worker claims it and dies without a word.
    let claimed = queue::claim(&pool, "odoo", 10, Duration::from_millis(100))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    tokio::time::sleep(Duration::from_millis(150)).await;

    let runs = Arc::new(Mutex::new(0));
    let counted = runs.clone();
    let runner =
        Runner::new(settings())
            .queue(fast("odoo", 1))
            .handle("write", move |_job: ClaimedJob| {
                *counted.lock().unwrap() += 1;
                async { Ok(Done::default()) }
            });
    run_until(&pool, runner, || async {
        state_of(&pool, id).await == "succeeded"
    })
    .await;
    assert_eq!(*runs.lock().unwrap(), 1);
    let outcomes: Vec<String> =
        sqlx::query_scalar("select outcome from job_attempt where job_id = $1 order by attempt")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(outcomes, vec!["lease_expired", "succeeded"]);
    // The dead worker's late report changes nothing: the job moved on without it.
    let mut conn = pool.acquire().await.unwrap();
    assert!(!queue::finish(
        &mut conn,
        &claimed[0],
        queue::Outcome::Dead,
        &AttemptRecord::default()
    )
    .await
    .unwrap());
    assert_eq!(state_of(&pool, id).await, "succeeded");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_endpoint_outage_opens_its_circuit_only_and_the_backlog_drains_after(pool: PgPool) {
    for n in 0..10 {
        queue::enqueue(&pool, &job("wms:down", &Release(json!({"n": n}))))
            .await
            .unwrap();
        queue::enqueue(&pool, &job("odoo", &Post(json!({"n": n}))))
            .await
            .unwrap();
    }
    let up = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let delivered: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (up_seen, log) = (up.clone(), delivered.clone());
    let runner = Runner::new(settings())
        .queue(fast("wms:down", 1))
        .queue(fast("odoo", 2))
        .handle("release", move |job: ClaimedJob| {
            let (up, log) = (up_seen.clone(), log.clone());
            async move {
                if up.load(std::sync::atomic::Ordering::SeqCst) {
                    log.lock().unwrap().push(job.payload["n"].as_i64().unwrap());
                    Ok(Done::default())
                } else {
                    Err(JobError::transient("connection refused"))
                }
            }
        })
        .handle("post", |_job: ClaimedJob| async { Ok(Done::default()) });
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(pool.clone(), stop.clone()));

    // The circuit opens; the other queue keeps flowing meanwhile.
    let mut opened = false;
    for _ in 0..500 {
        let circuit = circuits::circuit(&pool, "wms:down").await.unwrap();
        let odoo_done: i64 = sqlx::query_scalar(
            "select count(*) from job where queue = 'odoo' and state = 'succeeded'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if circuit.state != "closed" && odoo_done == 10 {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        opened,
        "the failing queue's circuit opened and the other queue drained"
    );
    let attempts_while_open: i64 = sqlx::query_scalar(
        "select coalesce(sum(attempts), 0)::int8 from job where queue = 'wms:down'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        attempts_while_open < 10,
        "an open circuit stops attempts ({attempts_while_open})"
    );

    // The endpoint returns: a probe succeeds, the circuit closes, the backlog drains, in order.
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut drained = false;
    for _ in 0..500 {
        if delivered.lock().unwrap().len() == 10 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert!(drained, "the backlog drained by itself");
    assert_eq!(
        circuits::circuit(&pool, "wms:down")
            .await
            .unwrap()
            .state
            .as_str(),
        "closed"
    );
    let mut sorted = delivered.lock().unwrap().clone();
    sorted.sort();
    assert_eq!(
        sorted,
        (0..10).collect::<Vec<_>>(),
        "nothing lost, nothing twice"
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_due_schedule_runs_once_however_many_workers_tick(pool: PgPool) {
    schedules::define(
        &pool,
        "odoo-poll",
        "odoo",
        &OdooPoll(json!({})),
        // Hourly: the four ticks cannot straddle a due time, so only the missed runs are at stake.
        "0 0 * * * *",
    )
    .await
    .unwrap();
    sqlx::query("update schedule set next_run_at = now() - interval '3 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let ticks: Vec<_> = (0..4)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { schedules::tick(&pool).await.unwrap() })
        })
        .collect();
    let mut enqueued = 0;
    for t in ticks {
        enqueued += t.await.unwrap();
    }
    assert_eq!(
        enqueued, 1,
        "one job for three missed hours, not one per worker or per missed time"
    );
    let next_in_future: bool = sqlx::query_scalar("select next_run_at > now() from schedule")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(next_in_future);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_new_job_wakes_its_queue_without_waiting_for_the_poll(pool: PgPool) {
    let runner = Runner::new(RunnerSettings {
        lease: Duration::from_secs(5),
        // Far longer than the test waits: only the notification can wake the queue.
        poll: Duration::from_secs(600),
    })
    .queue(fast("odoo", 1))
    .handle("ping", |_job: ClaimedJob| async { Ok(Done::default()) });
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    // The queue loop polls once at start; let it go idle and the listener subscribe.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = queue::enqueue(&pool, &job("odoo", &Ping(json!({}))))
        .await
        .unwrap()
        .unwrap();
    let mut ran = false;
    for _ in 0..250 {
        if state_of(&pool, id).await == "succeeded" {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert!(ran, "the job ran on the notification");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_stop_waits_for_the_attempt_in_flight_to_record_its_outcome(pool: PgPool) {
    sqlx::query("insert into job (queue, kind, payload) values ('wms', 'slow', '{}')")
        .execute(&pool)
        .await
        .unwrap();
    let started = Arc::new(tokio::sync::Notify::new());
    let begun = started.clone();
    let runner =
        Runner::new(settings())
            .queue(fast("wms", 1))
            .handle("slow", move |_job: ClaimedJob| {
                let begun = begun.clone();
                async move {
                    begun.notify_one();
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ok(Done::default())
                }
            });
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    started.notified().await;
    stop.cancel();
    running.await.unwrap();
    // The runner returned only once the attempt had finished and its outcome was stored.
    let state: String = sqlx::query_scalar("select state from job where kind = 'slow'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "succeeded");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_queues_concurrency_holds_across_workers(pool: PgPool) {
    // Two runners (as two worker processes would) on one queue of concurrency 3: the partner
    // never sees more than 3 attempts at once, and every job runs exactly once.
    let jobs: Vec<NewJob> = (0..60)
        .map(|n| job("wms", &Post(json!({"n": n}))))
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    queue::enqueue_many(&mut conn, &jobs).await.unwrap();
    drop(conn);
    let now = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let runs: Arc<Mutex<Vec<i64>>> = Arc::default();
    let runner = || {
        let (now, most, runs) = (now.clone(), most.clone(), runs.clone());
        Runner::new(settings())
            .queue(fast("wms", 3))
            .handle("post", move |job: ClaimedJob| {
                let (now, most, runs) = (now.clone(), most.clone(), runs.clone());
                async move {
                    use std::sync::atomic::Ordering::SeqCst;
                    let in_flight = now.fetch_add(1, SeqCst) + 1;
                    most.fetch_max(in_flight, SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    now.fetch_sub(1, SeqCst);
                    runs.lock()
                        .unwrap()
                        .push(job.payload["n"].as_i64().unwrap());
                    Ok(Done::default())
                }
            })
    };
    let stop = CancellationToken::new();
    let first = tokio::spawn(runner().run(pool.clone(), stop.clone()));
    let second = tokio::spawn(runner().run(pool.clone(), stop.clone()));
    for _ in 0..1000 {
        if all_final(&pool).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    first.await.unwrap();
    second.await.unwrap();
    let mut runs = runs.lock().unwrap().clone();
    runs.sort();
    assert_eq!(runs, (0..60).collect::<Vec<_>>(), "each job once");
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(most <= 3, "{most} attempts at once against a limit of 3");
    assert!(
        most >= 2,
        "the two workers did share the work ({most} at most)"
    );
}
