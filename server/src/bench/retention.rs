//! `milepost bench retention`: a soak of the retention policy. Month after simulated month,
//! intake's tables receive a month of traffic (raw messages with their events, finished jobs
//! with their attempts, customer deliveries, audit entries), then the policy runs as of the
//! month's end (archiving to a scratch directory) and the tables' sizes are measured. With
//! ingest going on, sizes must stop growing once the oldest data reaches its retention age.
//!
//! Rows are written with SQL shaped like intake's and the sync engine's (a message with one
//! event of ~600 bytes of body, a job with one attempt), so a soak of several years of traffic
//! takes minutes; the retention run is the real one. After each month the tables are vacuumed,
//! as autovacuum does in production, so freed space is reused and the sizes show it.

use crate::cli::BenchRetention;
use crate::retention::{self, RetentionSettings};
use crate::settings::Settings;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Instant;

pub async fn run(args: BenchRetention, settings: Settings) -> anyhow::Result<()> {
    super::in_scratch_database(&settings, |options| soak(&args, options)).await
}

fn mb(bytes: i64) -> f64 {
    bytes as f64 / 1_048_576.0
}

struct Sizes {
    events: i64,
    event_bytes: i64,
    inbox_bytes: i64,
    job_bytes: i64,
    audit_bytes: i64,
}

impl Sizes {
    fn total(&self) -> i64 {
        self.event_bytes + self.inbox_bytes + self.job_bytes + self.audit_bytes
    }
}

async fn sizes(pool: &PgPool) -> anyhow::Result<Sizes> {
    let (events, event_bytes, inbox_bytes, job_bytes, audit_bytes): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "select (select count(*) from event),
                    (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint
                       from pg_inherits i join pg_class p on p.oid = i.inhparent where p.relname = 'event'),
                    pg_total_relation_size('inbox_message'),
                    pg_total_relation_size('job') + pg_total_relation_size('job_attempt'),
                    pg_total_relation_size('audit_log')",
        )
        .fetch_one(pool)
        .await?;
    Ok(Sizes {
        events,
        event_bytes,
        inbox_bytes,
        job_bytes,
        audit_bytes,
    })
}

/// One month of traffic starting at `month`, spread over its days.
async fn month_of_traffic(
    pool: &PgPool,
    connector_id: i64,
    month: NaiveDate,
    messages: i64,
) -> anyhow::Result<()> {
    let start = month.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    sqlx::query("select event_ensure_partitions($1, 1)")
        .bind(month)
        .execute(pool)
        .await?;
    // Messages and their events (recorded when received, as intake stores them).
    sqlx::query(
        "with m as (
             insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at,
                                        headers, body, outcome, event_count)
             select $1, 'm-' || $2::text || '-' || g, false, t, t, '{\"content-type\": \"application/json\"}',
                    convert_to(repeat('{\"customer\": \"Jane Doe\", \"address\": \"1 Main St\"} ', 12), 'UTF8'),
                    'accepted', 1
             from generate_series(1, $3) g,
                  lateral (select $2::timestamptz + (g::float8 / ($3 + 1)) * interval '28 days' as t) x
             returning inbox_message_id, received_at)
         insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type,
                            order_ref, time_provenance, data, disposition)
         select gen_random_uuid(), received_at, $1, inbox_message_id, 'bench', 'e-' || inbox_message_id,
                'shipment.delivered', 'SO-' || inbox_message_id, 'unknown',
                '{\"carrier\": \"ups\", \"signed_by\": \"J. Doe\"}', 'applied'
         from m",
    )
    .bind(connector_id)
    .bind(start)
    .bind(messages)
    .execute(pool)
    .await?;
    // A finished job per message (a third of them customer deliveries), each with an attempt.
    sqlx::query(
        "with j as (
             insert into job (queue, kind, payload, state, attempts, finished_at, created_at)
             select 'wms:bench', case when g % 3 = 0 then 'webhook.deliver' else 'wms.instruction' end,
                    '{\"order_ref\": \"SO-1\", \"lines\": [{\"sku\": \"E-COM08\", \"qty\": 2}]}', 'succeeded', 1, t, t
             from generate_series(1, $2) g,
                  lateral (select $1::timestamptz + (g::float8 / ($2 + 1)) * interval '28 days' as t) x
             returning job_id, finished_at)
         insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, duration_ms)
         select job_id, 0, 1, finished_at, 'succeeded', '{\"url\": \"https://wms.example/in\"}',
                '{\"status\": 202, \"body\": \"accepted\"}', 12
         from j",
    )
    .bind(start)
    .bind(messages)
    .execute(pool)
    .await?;
    sqlx::query(
        "insert into audit_log (occurred_at, action, subject, detail)
         select $1::timestamptz + (g::float8 / 1001) * interval '28 days', 'job.replay', 'job:' || g, '{\"why\": \"bench\"}'
         from generate_series(1, 1000) g",
    )
    .bind(start)
    .execute(pool)
    .await?;
    Ok(())
}

async fn soak(args: &BenchRetention, options: PgConnectOptions) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    crate::database::migrate(&pool).await?;
    let connector_id: i64 = sqlx::query_scalar(
        "insert into connector (name, kind, format, allowed_types) values ('bench-wms', 'wms', 'canonical', '{}')
         returning connector_id",
    )
    .fetch_one(&pool)
    .await?;
    let archive = tempfile_dir()?;
    let policy = RetentionSettings {
        inbox_body_days: args.body_days,
        event_months: args.event_months,
        job_days: args.job_days,
        delivery_days: 30,
        audit_days: args.audit_days,
        archive_dir: archive.clone(),
    };
    println!(
        "retention soak: {} months of {} messages (+ as many jobs, 1,000 audit entries) a month",
        args.months, args.messages_per_month
    );
    println!(
        "policy: raw bodies {} d, event partitions {} months, jobs {} d, deliveries 30 d, audit log {} d; archives in {}",
        policy.inbox_body_days,
        policy.event_months,
        policy.job_days,
        policy.audit_days,
        archive.display()
    );
    println!(
        "{:>8} {:>9} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9} {:>8}",
        "month",
        "events",
        "events MB",
        "inbox MB",
        "jobs MB",
        "audit MB",
        "total MB",
        "archived",
        "run s"
    );
    let today = Utc::now().date_naive();
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .expect("a month")
        .checked_sub_months(Months::new(args.months))
        .expect("a month");
    let mut totals = Vec::new();
    for m in 0..args.months {
        let month = first.checked_add_months(Months::new(m)).expect("a month");
        month_of_traffic(&pool, connector_id, month, args.messages_per_month).await?;
        let end: DateTime<Utc> = month
            .checked_add_months(Months::new(1))
            .expect("a month")
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc();
        let started = Instant::now();
        let report = retention::run(&pool, &policy, end).await?;
        let took = started.elapsed().as_secs_f64();
        // What autovacuum does between runs in production: freed space becomes reusable.
        sqlx::query("vacuum inbox_message, job, job_attempt, audit_log")
            .execute(&pool)
            .await?;
        let s = sizes(&pool).await?;
        let archived = report.events_archived + report.bodies_archived;
        println!(
            "{:>8} {:>9} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>10.1} {:>9} {:>8.2}",
            month.format("%Y-%m"),
            s.events,
            mb(s.event_bytes),
            mb(s.inbox_bytes),
            mb(s.job_bytes),
            mb(s.audit_bytes),
            mb(s.total()),
            archived,
            took
        );
        totals.push(s.total());
    }
    let verified = verify_all(&archive).await?;
    let last = *totals.last().unwrap_or(&0);
    let steady_from = (policy.event_months as usize + 2).min(totals.len().saturating_sub(1));
    let at_steady = totals.get(steady_from).copied().unwrap_or(last);
    println!(
        "total size at month {} (every policy in effect): {:.1} MB; at month {}: {:.1} MB ({:+.1}%); {} archives verified",
        steady_from + 1,
        mb(at_steady),
        totals.len(),
        mb(last),
        if at_steady > 0 { (last - at_steady) as f64 * 100.0 / at_steady as f64 } else { 0.0 },
        verified
    );
    let _ = std::fs::remove_dir_all(&archive);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("milepost-bench-archive-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn verify_all(dir: &std::path::Path) -> anyhow::Result<usize> {
    let mut n = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".manifest.json") {
            retention::archive::verify(&path).await?;
            n += 1;
        }
    }
    Ok(n)
}
