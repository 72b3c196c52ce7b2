//! Scale-out on one machine: a PostgreSQL primary and a streaming hot standby made by the test
//! (`pg_basebackup`), two `milepost serve --no-workers` and two `milepost worker` processes.
//! The read-heavy pages read from the standby while its lag is within the bound and from the
//! primary when it falls behind; release jobs are shared by the workers, none run twice and none
//! lost, the partner's concurrency limit holds across both; a worker killed with SIGKILL in the
//! middle loses nothing (its attempts are taken up when their lease runs out).

use crate::support;
use app::domain::Role;
use serde_json::json;
use server::connectors::outbound::WMS_TOKEN;
use server::connectors::wms::release::{Action, Instruction};
use server::ingest::setup::{create_connector, ConnectorSpec};
use server::jobs::SendInstructionToWms;
use server::pg::{ClusterOptions, EmbeddedPostgres, DATABASE};
use server::simulators::wms::WmsStandIn;
use server::store::jobs::queue::{self, NewJob};
use sqlx::PgPool;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const QUEUE: &str = "wms:scale-wms";
const CONCURRENCY: usize = 2;

struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn milepost(args: &[&str], env: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_milepost"));
    cmd.args(args)
        .env("MILEPOST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

async fn enqueue(pool: &PgPool, from: usize, count: usize) {
    let jobs: Vec<NewJob> = (from..from + count)
        .map(|n| {
            let order = format!("S{n:05}");
            let release = Instruction {
                instruction_id: format!("rel-{order}"),
                action: Action::Release,
                order_ref: order.clone(),
                order: json!({"lines": [{"line_ref": format!("{order}-1"), "sku": "E-COM08", "qty": 1, "uom": "EA"}]}),
            };
            NewJob::new(QUEUE, &SendInstructionToWms(release)).ordered_by(order)
        })
        .collect();
    let mut conn = pool.acquire().await.unwrap();
    queue::enqueue_many(&mut conn, &jobs).await.unwrap();
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// `milepost_page_reads_total` by database, from a web process's `/metrics`.
async fn page_reads(http: &reqwest::Client, web: &str) -> (f64, f64) {
    let text = http
        .get(format!("{web}/metrics"))
        .bearer_auth("scale-token")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let read = |db: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("milepost_page_reads_total{{db=\"{db}\"}}")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (read("primary"), read("replica"))
}

async fn open_dashboard(http: &reqwest::Client, web: &str) {
    let res = http.get(format!("{web}/dashboard")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains("Dashboard"), "{body}");
}

#[tokio::test]
async fn two_web_and_two_worker_processes_read_from_the_replica_share_jobs_and_survive_a_kill() {
    let dir = tempfile::Builder::new()
        .prefix("milepost-scale-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let primary = EmbeddedPostgres::start_or_reuse(
        &dir.path().join("primary"),
        ClusterOptions {
            bin_dir: None,
            unsafe_fast: true,
        },
    )
    .await
    .unwrap();
    primary.ensure_database(DATABASE).await.unwrap();
    let pool = PgPool::connect(&primary.url(DATABASE)).await.unwrap();
    server::database::migrate(&pool).await.unwrap();
    let standby = primary.start_standby(&dir.path().join("standby")).unwrap();

    // A warehouse that takes 30 ms per instruction and allows 2 at a time.
    let wms = WmsStandIn::start("scale-token", None).await.unwrap();
    wms.with(|w| w.latency = Duration::from_millis(30));
    create_connector(
        &pool,
        &ConnectorSpec {
            name: "scale-wms",
            kind: "wms",
            format: "milepost_wms",
            types: vec![],
            time_zone: None,
            warehouse_code: Some("SCL"),
        },
    )
    .await
    .unwrap();
    server::store::connectors::set_outbound(
        &pool,
        "scale-wms",
        Some(&json!({"system": "wms", "url": wms.url, "concurrency": CONCURRENCY, "allow_private_network": true})),
        &json!({ WMS_TOKEN: "scale-token" }),
    )
    .await
    .unwrap()
    .unwrap();
    app::services::users::create(
        &pool,
        app::services::users::NewUser {
            email: "admin@scale.test".into(),
            display_name: Some("Admin".into()),
            role: Role::Admin,
            account_codes: vec![],
            password: support::PASSWORD.to_string().into(),
        },
        None,
    )
    .await
    .unwrap();

    let common = vec![
        ("DATABASE_URL", primary.url(DATABASE)),
        ("MILEPOST_REPLICA_URL", standby.url(DATABASE)),
        ("MILEPOST_REPLICA_MAX_LAG_SECONDS", "2".to_string()),
        ("MILEPOST_METRICS_TOKEN", "scale-token".to_string()),
        ("MILEPOST_JOB_LEASE_SECONDS", "3".to_string()),
    ];
    let with = |extra: &[(&'static str, String)]| {
        let mut env = common.clone();
        env.extend_from_slice(extra);
        env
    };
    let webs: Vec<String> = (0..2)
        .map(|_| format!("http://127.0.0.1:{}", support::free_port()))
        .collect();
    let mut processes = Processes(Vec::new());
    for web in &webs {
        let addr = web.trim_start_matches("http://").to_string();
        processes.0.push(milepost(
            &["serve", "--no-workers"],
            &with(&[
                ("MILEPOST_LISTEN_ADDR", addr),
                ("MILEPOST_PUBLIC_URL", web.clone()),
            ]),
        ));
    }
    for _ in 0..2 {
        processes.0.push(milepost(&["worker"], &with(&[])));
    }
    for web in &webs {
        assert!(
            support::wait_for(&format!("{web}/readyz")).await,
            "{web} did not start"
        );
    }

    // Pages: signed in on one web process, read on both; the dashboard comes from the standby.
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for web in &webs {
        let res = http
            .post(format!("{web}/fn/auth/login"))
            .header("origin", web.as_str())
            .header("accept", "application/json")
            .form(&[
                ("email", "admin@scale.test"),
                ("password", support::PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        support::eventually(10, "the replica to be fresh", || async {
            let before = page_reads(&http, web).await;
            open_dashboard(&http, web).await;
            page_reads(&http, web).await.1 > before.1
        })
        .await;
    }

    // Jobs: 300 releases shared by two workers, then 300 more with one worker killed midway.
    enqueue(&pool, 0, 300).await;
    support::eventually(120, "the first 300 releases", || async {
        count(&pool, "select count(*) from job where state = 'succeeded'").await == 300
    })
    .await;
    enqueue(&pool, 300, 300).await;
    support::eventually(60, "the second batch under way", || async {
        count(&pool, "select count(*) from job where state = 'succeeded'").await >= 360
    })
    .await;
    let mut killed = processes.0.remove(2);
    killed.kill().unwrap(); // SIGKILL: no shutdown, attempts cut off mid-flight
    killed.wait().unwrap();
    support::eventually(120, "every release after the kill", || async {
        count(&pool, "select count(*) from job where state = 'succeeded'").await == 600
    })
    .await;
    let mut ids: Vec<String> = wms.with(|w| {
        w.accepted
            .iter()
            .map(|i| i["instruction_id"].as_str().unwrap().to_string())
            .collect()
    });
    assert_eq!(
        ids.len(),
        600,
        "each instruction accepted once (a repeat is answered 409)"
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 600, "none lost");
    assert_eq!(
        count(&pool, "select count(*) from job where state <> 'succeeded'").await,
        0
    );
    let most = wms.with(|w| w.most_in_flight);
    assert!(
        most <= CONCURRENCY,
        "the partner saw {most} requests at once; its limit is {CONCURRENCY}"
    );

    // The standby falls behind (replay paused while the primary writes): pages read the primary.
    let admin = PgPool::connect(&standby.admin_url(DATABASE)).await.unwrap();
    sqlx::query("select pg_wal_replay_pause()")
        .execute(&admin)
        .await
        .unwrap();
    enqueue(&pool, 600, 10).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let web = &webs[1];
    let before = page_reads(&http, web).await;
    open_dashboard(&http, web).await;
    let after = page_reads(&http, web).await;
    assert_eq!(after.1, before.1, "not from a standby 4 s behind");
    assert!(after.0 > before.0, "from the primary instead");
    sqlx::query("select pg_wal_replay_resume()")
        .execute(&admin)
        .await
        .unwrap();
    support::eventually(10, "back on the replica once it caught up", || async {
        let before = page_reads(&http, web).await;
        open_dashboard(&http, web).await;
        page_reads(&http, web).await.1 > before.1
    })
    .await;

    drop(processes);
    admin.close().await;
    pool.close().await;
    standby.stop().unwrap();
    primary.stop().await.unwrap();
}
