//! Retention: each table's policy, run hourly by a worker task (one process at a time), each
//! step recorded in `retention_run`.
//!
//! | what | policy (setting, default) | how |
//! |---|---|---|
//! | raw inbox bodies | `MILEPOST_RETAIN_INBOX_BODY_DAYS`, 90 | archived (the whole row), then the body cleared; the row stays, naming its archive |
//! | events | `MILEPOST_RETAIN_EVENT_MONTHS`, 24 | a month's partition, once wholly older, is archived with the raw messages that go with it, then dropped |
//! | rejected messages | with the events | deleted once older than the event policy |
//! | finished jobs and their attempts | `MILEPOST_RETAIN_JOB_DAYS`, 90 | deleted (dead jobs stay until replayed or cancelled) |
//! | customer webhook deliveries | `MILEPOST_RETAIN_DELIVERY_DAYS`, 30 | deleted, as finished jobs of their kind |
//! | audit log | `MILEPOST_RETAIN_AUDIT_DAYS`, 2555 (7 years) | archived, then deleted |
//! | sessions, sign-in failures, refusals | at expiry, 1 day, 30 days | deleted by housekeeping |
//!
//! `0` keeps a table forever. The events and raw messages of orders with an open dispute (its
//! evidence) and of accounts on legal hold (`legal_hold`) are never archived away: a dropped
//! partition's kept events move to the default partition, kept bodies stay.

pub mod archive;

use crate::store::retention as store;
use anyhow::Context;
use archive::{ArchiveWriter, Manifest};
use chrono::{DateTime, Datelike, Duration as Age, Months, NaiveDate, Utc};
use serde_json::json;
use sqlx::PgPool;
use std::path::PathBuf;

/// How often the policy runs.
pub const RUN_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
/// Bodies archived per file (and per run at most).
const BODIES_PER_ARCHIVE: i64 = 50_000;
/// Jobs deleted per statement.
const JOBS_PER_DELETE: i64 = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Days a raw body is kept (0: forever).
    pub inbox_body_days: u32,
    /// Months of event partitions kept, besides the current one (0: forever).
    pub event_months: u32,
    pub job_days: u32,
    pub delivery_days: u32,
    pub audit_days: u32,
    /// Where archives are written (`MILEPOST_ARCHIVE_DIR`, default `<data dir>/archive`).
    pub archive_dir: PathBuf,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            inbox_body_days: 90,
            event_months: 24,
            job_days: 90,
            delivery_days: 30,
            audit_days: 2555,
            archive_dir: PathBuf::from(".milepost/archive"),
        }
    }
}

/// What one run removed, per policy.
#[derive(Debug, Default, PartialEq)]
pub struct Report {
    pub bodies_archived: u64,
    pub bodies_kept: i64,
    pub partitions_dropped: Vec<String>,
    pub events_archived: u64,
    pub events_kept: i64,
    pub messages_deleted: u64,
    pub jobs_deleted: u64,
    pub deliveries_deleted: u64,
    pub audit_deleted: u64,
    pub manifests: Vec<Manifest>,
}

fn days_before(now: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    (days > 0).then(|| now - Age::days(days as i64))
}

/// The first day of the oldest month kept: partitions of months before it go.
pub fn event_cutoff(now: DateTime<Utc>, months: u32) -> Option<NaiveDate> {
    if months == 0 {
        return None;
    }
    let this_month = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)?;
    this_month.checked_sub_months(Months::new(months))
}

/// One run of every policy as of `now` (the benchmark's soak passes a simulated clock).
pub async fn run(
    pool: &PgPool,
    settings: &RetentionSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut conn = pool.acquire().await?;
    if !store::take_turn(&mut conn).await? {
        return Ok(Report::default());
    }
    let result = policies(&mut conn, pool, settings, now).await;
    store::end_turn(&mut conn).await?;
    result
}

async fn policies(
    conn: &mut sqlx::PgConnection,
    pool: &PgPool,
    s: &RetentionSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    if let Some(before) = days_before(now, s.inbox_body_days) {
        bodies(conn, s, before, &mut report)
            .await
            .context("archiving old raw bodies")?;
    }
    if let Some(cutoff) = event_cutoff(now, s.event_months) {
        events(conn, s, cutoff, &mut report)
            .await
            .context("archiving old event partitions")?;
    }
    if let Some(before) = days_before(now, s.job_days) {
        report.jobs_deleted = jobs(pool, before, false)
            .await
            .context("deleting old jobs")?;
    }
    if let Some(before) = days_before(now, s.delivery_days) {
        report.deliveries_deleted = jobs(pool, before, true)
            .await
            .context("deleting old webhook deliveries")?;
    }
    if let Some(before) = days_before(now, s.audit_days) {
        audit(conn, pool, s, before, &mut report)
            .await
            .context("archiving the old audit log")?;
    }
    Ok(report)
}

async fn bodies(
    conn: &mut sqlx::PgConnection,
    s: &RetentionSettings,
    before: DateTime<Utc>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let kept = store::kept_bodies(&mut *conn, before).await?;
    report.bodies_kept = kept;
    let due = store::due_bodies(&mut *conn, before, BODIES_PER_ARCHIVE).await?;
    let (Some(first), Some(last)) = (due.first(), due.last()) else {
        return Ok(());
    };
    let name = format!(
        "inbox-bodies-{}-{}.jsonl.gz",
        first.inbox_message_id, last.inbox_message_id
    );
    let mut w = ArchiveWriter::create(&s.archive_dir, &name).await?;
    for row in &due {
        w.line(&row.row).await?;
    }
    let manifest = w
        .finish(
            "inbox_bodies",
            "inbox_message",
            json!({"received_before": before, "kept_for_disputes_or_holds": kept}),
        )
        .await?;
    let ids: Vec<i64> = due.iter().map(|r| r.inbox_message_id).collect();
    store::clear_bodies(&mut *conn, &ids, &name).await?;
    store::record(
        &mut *conn,
        &store::Run {
            policy: "inbox_bodies",
            archive: Some(&name),
            sha256: Some(&manifest.sha256),
            archived_rows: manifest.rows as i64,
            deleted_rows: 0,
            kept_rows: kept,
            detail: json!({"received_before": before}),
        },
    )
    .await?;
    report.bodies_archived += manifest.rows;
    report.manifests.push(manifest);
    Ok(())
}

async fn events(
    conn: &mut sqlx::PgConnection,
    s: &RetentionSettings,
    cutoff: NaiveDate,
    report: &mut Report,
) -> anyhow::Result<()> {
    for partition in store::event_partitions(&mut *conn).await? {
        let Some(end) = partition.month.checked_add_months(Months::new(1)) else {
            continue;
        };
        if end > cutoff {
            continue;
        }
        // The events, then the raw messages that go with them; only then the drop.
        let name = format!("{}.jsonl.gz", partition.name);
        let mut w = ArchiveWriter::create(&s.archive_dir, &name).await?;
        let mut after = None;
        loop {
            let page = store::partition_page(&mut *conn, &partition, after).await?;
            for (row, _, _) in &page {
                w.line(row).await?;
            }
            match page.last() {
                Some((_, at, id)) if page.len() as i64 == store::PAGE => after = Some((*at, *id)),
                _ => break,
            }
        }
        let range = json!({"from": partition.month, "to": end});
        let events = w
            .finish("event_partition", &partition.name, range.clone())
            .await?;

        store::mark_messages_gone(&mut *conn, &partition).await?;
        let messages_name = format!("inbox-{}.jsonl.gz", partition.name);
        let mut w = ArchiveWriter::create(&s.archive_dir, &messages_name).await?;
        let mut after = 0;
        loop {
            let page = store::gone_messages_page(&mut *conn, after).await?;
            for (row, _) in &page {
                w.line(row).await?;
            }
            match page.last() {
                Some((_, id)) if page.len() as i64 == store::PAGE => after = *id,
                _ => break,
            }
        }
        let messages = w.finish("inbox_messages", "inbox_message", range).await?;

        let dropped = store::drop_partition(&mut *conn, &partition).await?;
        let rejected = store::delete_rejected(
            &mut *conn,
            end.and_hms_opt(0, 0, 0).expect("midnight").and_utc(),
        )
        .await?;
        for (m, deleted, kept) in [
            (&events, events.rows as i64, dropped.kept),
            (&messages, dropped.inbox_deleted + rejected as i64, 0),
        ] {
            store::record(
                &mut *conn,
                &store::Run {
                    policy: "event_partition",
                    archive: Some(&m.file),
                    sha256: Some(&m.sha256),
                    archived_rows: m.rows as i64,
                    deleted_rows: deleted,
                    kept_rows: kept,
                    detail: json!({"partition": partition.name, "rejected_deleted": rejected}),
                },
            )
            .await?;
        }
        tracing::info!(partition = %partition.name, events = events.rows, kept = dropped.kept,
            messages = dropped.inbox_deleted, "archived and dropped an event partition");
        report.partitions_dropped.push(partition.name.clone());
        report.events_archived += events.rows;
        report.events_kept += dropped.kept;
        report.messages_deleted += dropped.inbox_deleted as u64 + rejected;
        report.manifests.push(events);
        report.manifests.push(messages);
    }
    Ok(())
}

async fn jobs(pool: &PgPool, before: DateTime<Utc>, deliveries: bool) -> anyhow::Result<u64> {
    let mut total = 0;
    loop {
        let n = store::delete_jobs(pool, before, deliveries, JOBS_PER_DELETE).await?;
        total += n;
        if n < JOBS_PER_DELETE as u64 {
            break;
        }
    }
    if total > 0 {
        store::record(
            pool,
            &store::Run {
                policy: if deliveries { "deliveries" } else { "jobs" },
                archive: None,
                sha256: None,
                archived_rows: 0,
                deleted_rows: total as i64,
                kept_rows: 0,
                detail: json!({"finished_before": before}),
            },
        )
        .await?;
    }
    Ok(total)
}

async fn audit(
    conn: &mut sqlx::PgConnection,
    pool: &PgPool,
    s: &RetentionSettings,
    before: DateTime<Utc>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let rows = store::old_audit(&mut *conn, before, BODIES_PER_ARCHIVE).await?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(());
    };
    let name = format!("audit-log-{}-{}.jsonl.gz", first.0, last.0);
    let mut w = ArchiveWriter::create(&s.archive_dir, &name).await?;
    for (_, row) in &rows {
        w.line(row).await?;
    }
    let manifest = w
        .finish("audit_log", "audit_log", json!({"occurred_before": before}))
        .await?;
    let deleted = store::delete_audit(pool, before, last.0).await?;
    store::record(
        pool,
        &store::Run {
            policy: "audit_log",
            archive: Some(&name),
            sha256: Some(&manifest.sha256),
            archived_rows: manifest.rows as i64,
            deleted_rows: deleted as i64,
            kept_rows: 0,
            detail: json!({"occurred_before": before}),
        },
    )
    .await?;
    report.audit_deleted = deleted;
    report.manifests.push(manifest);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_event_cutoff_keeps_whole_months_besides_the_current_one() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 14, 0, 0).unwrap();
        assert_eq!(event_cutoff(now, 24), NaiveDate::from_ymd_opt(2024, 12, 1));
        assert_eq!(event_cutoff(now, 1), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(event_cutoff(now, 0), None);
        assert_eq!(days_before(now, 0), None);
        assert_eq!(
            days_before(now, 90),
            Some(Utc.with_ymd_and_hms(2026, 9, 8, 14, 0, 0).unwrap())
        );
    }
}
