//! The sync engine's jobs, their attempts, the circuit breaker per queue and the schedules.
//! Every state change is one statement guarded by the state it expects, so two workers (or a
//! worker whose lease ran out) cannot both move a job.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};

/// A job to enqueue. Enqueue it in the transaction of the change that causes it.
#[derive(Clone, Debug, Default)]
pub struct NewJob {
    pub queue: String,
    pub kind: String,
    pub payload: Value,
    pub dedupe_key: Option<String>,
    pub ordering_key: Option<String>,
    pub correlation_id: Option<String>,
    /// Not before this time (now when `None`).
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts before the job is dead (the default when `None`).
    pub max_attempts: Option<i32>,
    /// The event this job is a consequence of (the outbox): one job per event, queue and kind.
    pub caused_by: Option<uuid::Uuid>,
}

/// Enqueues a job; returns its id, or `None` when an unfinished job of the same queue and dedupe
/// key exists already (the trigger that caused this one is already being handled), or a job
/// caused by the same event was enqueued before.
pub async fn enqueue(db: impl PgExecutor<'_>, job: &NewJob) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        r#"insert into job (queue, kind, payload, dedupe_key, ordering_key, correlation_id, run_at, max_attempts, caused_by)
           values ($1, $2, $3, $4, $5, $6, coalesce($7, now()), coalesce($8, 8), $9)
           on conflict do nothing
           returning job_id"#,
    )
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(&job.payload)
    .bind(&job.dedupe_key)
    .bind(&job.ordering_key)
    .bind(&job.correlation_id)
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(job.caused_by)
    .fetch_optional(db)
    .await
}

/// Enqueues many jobs in one statement, in order (the projector's outbox); returns how many
/// were new. Jobs already enqueued for the same cause or dedupe key are skipped.
pub async fn enqueue_many(conn: &mut PgConnection, jobs: &[NewJob]) -> sqlx::Result<u64> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let col = |f: fn(&NewJob) -> Option<String>| jobs.iter().map(f).collect::<Vec<_>>();
    let done = sqlx::query(
        r#"insert into job (queue, kind, payload, dedupe_key, ordering_key, correlation_id, run_at, max_attempts, caused_by)
           select queue, kind, payload, dedupe_key, ordering_key, correlation_id, coalesce(run_at, now()),
                  coalesce(max_attempts, 8), caused_by
           from unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[],
                       $7::timestamptz[], $8::int[], $9::uuid[])
                with ordinality as j(queue, kind, payload, dedupe_key, ordering_key, correlation_id,
                                     run_at, max_attempts, caused_by, n)
           order by n
           on conflict do nothing"#,
    )
    .bind(jobs.iter().map(|j| j.queue.clone()).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.kind.clone()).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.payload.clone()).collect::<Vec<_>>())
    .bind(col(|j| j.dedupe_key.clone()))
    .bind(col(|j| j.ordering_key.clone()))
    .bind(col(|j| j.correlation_id.clone()))
    .bind(jobs.iter().map(|j| j.run_at).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>())
    .bind(jobs.iter().map(|j| j.caused_by).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A job a worker holds until `lease_until`.
#[derive(Clone, Debug, FromRow)]
pub struct ClaimedJob {
    pub job_id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: Value,
    /// This attempt's number, from 1 (since enqueued or last replayed).
    pub attempts: i32,
    pub max_attempts: i32,
    pub replays: i32,
    pub ordering_key: Option<String>,
    pub correlation_id: Option<String>,
    pub lease_until: DateTime<Utc>,
    /// When this attempt began (the database's clock).
    pub claimed_at: DateTime<Utc>,
}

/// Claims up to `limit` ready jobs of `queue`, oldest due first. A job waits while an earlier
/// unfinished job of the same queue has its ordering key.
pub async fn claim(
    db: impl PgExecutor<'_>,
    queue: &str,
    limit: i64,
    lease: std::time::Duration,
) -> sqlx::Result<Vec<ClaimedJob>> {
    sqlx::query_as(
        r#"with ready as (
               select j.job_id from job j
               where j.queue = $1 and j.state in ('pending', 'failed') and j.run_at <= now()
                 and (j.ordering_key is null or not exists (
                     select 1 from job o
                     where o.queue = j.queue and o.ordering_key = j.ordering_key and o.job_id < j.job_id
                       and o.state in ('pending', 'running', 'failed')))
               order by j.run_at, j.job_id
               for update skip locked
               limit $2)
           update job set state = 'running', attempts = job.attempts + 1, updated_at = now(),
                          lease_until = now() + make_interval(secs => $3)
           from ready where job.job_id = ready.job_id
           returning job.job_id, job.queue, job.kind, job.payload, job.attempts, job.max_attempts, job.replays,
                     job.ordering_key, job.correlation_id, job.lease_until, now() as claimed_at"#,
    )
    .bind(queue)
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(db)
    .await
}

/// What one attempt sent and got, kept with the attempt.
#[derive(Clone, Debug, Default)]
pub struct AttemptRecord {
    pub request: Option<Value>,
    pub response: Option<Value>,
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Failed; run again after this wait (from the database's clock).
    Retry(std::time::Duration),
    /// Failed for good (fatal, or out of attempts).
    Dead,
}

/// Records an attempt's end and moves the job, if this worker still holds it (same attempt,
/// still running). Returns false when the lease was lost: another worker owns the job now.
pub async fn finish(
    conn: &mut PgConnection,
    job: &ClaimedJob,
    outcome: Outcome,
    record: &AttemptRecord,
) -> sqlx::Result<bool> {
    let (state, run_at, word) = match outcome {
        Outcome::Succeeded => ("succeeded", None, "succeeded"),
        Outcome::Retry(wait) => ("failed", Some(wait.as_secs_f64()), "retry"),
        Outcome::Dead => ("dead", None, "dead"),
    };
    let moved = sqlx::query(
        r#"with moved as (
               update job set state = $3, run_at = coalesce(now() + make_interval(secs => $4), run_at),
                              lease_until = null, updated_at = now(),
                              last_error = case when $3 = 'succeeded' then last_error else $7 end,
                              finished_at = case when $3 in ('succeeded', 'dead') then now() end
               where job_id = $1 and attempts = $2 and state = 'running'
               returning job_id)
           insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, error, duration_ms)
           select job_id, $10, $2, $8, $9, $5, $6, $7, greatest(0, extract(epoch from now() - $8) * 1000)::int from moved"#,
    )
    .bind(job.job_id)
    .bind(job.attempts)
    .bind(state)
    .bind(run_at)
    .bind(&record.request)
    .bind(&record.response)
    .bind(&record.error)
    .bind(job.claimed_at)
    .bind(word)
    .bind(job.replays)
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Returns the jobs whose lease ran out (their worker died or hung) to `pending`, recording the
/// lost attempt; a job out of attempts is dead. Returns how many were released.
pub async fn release_expired_leases(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let released = sqlx::query(
        r#"with expired as (
               select job_id, attempts, max_attempts, replays, lease_until from job
               where state = 'running' and lease_until < now()
               for update skip locked),
           moved as (
               update job j set state = case when e.attempts >= e.max_attempts then 'dead' else 'pending' end,
                                lease_until = null, updated_at = now(),
                                last_error = 'the worker running it stopped answering (lease expired)',
                                finished_at = case when e.attempts >= e.max_attempts then now() end
               from expired e where j.job_id = e.job_id
               returning j.job_id, e.attempts, e.replays, e.lease_until)
           insert into job_attempt (job_id, replay, attempt, started_at, outcome, error, duration_ms)
           select job_id, replays, attempts, lease_until, 'lease_expired', 'lease expired', 0 from moved
           on conflict do nothing"#,
    )
    .execute(db)
    .await?;
    Ok(released.rows_affected())
}

/// A job as operators see it.
#[derive(Clone, Debug, FromRow)]
pub struct JobRow {
    pub job_id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: Value,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub ordering_key: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub replays: i32,
}

const JOB_COLUMNS: &str =
    "job_id, queue, kind, payload, state, attempts, max_attempts, run_at, last_error, \
                           dedupe_key, ordering_key, updated_at, replays";

pub async fn find(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<JobRow>> {
    sqlx::query_as(&format!("select {JOB_COLUMNS} from job where job_id = $1"))
        .bind(job_id)
        .fetch_optional(db)
        .await
}

/// Puts a dead (or cancelled) job back in line with fresh attempts, its payload replaced when
/// given (edit-then-replay). Returns the job as it was, or `None` when it is not replayable.
pub async fn replay(
    conn: &mut PgConnection,
    job_id: i64,
    payload: Option<&Value>,
) -> sqlx::Result<Option<JobRow>> {
    let before = sqlx::query_as::<_, JobRow>(&format!(
        "select {JOB_COLUMNS} from job where job_id = $1 and state in ('dead', 'cancelled') for update"
    ))
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await?;
    if before.is_some() {
        sqlx::query(
            r#"update job set state = 'pending', attempts = 0, replays = replays + 1, run_at = now(), finished_at = null,
                              payload = coalesce($2, payload), updated_at = now()
               where job_id = $1"#,
        )
        .bind(job_id)
        .bind(payload)
        .execute(&mut *conn)
        .await?;
    }
    Ok(before)
}

/// A queue's breaker as stored.
#[derive(Clone, Debug, FromRow, PartialEq)]
pub struct Circuit {
    pub queue: String,
    pub state: String,
    pub failures: i32,
    pub opened_at: Option<DateTime<Utc>>,
    pub next_probe_at: Option<DateTime<Utc>>,
    pub cooldown_ms: i32,
    pub paused: bool,
    pub paused_reason: Option<String>,
}

impl Circuit {
    /// A breaker that never tripped.
    pub fn closed(queue: &str) -> Self {
        Self {
            queue: queue.to_string(),
            state: "closed".into(),
            failures: 0,
            opened_at: None,
            next_probe_at: None,
            cooldown_ms: 0,
            paused: false,
            paused_reason: None,
        }
    }
}

/// The queue's breaker (closed when never used).
pub async fn circuit(db: impl PgExecutor<'_>, queue: &str) -> sqlx::Result<Circuit> {
    let found: Option<Circuit> = sqlx::query_as(
        r#"select queue, state, failures, opened_at, next_probe_at, cooldown_ms, paused, paused_reason
           from circuit where queue = $1"#,
    )
    .bind(queue)
    .fetch_optional(db)
    .await?;
    Ok(found.unwrap_or_else(|| Circuit::closed(queue)))
}

/// Writes the breaker's new state (decided by the caller under `lock_circuit`).
pub async fn save_circuit(conn: &mut PgConnection, c: &Circuit) -> sqlx::Result<()> {
    sqlx::query(
        r#"insert into circuit (queue, state, failures, opened_at, next_probe_at, cooldown_ms, paused, paused_reason, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, now())
           on conflict (queue) do update set state = excluded.state, failures = excluded.failures,
               opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at,
               cooldown_ms = excluded.cooldown_ms, paused = excluded.paused,
               paused_reason = excluded.paused_reason, updated_at = now()"#,
    )
    .bind(&c.queue)
    .bind(&c.state)
    .bind(c.failures)
    .bind(c.opened_at)
    .bind(c.next_probe_at)
    .bind(c.cooldown_ms)
    .bind(c.paused)
    .bind(&c.paused_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Serializes breaker decisions for one queue across workers until the transaction ends.
pub async fn lock_circuit(conn: &mut PgConnection, queue: &str) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('circuit:' || $1, 0))")
        .bind(queue)
        .execute(conn)
        .await?;
    Ok(())
}

/// A recurring job.
#[derive(Clone, Debug, FromRow)]
pub struct Schedule {
    pub name: String,
    pub queue: String,
    pub kind: String,
    pub payload: Value,
    pub cron: String,
    pub next_run_at: DateTime<Utc>,
}

/// Adds or changes a schedule; its next run is `next_run_at`.
pub async fn upsert_schedule(db: impl PgExecutor<'_>, s: &Schedule) -> sqlx::Result<()> {
    sqlx::query(
        r#"insert into schedule (name, queue, kind, payload, cron, next_run_at) values ($1, $2, $3, $4, $5, $6)
           on conflict (name) do update set queue = excluded.queue, kind = excluded.kind,
               payload = excluded.payload, cron = excluded.cron,
               next_run_at = case when schedule.cron = excluded.cron then schedule.next_run_at else excluded.next_run_at end"#,
    )
    .bind(&s.name)
    .bind(&s.queue)
    .bind(&s.kind)
    .bind(&s.payload)
    .bind(&s.cron)
    .bind(s.next_run_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The schedules due now, locked so no other worker takes them until this transaction ends.
pub async fn take_due_schedules(conn: &mut PgConnection) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query_as(
        r#"select name, queue, kind, payload, cron, next_run_at from schedule
           where enabled and next_run_at <= now() order by next_run_at for update skip locked"#,
    )
    .fetch_all(conn)
    .await
}

/// Moves a schedule on after its run was enqueued.
pub async fn schedule_ran(
    conn: &mut PgConnection,
    name: &str,
    ran_for: DateTime<Utc>,
    next_run_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(r#"update schedule set last_run_at = $2, next_run_at = $3 where name = $1"#)
        .bind(name)
        .bind(ran_for)
        .bind(next_run_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Enqueues jobs for a connector's system only when Milepost calls it (the connector has
/// outbound settings); otherwise nothing would ever run them.
pub async fn enqueue_if_called(
    conn: &mut PgConnection,
    connector_id: i64,
    jobs: &[NewJob],
) -> sqlx::Result<u64> {
    let called: bool = sqlx::query_scalar(
        "select outbound is not null and enabled from connector where connector_id = $1",
    )
    .bind(connector_id)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(false);
    if !called {
        return Ok(0);
    }
    enqueue_many(conn, jobs).await
}

/// Where a pull of `model` from the connector's system got to.
pub async fn cursor(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    model: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar("select position from sync_cursor where connector_id = $1 and model = $2")
        .bind(connector_id)
        .bind(model)
        .fetch_optional(db)
        .await
}

/// Moves the cursor forward (never back: two pulls finishing out of order keep the later one).
pub async fn save_cursor(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    model: &str,
    position: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        r#"insert into sync_cursor (connector_id, model, position) values ($1, $2, $3)
           on conflict (connector_id, model) do update
           set position = greatest(sync_cursor.position, excluded.position), updated_at = now()"#,
    )
    .bind(connector_id)
    .bind(model)
    .bind(position)
    .execute(db)
    .await?;
    Ok(())
}

/// Jobs by filter, newest first (`None` matches everything).
pub async fn list(
    db: impl PgExecutor<'_>,
    queue: Option<&str>,
    state: Option<&str>,
    kind: Option<&str>,
    ordering_key: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<JobRow>> {
    sqlx::query_as(&format!(
        r#"select {JOB_COLUMNS} from job
           where ($1::text is null or queue = $1) and ($2::text is null or state = $2)
             and ($3::text is null or kind = $3) and ($4::text is null or ordering_key = $4)
           order by job_id desc limit $5"#
    ))
    .bind(queue)
    .bind(state)
    .bind(kind)
    .bind(ordering_key)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The newest job of the same queue, kind and order that succeeded after this one was enqueued:
/// replaying this one would overwrite what it did.
pub async fn newer_success(
    db: impl PgExecutor<'_>,
    job: &JobRow,
) -> sqlx::Result<Option<(i64, DateTime<Utc>)>> {
    sqlx::query_as(
        r#"select job_id, finished_at from job
           where queue = $1 and kind = $2 and ordering_key = $3 and job_id > $4 and state = 'succeeded'
           order by job_id desc limit 1"#,
    )
    .bind(&job.queue)
    .bind(&job.kind)
    .bind(&job.ordering_key)
    .bind(job.job_id)
    .fetch_optional(db)
    .await
}

#[derive(Clone, Debug, FromRow)]
pub struct AttemptRow {
    pub replay: i32,
    pub attempt: i32,
    pub outcome: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i32,
    pub request: Option<Value>,
    pub response: Option<Value>,
    pub error: Option<String>,
}

pub async fn attempts(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Vec<AttemptRow>> {
    sqlx::query_as(
        r#"select replay, attempt, outcome, started_at, duration_ms, request, response, error
           from job_attempt where job_id = $1 order by replay, attempt"#,
    )
    .bind(job_id)
    .fetch_all(db)
    .await
}

/// A queue's numbers for the health table.
#[derive(Clone, Debug, FromRow)]
pub struct QueueStats {
    pub queue: String,
    pub depth: i64,
    pub running: i64,
    pub dead: i64,
    pub last_success_at: Option<DateTime<Utc>>,
    pub attempts_last_hour: i64,
    pub failed_last_hour: i64,
    pub succeeded_last_hour: i64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub circuit: Option<String>,
    pub paused: Option<bool>,
    pub paused_reason: Option<String>,
}

/// Every queue that has jobs or a breaker: depth, dead letters, last success, the last hour's
/// error rate, throughput and latency percentiles, and the breaker.
pub async fn queue_stats(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<QueueStats>> {
    sqlx::query_as(
        r#"with queues as (select distinct queue from job union select queue from circuit),
           counts as (
               select queue,
                      count(*) filter (where state in ('pending', 'failed')) as depth,
                      count(*) filter (where state = 'running') as running,
                      count(*) filter (where state = 'dead') as dead
               from job where state in ('pending', 'failed', 'running', 'dead') group by queue),
           recent as (
               select j.queue,
                      count(*) as attempts,
                      count(*) filter (where a.outcome <> 'succeeded') as failed,
                      count(*) filter (where a.outcome = 'succeeded') as succeeded,
                      max(a.finished_at) filter (where a.outcome = 'succeeded') as last_success,
                      percentile_cont(0.5) within group (order by a.duration_ms) as p50,
                      percentile_cont(0.95) within group (order by a.duration_ms) as p95
               from job_attempt a join job j using (job_id)
               where a.finished_at > now() - interval '1 hour' group by j.queue),
           last_ok as (
               select queue, max(finished_at) as at from job where state = 'succeeded' group by queue)
           select q.queue, coalesce(c.depth, 0) as depth, coalesce(c.running, 0) as running,
                  coalesce(c.dead, 0) as dead, coalesce(r.last_success, l.at) as last_success_at,
                  coalesce(r.attempts, 0) as attempts_last_hour, coalesce(r.failed, 0) as failed_last_hour,
                  coalesce(r.succeeded, 0) as succeeded_last_hour, r.p50 as p50_ms, r.p95 as p95_ms,
                  b.state as circuit, b.paused, b.paused_reason
           from queues q left join counts c using (queue) left join recent r using (queue)
                left join last_ok l using (queue) left join circuit b using (queue)
           order by q.queue"#,
    )
    .fetch_all(db)
    .await
}

/// Pauses or resumes a queue (an operator's decision, kept apart from the breaker's own
/// state); returns whether it was paused before.
pub async fn set_paused(
    conn: &mut PgConnection,
    queue: &str,
    paused: bool,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let before: Option<bool> =
        sqlx::query_scalar("select paused from circuit where queue = $1 for update")
            .bind(queue)
            .fetch_optional(&mut *conn)
            .await?;
    sqlx::query(
        r#"insert into circuit (queue, paused, paused_reason) values ($1, $2, $3)
           on conflict (queue) do update set paused = $2, paused_reason = $3, updated_at = now()"#,
    )
    .bind(queue)
    .bind(paused)
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    Ok(before.unwrap_or(false))
}

#[derive(Clone, Debug, FromRow)]
pub struct UnknownCodeRow {
    pub connector: String,
    pub field: String,
    pub code: String,
    pub occurrences: i64,
    pub last_seen_at: DateTime<Utc>,
}

/// The mapping inbox: codes no mapping knew, most recent first.
pub async fn unknown_codes(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<UnknownCodeRow>> {
    sqlx::query_as(
        r#"select c.name as connector, u.field, u.code, u.occurrences, u.last_seen_at
           from unknown_code u join connector c using (connector_id)
           order by u.last_seen_at desc limit $1"#,
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
