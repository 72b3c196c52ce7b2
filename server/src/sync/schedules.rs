//! Recurring jobs (the Odoo catch-up poll, inventory reconciliation, freshness checks). Each due
//! time is enqueued once however many workers tick: the schedule row is locked while its job is
//! enqueued and the schedule moved on, in one transaction, and the job's dedupe key names the
//! due time as a second guard.

use crate::store::jobs::queue::{self, JobPayload, NewJob};
use crate::store::jobs::schedules::{self as stored, Schedule};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::str::FromStr;

/// A cron expression with seconds: `sec min hour day-of-month month day-of-week`, in UTC.
pub fn parse(expression: &str) -> anyhow::Result<cron::Schedule> {
    cron::Schedule::from_str(expression).with_context(|| {
        format!("{expression:?} is not a cron expression (sec min hour day month weekday)")
    })
}

/// The first time of `expression` strictly after `after`.
pub fn next_after(expression: &str, after: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    parse(expression)?
        .after(&after)
        .next()
        .with_context(|| format!("{expression:?} never fires again"))
}

/// Adds or updates a schedule of `job`, first due at its next time from now.
pub async fn define<J: JobPayload>(
    pool: &PgPool,
    name: &str,
    queue: &str,
    job: &J,
    expression: &str,
) -> anyhow::Result<()> {
    let next_run_at = next_after(expression, Utc::now())?;
    let typed = NewJob::new(queue, job);
    stored::upsert_schedule(
        pool,
        &Schedule {
            name: name.to_string(),
            queue: queue.to_string(),
            kind: typed.kind().to_string(),
            payload: typed.payload().clone(),
            cron: expression.to_string(),
            next_run_at,
        },
    )
    .await?;
    Ok(())
}

/// Enqueues every schedule that is due; returns how many jobs were enqueued. A schedule whose
/// worker was down for several due times runs once, not once per missed time.
pub async fn tick(pool: &PgPool) -> anyhow::Result<usize> {
    let mut tx = pool.begin().await?;
    let due = stored::take_due_schedules(&mut tx).await?;
    let now = Utc::now();
    let mut enqueued = 0;
    for s in due {
        let next = match next_after(&s.cron, now.max(s.next_run_at)) {
            Ok(next) => next,
            Err(error) => {
                tracing::error!(schedule = %s.name, error = %format!("{error:#}"), "schedule cannot run");
                continue;
            }
        };
        let job = NewJob::stored(s.queue.clone(), s.kind.clone(), s.payload.clone()).deduped_by(
            format!("schedule:{}:{}", s.name, s.next_run_at.to_rfc3339()),
        );
        if queue::enqueue(&mut *tx, &job).await?.is_some() {
            enqueued += 1;
        }
        stored::schedule_ran(&mut tx, &s.name, s.next_run_at, next).await?;
    }
    tx.commit().await?;
    Ok(enqueued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_give_the_next_time_and_bad_ones_say_why() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T10:07:30Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            next_after("0 */5 * * * *", at).unwrap().to_rfc3339(),
            "2026-11-28T10:10:00+00:00"
        );
        assert_eq!(
            next_after("0 0 2 * * *", at).unwrap().to_rfc3339(),
            "2026-11-29T02:00:00+00:00"
        );
        let error = format!("{:#}", next_after("every minute", at).unwrap_err());
        assert!(error.contains("not a cron expression"), "{error}");
    }
}
