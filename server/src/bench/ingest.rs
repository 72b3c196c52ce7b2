//! `milepost bench ingest`: in one run, on one machine, (a) single events over HTTP from
//! concurrent keep-alive clients, (b) batches of 1,000, and (c) the raw insert rate of the same
//! rows into a plain copy of the event table, committed per row and many rows per statement: the
//! physical limit the pipeline is compared with. Runs in a scratch database, dropped at the end.

use crate::cli::BenchIngest;
use crate::ingest::setup::{create_connector, create_key, ConnectorSpec};
use crate::settings::Settings;
use crate::startup::Application;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;

/// The life of one order, as the three kinds of system report it.
const STORY: &[(&str, &str)] = &[
    ("erp", "order.created"),
    ("erp", "order.confirmed"),
    ("erp", "order.release_requested"),
    ("wms", "order.allocated"),
    ("wms", "order.picked"),
    ("wms", "order.packed"),
    ("wms", "shipment.dispatched"),
    ("carrier", "shipment.in_transit"),
    ("carrier", "shipment.out_for_delivery"),
    ("carrier", "shipment.delivered"),
];

/// One canonical event of the story, for order `n`, step `step`.
fn event(run: &str, n: usize, step: usize) -> (usize, Value) {
    let (_, kind) = STORY[step];
    let order = format!("B{run}-{n:07}");
    let tn = format!("1ZB{run}{n:07}");
    let time =
        (Utc::now() - Duration::days(3) + Duration::minutes((step * 90) as i64)).to_rfc3339();
    let data = match kind {
        "order.created" => {
            json!({"order": {"erp_order_id": order, "customer_po": format!("PO-{n}")},
            "customer": {"name": "Bench Customer"},
            "lines": [{"line_ref": format!("{order}-1"), "sku": "SKU-1", "qty_ordered": 2, "uom": "EA"},
                      {"line_ref": format!("{order}-2"), "sku": "SKU-2", "qty_ordered": 1, "uom": "EA"}]})
        }
        "order.release_requested" => {
            json!({"order": {"erp_order_id": order}, "warehouse": {"code": "BENCH"},
            "service": {"carrier": "ups", "service_level": "ground"}})
        }
        "shipment.dispatched" => {
            json!({"order": {"erp_order_id": order}, "shipment": {"tracking_numbers": [tn]},
            "lines": [{"line_ref": format!("{order}-1"), "qty_shipped": 2, "line_status": "complete"},
                      {"line_ref": format!("{order}-2"), "qty_shipped": 1, "line_status": "complete"}], "is_final": true})
        }
        t if t.starts_with("shipment.") => json!({"tracking_number": tn}),
        _ => json!({"order": {"erp_order_id": order}}),
    };
    let subject = if kind.starts_with("shipment.") && kind != "shipment.dispatched" {
        format!("shipment/{tn}")
    } else {
        format!("order/{order}")
    };
    let kind_index = ["erp", "wms", "carrier"]
        .iter()
        .position(|k| *k == STORY[step].0)
        .expect("a known kind");
    (
        kind_index,
        json!({"specversion": "1.0", "id": format!("{order}-{step}"), "source": "urn:milepost:bench",
                        "type": kind, "subject": subject, "time": time, "data": data}),
    )
}

struct Target {
    base: String,
    keys: [String; 3],
}

pub async fn run(args: BenchIngest, settings: Settings) -> anyhow::Result<()> {
    super::in_scratch_database(&settings, |options| measure(&args, &settings, options)).await
}

async fn measure(
    args: &BenchIngest,
    settings: &Settings,
    options: PgConnectOptions,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        // The raw per-row insert uses one connection per HTTP client, as many as they are.
        .max_connections(settings.db.ingest_connections.max(args.clients as u32 + 4))
        .connect_with(options)
        .await?;
    crate::database::migrate(&pool).await?;
    let mut keys = Vec::new();
    for kind in ["erp", "wms", "carrier"] {
        let connector = format!("bench-{kind}");
        create_connector(
            &pool,
            &ConnectorSpec {
                name: &connector,
                kind,
                format: "canonical",
                types: vec![],
                time_zone: None,
                warehouse_code: None,
            },
        )
        .await?;
        keys.push(create_key(&pool, &connector, "bench").await?.key);
    }
    let mut app_settings = settings.clone();
    app_settings.listen_addr = "127.0.0.1:0".parse()?;
    // The benchmark measures the pipeline, not the rate limiter: one client at thousands of
    // requests a second is its whole point.
    app_settings.ingest_limits = crate::ingest::limits::IngestLimits {
        per_key_per_second: 1_000_000,
        per_addr_per_second: 1_000_000,
        burst: 1_000_000,
        ..Default::default()
    };
    let app = Application::build(&app_settings, pool.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        stopped.await.ok();
    }));
    let target = Arc::new(Target {
        base,
        keys: keys.try_into().map_err(|_| anyhow::anyhow!("three keys"))?,
    });

    println!("Milepost ingest benchmark: {} single events from {} clients, {} batches of 1,000, {} raw rows", args.singles, args.clients, args.batches, args.raw_rows);
    let singles = singles(&target, args.singles, args.clients).await?;
    let folded_singles = fold_all(&pool).await?;
    let batches = batches(&target, args.batches).await?;
    let folded_batches = fold_all(&pool).await?;
    let raw_single = raw_per_row(&pool, args.raw_rows, args.clients).await?;
    let raw_multi = raw_multi_row(&pool, args.raw_rows).await?;
    let _ = stop.send(());
    server.await??;

    println!();
    println!(
        "{:<44} {:>12} {:>9} {:>9}",
        "measure", "events/s", "p50 ms", "p99 ms"
    );
    println!(
        "{:<44} {:>12.0} {:>9.2} {:>9.2}",
        "(a) single events over HTTP", singles.rate, singles.p50, singles.p99
    );
    println!(
        "{:<44} {:>12.0}",
        "    then folded into orders by the projector", folded_singles
    );
    println!(
        "{:<44} {:>12.0} {:>9.2} {:>9.2}",
        "(b) batches of 1,000 over HTTP", batches.rate, batches.p50, batches.p99
    );
    println!(
        "{:<44} {:>12.0}",
        "    then folded into orders by the projector", folded_batches
    );
    println!(
        "{:<44} {:>12.0}",
        "(c) raw insert, commit per row", raw_single
    );
    println!(
        "{:<44} {:>12.0}",
        "(c) raw insert, 1,000 rows per statement", raw_multi
    );
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!();
    println!("single: {:.0}/s (target 1,500) {}; p99 {:.1} ms (target < 50) {}; {:.0}% of raw per-row (target 50%) {}",
        singles.rate, verdict(singles.rate >= 1500.0), singles.p99, verdict(singles.p99 < 50.0),
        100.0 * singles.rate / raw_single, verdict(singles.rate >= 0.5 * raw_single));
    println!(
        "batches: {:.0}/s (target 20,000) {}; {:.0}% of raw multi-row (target 25%) {}",
        batches.rate,
        verdict(batches.rate >= 20_000.0),
        100.0 * batches.rate / raw_multi,
        verdict(batches.rate >= 0.25 * raw_multi)
    );
    pool.close().await;
    Ok(())
}

/// Folds everything the ingest queued, as the workers would; returns events folded per second.
async fn fold_all(pool: &PgPool) -> anyhow::Result<f64> {
    let started = Instant::now();
    let folded = crate::projector::drain(pool).await?;
    Ok(folded as f64 / started.elapsed().as_secs_f64())
}

struct Measured {
    rate: f64,
    p50: f64,
    p99: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn measured(count: usize, elapsed: std::time::Duration, mut latencies: Vec<f64>) -> Measured {
    latencies.sort_by(|a, b| a.total_cmp(b));
    Measured {
        rate: count as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    }
}

/// Each client owns a share of the orders and tells each order's story in order, one event per
/// request, on one keep-alive connection. Bodies are built before the clock starts: the load
/// generator's own JSON work is not the system's.
async fn singles(target: &Arc<Target>, count: usize, clients: usize) -> anyhow::Result<Measured> {
    let orders = count.div_ceil(STORY.len());
    let stories: Arc<Vec<Vec<(usize, String)>>> = Arc::new(
        (1..=orders)
            .map(|n| {
                (0..STORY.len())
                    .map(|step| {
                        let (kind, body) = event("s", n, step);
                        (kind, body.to_string())
                    })
                    .collect()
            })
            .collect(),
    );
    let url = format!("{}/api/v1/events", target.base);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (target, next, stories, url) =
            (target.clone(), next.clone(), stories.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()?;
            let mut latencies = Vec::new();
            while let Some(story) = stories.get(next.fetch_add(1, Ordering::Relaxed)) {
                for (kind, body) in story {
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .bearer_auth(&target.keys[*kind])
                        .header("content-type", "application/cloudevents+json")
                        .body(body.clone())
                        .send()
                        .await?;
                    anyhow::ensure!(
                        response.status() == 202,
                        "single event refused: {}",
                        response.text().await?
                    );
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(measured(latencies.len(), started.elapsed(), latencies))
}

async fn next_batch(queue: &Mutex<Vec<(usize, String)>>) -> Option<(usize, String)> {
    let mut queue = queue.lock().await;
    (!queue.is_empty()).then(|| queue.remove(0))
}

/// Batches of 1,000 events of one kind of system (a batch comes from one sender), from two clients.
async fn batches(target: &Arc<Target>, count: usize) -> anyhow::Result<Measured> {
    // Per batch: 100 orders' events of one kind, kinds in story order so each order's facts arrive as in life.
    let mut bodies: Vec<(usize, String)> = Vec::new();
    let mut order = 0;
    while bodies.len() < count {
        for (kind, steps) in [(0usize, 0..3usize), (1, 3..7), (2, 7..10)] {
            let per_order = steps.len();
            let orders = 1000 / per_order;
            let events: Vec<Value> = (order..order + orders)
                .flat_map(|n| steps.clone().map(move |s| event("b", n, s).1))
                .collect();
            bodies.push((kind, Value::Array(events).to_string()));
        }
        order += 1000 / 3;
    }
    bodies.truncate(count);
    let total: usize = bodies
        .iter()
        .map(|(_, b)| {
            serde_json::from_str::<Vec<Value>>(b)
                .map(|v| v.len())
                .unwrap_or(0)
        })
        .sum();
    let queue = Arc::new(Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (target, queue) = (target.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut latencies = Vec::new();
            while let Some((kind, body)) = next_batch(&queue).await {
                let sent = Instant::now();
                let response = client
                    .post(format!("{}/api/v1/events", target.base))
                    .bearer_auth(&target.keys[kind])
                    .header("content-type", "application/cloudevents-batch+json")
                    .body(body)
                    .send()
                    .await?;
                anyhow::ensure!(
                    response.status() == 202,
                    "batch refused: {}",
                    response.text().await?
                );
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    Ok(measured(total, started.elapsed(), latencies))
}

async fn raw_table(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("drop table if exists bench_raw_event")
        .execute(pool)
        .await?;
    sqlx::query(
        "create table bench_raw_event (like event including defaults including constraints)",
    )
    .execute(pool)
    .await?;
    sqlx::query("alter table bench_raw_event add primary key (event_id, recorded_at)")
        .execute(pool)
        .await?;
    Ok(())
}

const RAW_INSERT: &str = r#"insert into bench_raw_event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id,
    type, subject, order_ref, tracking_number, occurred_at, occurred_offset_seconds, time_provenance, data, disposition)
    select gen_random_uuid(), now(), 1, 1, 'urn:milepost:bench', x.id, 'order.picked', x.subject, x.order_ref, null, now(), 0,
           'given', x.data, 'applied'
    from unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) as x(id, subject, order_ref, data)"#;

fn raw_rows(from: usize, count: usize) -> (Vec<String>, Vec<String>, Vec<String>, Vec<Value>) {
    let mut cols = (vec![], vec![], vec![], vec![]);
    for n in from..from + count {
        let (_, e) = event("r", n / STORY.len(), n % STORY.len());
        cols.0.push(format!("raw-{n}"));
        cols.1
            .push(e["subject"].as_str().unwrap_or_default().to_string());
        cols.2.push(format!("R-{n}"));
        cols.3.push(e["data"].clone());
    }
    cols
}

/// One row per transaction from as many connections as HTTP clients: the commit-bound limit.
/// Rows are built before the clock starts, as the single events' bodies are.
async fn raw_per_row(pool: &PgPool, rows: usize, clients: usize) -> anyhow::Result<f64> {
    raw_table(pool).await?;
    let prepared: Arc<Vec<_>> = Arc::new((0..rows).map(|n| raw_rows(n, 1)).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (pool, next, prepared) = (pool.clone(), next.clone(), prepared.clone());
        tasks.push(tokio::spawn(async move {
            while let Some((ids, subjects, orders, data)) =
                prepared.get(next.fetch_add(1, Ordering::Relaxed))
            {
                sqlx::query(RAW_INSERT)
                    .bind(ids)
                    .bind(subjects)
                    .bind(orders)
                    .bind(data)
                    .execute(&pool)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}

/// 1,000 rows per statement and transaction, from two connections as the batches use; rows
/// built before the clock starts.
async fn raw_multi_row(pool: &PgPool, rows: usize) -> anyhow::Result<f64> {
    raw_table(pool).await?;
    let chunks: Vec<_> = (0..rows)
        .step_by(1000)
        .map(|from| raw_rows(from, 1000.min(rows - from)))
        .collect();
    let queue = Arc::new(Mutex::new(chunks));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (pool, queue) = (pool.clone(), queue.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((ids, subjects, orders, data)) = queue.lock().await.pop() else {
                    break;
                };
                sqlx::query(RAW_INSERT)
                    .bind(ids)
                    .bind(subjects)
                    .bind(orders)
                    .bind(data)
                    .execute(&pool)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}
