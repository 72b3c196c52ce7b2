//! The state `/metrics` reports, read at scrape time: a handful of small aggregate queries on
//! indexed, bounded sets (waiting events, unfinished jobs, open clocks, enabled connectors).

use sqlx::PgPool;

pub struct Snapshot {
    pub queued_events: i64,
    pub oldest_queued_seconds: f64,
    pub quarantined: i64,
    pub jobs: Vec<JobCount>,
    pub circuits: Vec<Circuit>,
    pub clocks_at_risk: i64,
    pub clocks_breached: i64,
    pub sources: Vec<Source>,
}

pub struct JobCount {
    pub queue: String,
    pub state: String,
    pub count: i64,
}

pub struct Circuit {
    pub queue: String,
    pub state: String,
    pub open_seconds: Option<f64>,
}

pub struct Source {
    pub connector: String,
    pub age_seconds: Option<f64>,
}

pub async fn snapshot(pool: &PgPool) -> sqlx::Result<Snapshot> {
    let queue = sqlx::query!(
        r#"select count(*) as "count!",
                  coalesce(extract(epoch from now() - min(recorded_at))::float8, 0) as "oldest!",
                  (select count(*) from quarantined_event where released_at is null) as "quarantined!"
           from projection_queue"#
    )
    .fetch_one(pool)
    .await?;
    let jobs = sqlx::query_as!(
        JobCount,
        r#"select queue, state, count(*) as "count!" from job
           where state in ('pending', 'failed', 'running', 'dead') group by queue, state order by queue, state"#
    )
    .fetch_all(pool)
    .await?;
    let circuits = sqlx::query_as!(
        Circuit,
        r#"select queue, state, extract(epoch from now() - opened_at)::float8 as open_seconds
           from circuit order by queue"#
    )
    .fetch_all(pool)
    .await?;
    let clocks = sqlx::query!(
        r#"select count(*) filter (where at_risk_at <= now() and due_at > now()) as "at_risk!",
                  count(*) filter (where due_at <= now()) as "breached!"
           from sla_clock where ended_at is null and paused_since is null"#
    )
    .fetch_one(pool)
    .await?;
    let sources = sqlx::query_as!(
        Source,
        r#"select c.name as connector,
                  extract(epoch from now() - (select max(m.received_at) from inbox_message m
                                              where m.connector_id = c.connector_id))::float8 as age_seconds
           from connector c where c.enabled order by c.name"#
    )
    .fetch_all(pool)
    .await?;
    Ok(Snapshot {
        queued_events: queue.count,
        oldest_queued_seconds: queue.oldest,
        quarantined: queue.quarantined,
        jobs,
        circuits,
        clocks_at_risk: clocks.at_risk,
        clocks_breached: clocks.breached,
        sources,
    })
}
