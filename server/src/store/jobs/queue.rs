//! The `job` queue and its `job_attempt` log: enqueue (in the caller's transaction), claim with a
//! lease, finish with one recorded outcome, and return the jobs whose lease ran out. Every state
//! change is one statement guarded by the state it expects, so two workers (or a worker whose
//! lease ran out) cannot both move a job.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};

/// The queue of a connector Milepost calls: `odoo:<connector>` or `wms:<connector>`. One queue
/// per external endpoint, so one slow or failing system never holds up another; queues are
/// named here and nowhere else (the bulk insert in `store::webhooks` spells `webhooks:<id>` in
/// SQL, as `subscription_queue` does).
pub fn connector_queue(system: &str, connector: &str) -> String {
    format!("{system}:{connector}")
}

/// The queue of a customer webhook subscription's deliveries.
pub fn subscription_queue(subscription_id: i64) -> String {
    format!("webhooks:{subscription_id}")
}

/// A kind of job as the queue stores it: its name in `job.kind` and its payload's shape. Every
/// job in `crate::jobs` implements it (with its `run`), so a job can only be enqueued with the
/// payload its kind reads.
pub trait JobPayload: Serialize {
    /// Stored in `job.kind`; one per type, never reused for another payload.
    const KIND: &'static str;
}

/// A job to enqueue. Enqueue it in the transaction of the change that causes it.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub queue: String,
    kind: String,
    payload: Value,
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

impl NewJob {
    /// `job` on `queue`, its kind and payload from its type.
    pub fn new<J: JobPayload>(queue: impl Into<String>, job: &J) -> Self {
        let payload = serde_json::to_value(job).expect("job payloads are plain data");
        Self::stored(queue.into(), J::KIND.to_string(), payload)
    }

    /// A job whose kind and payload were typed when first stored: a schedule's next run
    /// (`sync::schedules` defines schedules from typed jobs only).
    pub(crate) fn stored(queue: String, kind: String, payload: Value) -> Self {
        Self {
            queue,
            kind,
            payload,
            dedupe_key: None,
            ordering_key: None,
            correlation_id: None,
            run_at: None,
            max_attempts: None,
            caused_by: None,
        }
    }

    /// Runs after every earlier unfinished job of its queue with the same key (an order's jobs
    /// run one at a time, in order).
    pub fn ordered_by(mut self, key: impl Into<String>) -> Self {
        self.ordering_key = Some(key.into());
        self
    }

    /// A second enqueue with the same key is a no-op while this job waits to run; once it runs,
    /// a new one may wait behind it (what it was asked to do may have changed since it began).
    pub fn deduped_by(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    /// The event that caused this job: at most one job per event, queue and kind, ever. The
    /// event's id is the job's correlation id unless it has one (`correlated`).
    pub fn caused_by(mut self, event_id: uuid::Uuid) -> Self {
        self.caused_by = Some(event_id);
        self.correlation_id
            .get_or_insert_with(|| event_id.to_string());
        self
    }

    /// The correlation id of the inbound message behind this job (`crate::correlation`); none
    /// keeps what it has.
    pub fn correlated(mut self, id: Option<String>) -> Self {
        if id.is_some() {
            self.correlation_id = id;
        }
        self
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn payload(&self) -> &Value {
        &self.payload
    }
}

/// Enqueues a job; returns its id, or `None` when a job of the same queue and dedupe key waits
/// to run already (it will do what this one would), or a job caused by the same event was
/// enqueued before.
pub async fn enqueue(db: impl PgExecutor<'_>, job: &NewJob) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"insert into job (queue, kind, payload, dedupe_key, ordering_key, correlation_id, run_at, max_attempts, caused_by)
           values ($1, $2, $3, $4, $5, $6, coalesce($7, now()), coalesce($8, 8), $9)
           on conflict do nothing
           returning job_id"#,
        job.queue,
        job.kind,
        job.payload,
        job.dedupe_key,
        job.ordering_key,
        job.correlation_id,
        job.run_at as _,
        job.max_attempts,
        job.caused_by
    )
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
    let done = sqlx::query!(
        r#"insert into job (queue, kind, payload, dedupe_key, ordering_key, correlation_id, run_at, max_attempts, caused_by)
           select queue, kind, payload, dedupe_key, ordering_key, correlation_id, coalesce(run_at, now()),
                  coalesce(max_attempts, 8), caused_by
           from unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[],
                       $7::timestamptz[], $8::int[], $9::uuid[])
                with ordinality as j(queue, kind, payload, dedupe_key, ordering_key, correlation_id,
                                     run_at, max_attempts, caused_by, n)
           order by n
           on conflict do nothing"#,
        &jobs.iter().map(|j| j.queue.clone()).collect::<Vec<_>>(),
        &jobs.iter().map(|j| j.kind.clone()).collect::<Vec<_>>(),
        &jobs.iter().map(|j| j.payload.clone()).collect::<Vec<_>>(),
        &col(|j| j.dedupe_key.clone()) as _,
        &col(|j| j.ordering_key.clone()) as _,
        &col(|j| j.correlation_id.clone()) as _,
        &jobs.iter().map(|j| j.run_at).collect::<Vec<_>>() as _,
        &jobs.iter().map(|j| j.max_attempts).collect::<Vec<_>>() as _,
        &jobs.iter().map(|j| j.caused_by).collect::<Vec<_>>() as _
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Enqueues jobs for a connector's system only when Milepost calls it (the connector has
/// outbound settings); otherwise nothing would ever run them.
pub async fn enqueue_if_called(
    conn: &mut PgConnection,
    connector_id: i64,
    jobs: &[NewJob],
) -> sqlx::Result<u64> {
    let called = sqlx::query_scalar!(
        r#"select outbound is not null and enabled as "called!" from connector where connector_id = $1"#,
        connector_id
    )
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or(false);
    if !called {
        return Ok(0);
    }
    enqueue_many(conn, jobs).await
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

/// Attempts of `queue` in flight now, in every process (running, lease not yet run out). Read
/// under the queue's claim lock, it keeps a partner's concurrency limit across workers.
pub async fn in_flight(db: impl PgExecutor<'_>, queue: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from job where queue = $1 and state = 'running' and lease_until > now()"#,
        queue
    )
    .fetch_one(db)
    .await
}

/// Claims up to `limit` ready jobs of `queue`, oldest due first. A job waits while an earlier
/// unfinished job of the same queue has its ordering key.
pub async fn claim(
    db: impl PgExecutor<'_>,
    queue: &str,
    limit: i64,
    lease: std::time::Duration,
) -> sqlx::Result<Vec<ClaimedJob>> {
    sqlx::query_as!(
        ClaimedJob,
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
                     job.ordering_key, job.correlation_id, job.lease_until as "lease_until!: DateTime<Utc>",
                     now() as "claimed_at!: DateTime<Utc>""#,
        queue,
        limit,
        lease.as_secs_f64()
    )
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
    let moved = sqlx::query!(
        r#"with moved as (
               update job set state = case when superseded then 'cancelled' else $3 end,
                              run_at = coalesce(now() + make_interval(secs => $4), run_at),
                              lease_until = null, updated_at = now(),
                              last_error = case when superseded then 'superseded: a newer identical job waits to run'
                                                when $3 = 'succeeded' then last_error else $7 end,
                              finished_at = case when superseded or $3 in ('succeeded', 'dead') then now() end
               from (select $3 = 'failed' and exists (
                         select 1 from job o, job me
                         where me.job_id = $1 and o.queue = me.queue and o.dedupe_key = me.dedupe_key
                           and o.job_id <> me.job_id and o.state in ('pending', 'failed')) as superseded) s
               where job_id = $1 and attempts = $2 and state = 'running'
               returning job_id)
           insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, error, duration_ms)
           select job_id, $10, $2, $8, $9, $5, $6, $7, greatest(0, extract(epoch from now() - $8) * 1000)::int from moved"#,
        job.job_id,
        job.attempts,
        state,
        run_at,
        record.request,
        record.response,
        record.error,
        job.claimed_at as _,
        word,
        job.replays
    )
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Returns the jobs whose lease ran out (their worker died or hung) to `pending`, recording the
/// lost attempt; a job out of attempts is dead. Returns how many were released.
pub async fn release_expired_leases(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let released = sqlx::query!(
        r#"with expired as (
               select j.job_id, j.attempts, j.max_attempts, j.replays, j.lease_until,
                      -- A newer identical job waits: this one stands down instead of waiting too.
                      exists (select 1 from job o
                              where o.queue = j.queue and o.dedupe_key = j.dedupe_key and o.job_id <> j.job_id
                                and o.state in ('pending', 'failed')) as superseded
               from job j
               where j.state = 'running' and j.lease_until < now()
               for update of j skip locked),
           moved as (
               update job j set state = case when e.attempts >= e.max_attempts then 'dead'
                                             when e.superseded then 'cancelled' else 'pending' end,
                                lease_until = null, updated_at = now(),
                                last_error = 'the worker running it stopped answering (lease expired)'
                                             || case when e.superseded then '; superseded: a newer identical job waits to run' else '' end,
                                finished_at = case when e.attempts >= e.max_attempts or e.superseded then now() end
               from expired e
               where j.job_id = e.job_id
               returning j.job_id, e.attempts, e.replays, e.lease_until)
           insert into job_attempt (job_id, replay, attempt, started_at, outcome, error, duration_ms)
           select job_id, replays, attempts, lease_until, 'lease_expired', 'lease expired', 0 from moved
           on conflict do nothing"#
    )
    .execute(db)
    .await?;
    Ok(released.rows_affected())
}
