//! The `schedule` table (recurring jobs, due once across every worker) and the `sync_cursor`
//! of each pull.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};

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
    sqlx::query!(
        r#"insert into schedule (name, queue, kind, payload, cron, next_run_at) values ($1, $2, $3, $4, $5, $6)
           on conflict (name) do update set queue = excluded.queue, kind = excluded.kind,
               payload = excluded.payload, cron = excluded.cron,
               next_run_at = case when schedule.cron = excluded.cron then schedule.next_run_at else excluded.next_run_at end"#,
        &s.name,
        &s.queue,
        &s.kind,
        &s.payload,
        &s.cron,
        s.next_run_at as _
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Removes a schedule (a recurring job switched off); nothing when there is none.
pub async fn remove_schedule(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from schedule where name = $1", name)
        .execute(db)
        .await?;
    Ok(())
}

/// The schedules due now, locked so no other worker takes them until this transaction ends.
pub async fn take_due_schedules(conn: &mut PgConnection) -> sqlx::Result<Vec<Schedule>> {
    sqlx::query_as!(
        Schedule,
        r#"select name, queue, kind, payload, cron, next_run_at as "next_run_at: DateTime<Utc>" from schedule
           where enabled and next_run_at <= now() order by next_run_at for update skip locked"#
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
    sqlx::query!(
        r#"update schedule set last_run_at = $2, next_run_at = $3 where name = $1"#,
        name,
        ran_for as _,
        next_run_at as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where a pull of `model` from the connector's system got to.
pub async fn cursor(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    model: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"select position as "position: DateTime<Utc>" from sync_cursor where connector_id = $1 and model = $2"#,
        connector_id,
        model
    )
        .fetch_optional(db)
        .await
}

/// Moves the cursor forward (never back: two pulls finishing out of order keep the later one).
/// Puts a cursor at `position`, earlier or later than it was (an integrator's choice).
pub async fn set_cursor(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    model: &str,
    position: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into sync_cursor (connector_id, model, position) values ($1, $2, $3)
           on conflict (connector_id, model) do update set position = excluded.position, updated_at = now()"#,
        connector_id,
        model,
        position as _
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_cursor(
    db: impl PgExecutor<'_>,
    connector_id: i64,
    model: &str,
    position: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into sync_cursor (connector_id, model, position) values ($1, $2, $3)
           on conflict (connector_id, model) do update
           set position = greatest(sync_cursor.position, excluded.position), updated_at = now()"#,
        connector_id,
        model,
        position as _
    )
    .execute(db)
    .await?;
    Ok(())
}
