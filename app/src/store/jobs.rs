//! What operators see of the sync engine (`/integrations`): jobs with their attempts, queue
//! health, replays and pauses. The engine's own statements (enqueue, claim, finish, circuits,
//! schedules) are the server's (`server::store::jobs`).

use crate::domain::status::JobState;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};

/// A job as operators see it.
#[derive(Clone, Debug, FromRow)]
pub struct JobRow {
    pub job_id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: Value,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub dedupe_key: Option<String>,
    pub ordering_key: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub replays: i32,
}

pub async fn find(db: impl PgExecutor<'_>, job_id: i64) -> sqlx::Result<Option<JobRow>> {
    sqlx::query_as!(
        JobRow,
        r#"select job_id, queue, kind, payload, state as "state: JobState", attempts, max_attempts,
                  run_at as "run_at: DateTime<Utc>", last_error, dedupe_key, ordering_key,
                  updated_at as "updated_at: DateTime<Utc>", replays
           from job where job_id = $1"#,
        job_id
    )
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
    let before = sqlx::query_as!(
        JobRow,
        r#"select job_id, queue, kind, payload, state as "state: JobState", attempts, max_attempts,
                  run_at as "run_at: DateTime<Utc>", last_error, dedupe_key, ordering_key,
                  updated_at as "updated_at: DateTime<Utc>", replays
           from job where job_id = $1 and state in ('dead', 'cancelled') for update"#,
        job_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    if before.is_some() {
        sqlx::query!(
            r#"update job set state = 'pending', attempts = 0, replays = replays + 1, run_at = now(), finished_at = null,
                              last_error = null, payload = coalesce($2, payload), updated_at = now()
               where job_id = $1"#,
            job_id,
            payload
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(before)
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
    sqlx::query_as!(
        JobRow,
        r#"select job_id, queue, kind, payload, state as "state: JobState", attempts, max_attempts,
                  run_at as "run_at: DateTime<Utc>", last_error, dedupe_key, ordering_key,
                  updated_at as "updated_at: DateTime<Utc>", replays
           from job
           where ($1::text is null or queue = $1) and ($2::text is null or state = $2)
             and ($3::text is null or kind = $3) and ($4::text is null or ordering_key = $4)
           order by job_id desc limit $5"#,
        queue,
        state,
        kind,
        ordering_key,
        limit
    )
    .fetch_all(db)
    .await
}

/// The newest job of the same queue, kind and order that succeeded after this one was enqueued:
/// replaying this one would overwrite what it did.
pub async fn newer_success(
    db: impl PgExecutor<'_>,
    job: &JobRow,
) -> sqlx::Result<Option<(i64, DateTime<Utc>)>> {
    let found = sqlx::query!(
        r#"select job_id, finished_at as "finished_at!: DateTime<Utc>" from job
           where queue = $1 and kind = $2 and ordering_key = $3 and job_id > $4 and state = 'succeeded'
           order by job_id desc limit 1"#,
        &job.queue,
        &job.kind,
        job.ordering_key.as_deref(),
        job.job_id
    )
    .fetch_optional(db)
    .await?;
    Ok(found.map(|r| (r.job_id, r.finished_at)))
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
    sqlx::query_as!(
        AttemptRow,
        r#"select replay, attempt, outcome, started_at as "started_at: DateTime<Utc>", duration_ms, request, response, error
           from job_attempt where job_id = $1 order by replay, attempt"#,
        job_id
    )
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
    sqlx::query_as!(
        QueueStats,
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
           select q.queue as "queue!", coalesce(c.depth, 0) as "depth!", coalesce(c.running, 0) as "running!",
                  coalesce(c.dead, 0) as "dead!",
                  coalesce(r.last_success, l.at) as "last_success_at: DateTime<Utc>",
                  coalesce(r.attempts, 0) as "attempts_last_hour!", coalesce(r.failed, 0) as "failed_last_hour!",
                  coalesce(r.succeeded, 0) as "succeeded_last_hour!", r.p50 as p50_ms, r.p95 as p95_ms,
                  b.state as "circuit?", b.paused as "paused?", b.paused_reason
           from queues q left join counts c using (queue) left join recent r using (queue)
                left join last_ok l using (queue) left join circuit b using (queue)
           order by q.queue"#
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
    let before: Option<bool> = sqlx::query_scalar!(
        "select paused from circuit where queue = $1 for update",
        queue
    )
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query!(
        r#"insert into circuit (queue, paused, paused_reason) values ($1, $2, $3)
           on conflict (queue) do update set paused = $2, paused_reason = $3, updated_at = now()"#,
        queue,
        paused,
        reason
    )
    .execute(&mut *conn)
    .await?;
    Ok(before.unwrap_or(false))
}
