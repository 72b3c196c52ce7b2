//! Retention: an old event partition is archived (with the raw messages that go with it) and
//! dropped, the archives' checksums verify, and the events of an open dispute and of an account
//! on legal hold are kept; old raw bodies are archived and cleared; old finished jobs, webhook
//! deliveries and audit entries go; a second run finds nothing more to do.

use crate::support::{self, TestApp};
use app::domain::Role;
use chrono::{DateTime, Duration, TimeZone, Utc};
use server::cli::AccountCommand;
use server::retention::{self, archive, RetentionSettings};
use sqlx::PgPool;

/// A message and one event about `order_ref`, received at `at`; returns the message id.
async fn message(pool: &PgPool, connector_id: i64, order_ref: &str, at: DateTime<Utc>) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at, body, outcome, event_count)
         values ($1, $2, false, $3, $3, convert_to($4, 'UTF8'), 'accepted', 1) returning inbox_message_id",
    )
    .bind(connector_id)
    .bind(format!("msg-{order_ref}-{}", at.timestamp()))
    .bind(at)
    .bind(format!(r#"{{"order": "{order_ref}", "customer": "Jane Doe, 1 Main St"}}"#))
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type,
                            order_ref, time_provenance, data, disposition)
         values (gen_random_uuid(), $1, $2, $3, 'test', $4, 'order.created', $5, 'unknown', '{}', 'applied')",
    )
    .bind(at)
    .bind(connector_id)
    .bind(id)
    .bind(format!("ev-{order_ref}-{}", at.timestamp()))
    .bind(order_ref)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn order(pool: &PgPool, order_ref: &str, account: &str) -> i64 {
    sqlx::query_scalar(
        "insert into \"order\" (order_ref, status, account_id)
         select $1, 'delivered', account_id from account where code = $2 returning order_id",
    )
    .bind(order_ref)
    .bind(account)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn job(pool: &PgPool, kind: &str, state: &str, finished: DateTime<Utc>) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "insert into job (queue, kind, payload, state, finished_at) values ('wms:x', $1, '{}', $2, $3) returning job_id",
    )
    .bind(kind)
    .bind(state)
    .bind(finished)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into job_attempt (job_id, replay, attempt, started_at, outcome, request, response, duration_ms)
         values ($1, 0, 1, $2, 'succeeded', '{\"to\": \"Jane Doe\"}', '{}', 5)",
    )
    .bind(id)
    .bind(finished)
    .execute(pool)
    .await
    .unwrap();
    id
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrations = false)]
async fn old_data_is_archived_then_removed_and_what_disputes_and_holds_need_stays(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
    for (code, name) in [("ACME", "Acme"), ("HELD", "Held Ltd")] {
        app::services::accounts::create(&pool, code, name, None)
            .await
            .unwrap();
    }
    let agent = app.user(Role::Agent, "agent@example.com").await;
    let connector = support::canonical_connector(&pool, "old-wms", "wms").await;

    // January 2024: past 24 months. One plain order, one with an open dispute, one of an account
    // on legal hold, and a rejected message.
    sqlx::query("select event_ensure_partitions('2024-01-01', 1)")
        .execute(&pool)
        .await
        .unwrap();
    let jan = Utc.with_ymd_and_hms(2024, 1, 15, 9, 0, 0).unwrap();
    let plain = message(&pool, connector.id, "SO-PLAIN", jan).await;
    let disputed_msg = message(&pool, connector.id, "SO-DISPUTED", jan).await;
    let held_msg = message(&pool, connector.id, "SO-HELD", jan).await;
    sqlx::query(
        "insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at, body, outcome)
         values ($1, 'rejected-1', false, $2, $2, 'garbage', 'rejected')",
    )
    .bind(connector.id)
    .bind(jan)
    .execute(&pool)
    .await
    .unwrap();
    let disputed = order(&pool, "SO-DISPUTED", "ACME").await;
    order(&pool, "SO-HELD", "HELD").await;
    sqlx::query(
        "insert into dispute (order_id, order_ref, segment, reason, comment, opened_by)
         values ($1, 'SO-DISPUTED', 'deliver', 'carrier_data_wrong', 'the carrier lost it', $2)",
    )
    .bind(disputed)
    .bind(agent)
    .execute(&pool)
    .await
    .unwrap();
    server::commands::account::run(
        AccountCommand::Hold {
            account: "held".into(),
            reason: "litigation 2026-17".into(),
        },
        &pool,
    )
    .await
    .unwrap();

    // 100 days ago: past the 90 days of raw bodies, within the events' 24 months.
    let autumn = now - Duration::days(100);
    let old_body = message(&pool, connector.id, "SO-AUTUMN", autumn).await;
    let kept_body = message(
        &pool,
        connector.id,
        "SO-DISPUTED",
        autumn + Duration::hours(1),
    )
    .await;
    let recent = message(&pool, connector.id, "SO-NEW", now - Duration::days(1)).await;

    // Jobs: finished long ago and lately, a dead letter, an old customer delivery.
    let old_job = job(
        &pool,
        "wms.instruction",
        "succeeded",
        now - Duration::days(91),
    )
    .await;
    let new_job = job(
        &pool,
        "wms.instruction",
        "succeeded",
        now - Duration::days(5),
    )
    .await;
    let dead_job = job(&pool, "wms.instruction", "dead", now - Duration::days(200)).await;
    let old_delivery = job(
        &pool,
        "webhook.deliver",
        "succeeded",
        now - Duration::days(31),
    )
    .await;
    // The audit log: one entry eight years old.
    sqlx::query(
        "insert into audit_log (occurred_at, action, subject, detail) values ($1, 'user.create', 'user:x', '{}')",
    )
    .bind(now - Duration::days(8 * 365))
    .execute(&pool)
    .await
    .unwrap();
    let audit_before = count(&pool, "select count(*) from audit_log").await;

    let dir = tempfile::tempdir().unwrap();
    let settings = RetentionSettings {
        archive_dir: dir.path().to_path_buf(),
        ..RetentionSettings::default()
    };
    let report = retention::run(&pool, &settings, now).await.unwrap();

    // The partition: archived, dropped, its kept events moved to the default partition.
    assert_eq!(report.partitions_dropped, vec!["event_2024_01".to_string()]);
    assert_eq!((report.events_archived, report.events_kept), (3, 2));
    let partitions = server::store::retention::event_partitions(&pool)
        .await
        .unwrap();
    assert!(partitions.iter().all(|p| p.name != "event_2024_01"));
    let left: Vec<String> = sqlx::query_scalar(
        "select order_ref from event where recorded_at < '2024-02-01' order by order_ref",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(left, vec!["SO-DISPUTED", "SO-HELD"]);
    let messages: Vec<i64> = sqlx::query_scalar(
        "select inbox_message_id from inbox_message where received_at < '2024-02-01' order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        messages,
        vec![disputed_msg, held_msg],
        "the plain and the rejected message went"
    );
    assert!(!messages.contains(&plain));

    // Every archive verifies, and holds what was removed.
    assert_eq!(report.manifests.len(), 4, "{:?}", report.manifests);
    for m in &report.manifests {
        let path = dir.path().join(format!("{}.manifest.json", m.file));
        assert_eq!(&archive::verify(&path).await.unwrap(), m);
    }
    let events = lines(&dir.path().join("event_2024_01.jsonl.gz"));
    assert_eq!(events.len(), 3);
    assert!(events.iter().any(|l| l.contains("\"SO-PLAIN\"")));
    let gone = lines(&dir.path().join("inbox-event_2024_01.jsonl.gz"));
    assert_eq!(gone.len(), 1);
    assert!(gone[0].contains(&format!("\"inbox_message_id\":{plain},")));

    // Raw bodies past 90 days: archived and cleared, except the disputed order's.
    let bodies: Vec<(i64, i32, Option<String>)> = sqlx::query_as(
        "select inbox_message_id, octet_length(body), body_archive from inbox_message
         where inbox_message_id = any($1) order by 1",
    )
    .bind(vec![old_body, kept_body, recent])
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(bodies[0].0, old_body);
    assert_eq!(bodies[0].1, 0);
    let archived_in = bodies[0].2.clone().expect("names its archive");
    let archived = lines(&dir.path().join(&archived_in));
    let id = |m: i64| format!("\"inbox_message_id\":{m},");
    assert!(archived.iter().any(|l| l.contains(&id(old_body))));
    assert!(
        archived.iter().any(|l| l.contains(&id(plain))),
        "January's too, before its month went"
    );
    assert!(!archived
        .iter()
        .any(|l| l.contains(&id(kept_body)) || l.contains(&id(held_msg))));
    assert!(
        bodies[1].1 > 0 && bodies[1].2.is_none(),
        "the disputed order's body stays"
    );
    assert!(
        bodies[2].1 > 0 && bodies[2].2.is_none(),
        "a recent body stays"
    );
    // Archived: January's plain and rejected messages and autumn's. Kept: January's disputed and
    // held messages, and the disputed order's autumn one.
    assert_eq!((report.bodies_archived, report.bodies_kept), (3, 3));

    // Jobs and their attempts; deliveries; the audit log (archived first).
    let jobs: Vec<i64> = sqlx::query_scalar("select job_id from job order by job_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(jobs, vec![new_job, dead_job]);
    assert!(!jobs.contains(&old_job) && !jobs.contains(&old_delivery));
    assert_eq!(
        count(&pool, "select count(*) from job_attempt").await,
        2,
        "attempts go with their jobs"
    );
    assert_eq!(
        (
            report.jobs_deleted,
            report.deliveries_deleted,
            report.audit_deleted
        ),
        (1, 1, 1)
    );
    assert_eq!(
        count(&pool, "select count(*) from audit_log").await,
        audit_before - 1
    );
    let holds = count(
        &pool,
        "select count(*) from audit_log where action = 'account.legal_hold' and subject = 'account:HELD'",
    )
    .await;
    assert_eq!(holds, 1, "the hold is audited");
    // Outside retention the audit log is still append-only.
    let refused = sqlx::query("delete from audit_log").execute(&pool).await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    assert_eq!(
        count(&pool, "select count(*) from retention_run").await,
        6,
        "bodies, the partition's events and messages, jobs, deliveries, audit"
    );

    // Nothing more to do.
    let again = retention::run(&pool, &settings, now).await.unwrap();
    assert!(again.partitions_dropped.is_empty() && again.manifests.is_empty());
    assert_eq!((again.jobs_deleted, again.audit_deleted), (0, 0));
}

fn lines(path: &std::path::Path) -> Vec<String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).unwrap();
    std::io::BufReader::new(flate2_reader(file))
        .lines()
        .map(|l| l.unwrap())
        .collect()
}

/// The archives are gzip: read them as any tool would.
fn flate2_reader(file: std::fs::File) -> impl std::io::Read {
    let mut out = Vec::new();
    let status = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(file)
        .output()
        .expect("gzip");
    assert!(status.status.success());
    out.extend(status.stdout);
    std::io::Cursor::new(out)
}
