//! `milepost bench release`: how fast release instructions reach a fast stand-in WMS through the
//! real sync engine (runner, breaker, HTTP client), and how long a backlog takes to drain after
//! an outage ends. Every instruction is counted at the stand-in: none may be lost or arrive twice.
//!
//! 1. Throughput: `--jobs` release jobs enqueued at once (distinct orders), the engine started,
//!    timed until every job has succeeded.
//! 2. Drain: the WMS down, `--jobs` more enqueued while the engine runs (the breaker opens and
//!    only probes), then the WMS back; timed from its return until the backlog is empty, with
//!    the production retry and breaker settings (the wait for the next probe included).

use crate::cli::BenchRelease;
use crate::connectors::outbound::WMS_TOKEN;
use crate::connectors::wms::release::{Action, Instruction};
use crate::ingest::reads::ReadIntake;
use crate::ingest::setup::{create_connector, ConnectorSpec};
use crate::ingest::writer::Writer;
use crate::jobs::SendInstructionToWms;
use crate::settings::Settings;
use crate::simulators::wms::WmsStandIn;
use crate::store::connectors;
use crate::store::jobs::circuits;
use crate::store::jobs::queue::{self as jobs, NewJob};
use crate::sync::engine::{self, EngineSettings};
use anyhow::Context;
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Jobs per second the release path must sustain.
const TARGET_PER_SECOND: f64 = 500.0;

pub async fn run(args: BenchRelease, settings: Settings) -> anyhow::Result<()> {
    super::in_scratch_database(&settings, |options| measure(&args, options)).await
}

async fn enqueue(pool: &PgPool, queue: &str, from: usize, count: usize) -> anyhow::Result<()> {
    let batch: Vec<NewJob> = (from..from + count)
        .map(|n| {
            let order = format!("B{n:07}");
            let release = Instruction {
                instruction_id: format!("rel-{order}"),
                action: Action::Release,
                order_ref: order.clone(),
                order: json!({"lines": [{"line_ref": format!("{order}-1"), "sku": "E-COM08", "qty": 2, "uom": "EA"}]}),
            };
            NewJob::new(queue, &SendInstructionToWms(release)).ordered_by(order)
        })
        .collect();
    let mut conn = pool.acquire().await?;
    for chunk in batch.chunks(2_000) {
        jobs::enqueue_many(&mut conn, chunk).await?;
    }
    Ok(())
}

async fn open_jobs(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "select count(*) from job where state in ('pending', 'running', 'failed')",
    )
    .fetch_one(pool)
    .await?)
}

/// Waits until no job is open; returns how long it took.
async fn until_drained(pool: &PgPool, limit: Duration) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while open_jobs(pool).await? > 0 {
        anyhow::ensure!(started.elapsed() < limit, "jobs still open after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(started.elapsed())
}

async fn measure(args: &BenchRelease, options: PgConnectOptions) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(args.concurrency as u32 + 8)
        .connect_with(options)
        .await?;
    crate::database::migrate(&pool).await?;
    let wms = WmsStandIn::start("bench-token", None).await?;
    create_connector(
        &pool,
        &ConnectorSpec {
            name: "bench-wms",
            kind: "wms",
            format: "milepost_wms",
            types: vec![],
            time_zone: None,
            warehouse_code: Some("BEN"),
        },
    )
    .await?;
    connectors::set_outbound(
        &pool,
        "bench-wms",
        Some(&json!({"system": "wms", "url": wms.url, "concurrency": args.concurrency, "allow_private_network": true})),
        &json!({ WMS_TOKEN: "bench-token" }),
    )
    .await?
    .context("the bench connector")?;
    let queue = "wms:bench-wms";
    let stop = CancellationToken::new();
    let engine = tokio::spawn(engine::supervise(
        pool.clone(),
        Arc::new(ReadIntake::new(Writer::start(pool.clone()))),
        EngineSettings::default(),
        stop.clone(),
    ));
    let limit = Duration::from_secs(600);

    println!(
        "release throughput: {} jobs, {} at a time, to a stand-in WMS",
        args.jobs, args.concurrency
    );
    let started = Instant::now();
    enqueue(&pool, queue, 0, args.jobs).await?;
    until_drained(&pool, limit).await?;
    let took = started.elapsed();
    let rate = args.jobs as f64 / took.as_secs_f64();
    println!(
        "  {:.0} jobs/s ({:.2} s); target {TARGET_PER_SECOND:.0}/s: {}",
        rate,
        took.as_secs_f64(),
        if rate >= TARGET_PER_SECOND {
            "met"
        } else {
            "not met"
        }
    );

    println!(
        "drain after an outage: {} jobs queued while the WMS is down",
        args.jobs
    );
    wms.with(|w| w.down = true);
    enqueue(&pool, queue, args.jobs, args.jobs).await?;
    tokio::time::sleep(Duration::from_secs(args.outage_seconds)).await;
    let circuit = circuits::circuit(&pool, queue).await?;
    wms.with(|w| w.down = false);
    let back = Instant::now();
    let drained = until_drained(&pool, limit).await?;
    println!(
        "  breaker {} during the outage; drained {} jobs {:.2} s after the WMS returned ({:.0} jobs/s including the wait for the probe)",
        circuit.state,
        args.jobs,
        drained.as_secs_f64(),
        args.jobs as f64 / back.elapsed().as_secs_f64()
    );
    stop.cancel();
    engine.await??;

    // Scale-out: the same load taken by one engine, then by two (each with its own pool, as two
    // `milepost worker` processes would be), the partner's concurrency shared between them.
    println!(
        "workers: {} more jobs with one engine, then {} with two",
        args.jobs, args.jobs
    );
    let mut from = 2 * args.jobs;
    for engines in [1usize, 2] {
        let stop = CancellationToken::new();
        let mut running = Vec::new();
        for _ in 0..engines {
            let own = PgPoolOptions::new()
                .max_connections(args.concurrency as u32 + 8)
                .connect_with(pool.connect_options().as_ref().clone())
                .await?;
            running.push(tokio::spawn(engine::supervise(
                own.clone(),
                Arc::new(ReadIntake::new(Writer::start(own))),
                EngineSettings::default(),
                stop.clone(),
            )));
        }
        wms.with(|w| w.most_in_flight = 0);
        let started = Instant::now();
        enqueue(&pool, queue, from, args.jobs).await?;
        until_drained(&pool, limit).await?;
        let took = started.elapsed();
        println!(
            "  {engines} worker(s): {:.0} jobs/s ({:.2} s), at most {} in flight at the WMS",
            args.jobs as f64 / took.as_secs_f64(),
            took.as_secs_f64(),
            wms.with(|w| w.most_in_flight)
        );
        stop.cancel();
        for r in running {
            r.await??;
        }
        from += args.jobs;
    }

    let (accepted, requests, dead): (usize, usize, i64) = (
        wms.with(|w| w.accepted.len()),
        wms.with(|w| w.requests),
        sqlx::query_scalar("select count(*) from job where state = 'dead'")
            .fetch_one(&pool)
            .await?,
    );
    let mut ids: Vec<String> = wms.with(|w| {
        w.accepted
            .iter()
            .map(|i| i["instruction_id"].as_str().unwrap_or_default().to_string())
            .collect()
    });
    ids.sort();
    ids.dedup();
    let expected = 4 * args.jobs;
    println!(
        "  at the stand-in: {accepted} accepted of {expected} sent, {} distinct, {dead} dead; {requests} requests (refusals while down included)",
        ids.len()
    );
    anyhow::ensure!(
        accepted == expected && ids.len() == expected && dead == 0,
        "instructions were lost or duplicated"
    );
    println!("  none lost, none duplicated");
    Ok(())
}
