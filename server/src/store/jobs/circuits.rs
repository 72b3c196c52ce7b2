//! The `circuit` table: each queue's breaker as stored (the decisions are `sync::breaker`'s).

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection, PgExecutor};

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
    let found: Option<Circuit> = sqlx::query_as!(
        Circuit,
        r#"select queue, state, failures, opened_at as "opened_at: DateTime<Utc>",
                  next_probe_at as "next_probe_at: DateTime<Utc>", cooldown_ms, paused, paused_reason
           from circuit where queue = $1"#,
        queue
    )
    .fetch_optional(db)
    .await?;
    Ok(found.unwrap_or_else(|| Circuit::closed(queue)))
}

/// Writes the breaker's new state (decided by the caller under `lock_circuit`).
pub async fn save_circuit(conn: &mut PgConnection, c: &Circuit) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into circuit (queue, state, failures, opened_at, next_probe_at, cooldown_ms, paused, paused_reason, updated_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, now())
           on conflict (queue) do update set state = excluded.state, failures = excluded.failures,
               opened_at = excluded.opened_at, next_probe_at = excluded.next_probe_at,
               cooldown_ms = excluded.cooldown_ms, paused = excluded.paused,
               paused_reason = excluded.paused_reason, updated_at = now()"#,
        &c.queue,
        &c.state,
        c.failures,
        c.opened_at as _,
        c.next_probe_at as _,
        c.cooldown_ms,
        c.paused,
        c.paused_reason.as_deref()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Serializes breaker decisions for one queue across workers until the transaction ends.
pub async fn lock_circuit(conn: &mut PgConnection, queue: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "select pg_advisory_xact_lock(hashtextextended('circuit:' || $1, 0))",
        queue
    )
    .execute(conn)
    .await?;
    Ok(())
}
