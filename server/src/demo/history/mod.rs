//! The demo's order history: orders over the last 90 days across three warehouses (each with its
//! own WMS format) and four carriers (each with its own tracking format), with backorders,
//! substitutions, holds, failed deliveries, damage, returns, and messages that arrive late, out
//! of order and twice. Every message goes through the ingest pipeline the HTTP API uses, with the
//! time it would have arrived. The history is fixed by a seed and by today's date, so running the
//! demo again the same day stores nothing new (every message is a re-delivery).

mod carrier;
mod erp;
mod story;
mod warehouse;

use super::formats::Scan;
use crate::ingest::adapters::{self, Format};
use crate::ingest::connector::Connector;
use crate::ingest::pipeline::{self, Inbound};
use crate::ingest::setup::{create_connector, ConnectorSpec};
use crate::ingest::writer::Writer;
use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use story::Story;
use warehouse::Fulfilment;

/// The demo's customers: (code, name, Odoo partner id).
pub const ACCOUNTS: &[(&str, &str, u32)] = &[
    ("DEMO", "Demo Retail Co", 101),
    ("NWND", "Northwind Traders", 102),
    ("GLBX", "Globex Outdoor", 103),
];

const PRODUCTS: &[(&str, &str)] = &[
    ("MUG-BLU-12", "Blue mug 12oz"),
    ("MUG-RED-12", "Red mug 12oz"),
    ("TEE-BLK-M", "Black tee M"),
    ("TEE-WHT-L", "White tee L"),
    ("DESK-STD", "Standing desk"),
    ("LAMP-LED", "LED desk lamp"),
    ("BOTTLE-1L", "Water bottle 1L"),
    ("BAG-TOTE", "Canvas tote"),
];

/// (connector, kind, format, zone, warehouse)
const CONNECTORS: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("odoo", "erp", "odoo", "UTC", None),
    ("milepost-release", "erp", "canonical", "UTC", None),
    (
        "shiphero-rno",
        "wms",
        "shiphero",
        "America/Los_Angeles",
        Some("RNO"),
    ),
    ("edi-chi", "wms", "x12", "America/Chicago", Some("CHI")),
    (
        "wms-nj",
        "wms",
        "milepost_wms",
        "America/New_York",
        Some("NJ"),
    ),
    ("easypost", "carrier", "easypost", "UTC", None),
    ("shippo", "carrier", "shippo", "UTC", None),
    ("aftership", "carrier", "aftership", "UTC", None),
    ("edi-ltl", "carrier", "x12", "America/Chicago", None),
];

/// Carriers: (name as the order names it, connector).
const CARRIERS: &[(&str, &str)] = &[
    ("UPS", "easypost"),
    ("USPS", "shippo"),
    ("FedEx", "aftership"),
    ("NMTF", "edi-ltl"),
];
const WAREHOUSES: &[(&str, &str)] = &[
    ("RNO", "shiphero-rno"),
    ("CHI", "edi-chi"),
    ("NJ", "wms-nj"),
];

#[derive(Default)]
pub struct Stats {
    pub messages: AtomicUsize,
    pub accepted: AtomicUsize,
    pub duplicates: AtomicUsize,
    pub redeliveries: AtomicUsize,
}

/// One message as it would arrive.
struct Message {
    connector: usize,
    body: Vec<u8>,
    content_type: &'static str,
    arrives: DateTime<Utc>,
}

struct Plan {
    now: DateTime<Utc>,
    connectors: Vec<Connector>,
}

pub async fn ensure_setup(pool: &PgPool) -> anyhow::Result<Vec<Connector>> {
    for (code, name, partner) in ACCOUNTS {
        let account = match app::store::accounts::find_by_code(pool, code).await? {
            Some(a) => a.account_id,
            None => app::store::accounts::insert(pool, code, name).await?,
        };
        app::store::accounts::map_external_ref(pool, "odoo", &partner.to_string(), account).await?;
    }
    let mut connectors = Vec::new();
    for (name, kind, format, zone, warehouse) in CONNECTORS {
        if crate::store::connectors::find_by_name(pool, name)
            .await?
            .is_none()
        {
            create_connector(
                pool,
                &ConnectorSpec {
                    name,
                    kind,
                    format,
                    types: vec![],
                    time_zone: Some(zone),
                    warehouse_code: *warehouse,
                },
            )
            .await?;
        }
        let record = crate::store::connectors::find_by_name(pool, name)
            .await?
            .context("the connector just made")?;
        connectors.push(Connector::try_from(record)?);
    }
    Ok(connectors)
}

/// Generates `orders` orders over the last `days` days and feeds them through the pipeline with
/// `workers` orders in flight at once.
pub async fn generate(
    pool: &PgPool,
    orders: usize,
    days: i64,
    workers: usize,
) -> anyhow::Result<Arc<Stats>> {
    let connectors = ensure_setup(pool).await?;
    let now = Utc::now().duration_trunc(Duration::days(1))?;
    let plan = Arc::new(Plan { now, connectors });
    let stats = Arc::new(Stats::default());
    let next = Arc::new(AtomicUsize::new(0));
    let writer = Writer::start(pool.clone());
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let (writer, plan, stats, next) =
            (writer.clone(), plan.clone(), stats.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= orders {
                    return anyhow::Ok(());
                }
                let start = plan.now - Duration::days(days)
                    + Duration::seconds((days * 86_400) * n as i64 / orders as i64);
                let messages = order_messages(&plan, n, start);
                for m in messages {
                    feed(&writer, &plan, m, &stats).await?;
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(stats)
}

async fn feed(writer: &Writer, plan: &Plan, m: Message, stats: &Stats) -> anyhow::Result<()> {
    let connector = &plan.connectors[m.connector];
    let parsed = if connector.format == Format::Canonical {
        adapters::canonical::parse_message(&m.body, adapters::canonical::BATCH_LIMIT)
    } else {
        adapters::parse(connector.format, &connector.origin, &m.body)
    };
    let inbound = Inbound {
        connector,
        body: &m.body,
        content_type: Some(m.content_type),
        // As a sender without one of its own would get from intake: a correlation id per message.
        headers: json!({"content-type": m.content_type, "user-agent": "milepost-demo",
                        "x-correlation-id": uuid::Uuid::new_v4().to_string()}),
        header_message_id: None,
        received_at: m.arrives,
    };
    let receipt = pipeline::ingest(writer, &inbound, parsed)
        .await
        .with_context(|| {
            format!(
                "demo message to {} refused: {}",
                connector.name,
                String::from_utf8_lossy(&m.body)
            )
        })?;
    stats.messages.fetch_add(1, Ordering::Relaxed);
    stats
        .accepted
        .fetch_add(receipt.accepted, Ordering::Relaxed);
    stats
        .duplicates
        .fetch_add(receipt.duplicates, Ordering::Relaxed);
    stats
        .redeliveries
        .fetch_add(receipt.redelivery as usize, Ordering::Relaxed);
    Ok(())
}

fn index(plan: &Plan, name: &str) -> usize {
    plan.connectors
        .iter()
        .position(|c| c.name == name)
        .expect("a demo connector")
}

fn json_message(plan: &Plan, connector: &str, body: &Value, arrives: DateTime<Utc>) -> Message {
    Message {
        connector: index(plan, connector),
        body: body.to_string().into_bytes(),
        content_type: "application/json",
        arrives,
    }
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// Every message one order's life produces, in the order they arrive: the ERP's, the
/// warehouse's (in its WMS's format), then the carrier's for each parcel. Which scenarios play
/// out is drawn in `Story::draw` and `Fulfilment::draw`.
fn order_messages(plan: &Plan, n: usize, start: DateTime<Utc>) -> Vec<Message> {
    let mut story = Story::draw(n, start);
    let mut out = Vec::new();
    let Some(confirmed) = erp::sale_order(plan, &mut story, &mut out) else {
        return finish(out, plan.now);
    };
    let released = erp::release(plan, &mut story, confirmed, &mut out);
    let w = Fulfilment::draw(plan, &mut story, released);
    match story.warehouse {
        "RNO" => warehouse::shiphero(plan, &story, &w, &mut out),
        "CHI" => warehouse::edi_945(plan, &story, &w, &mut out),
        _ => warehouse::contract(plan, &story, &w, &mut out),
    }
    let mut parcels = vec![(w.tracking.clone(), w.dispatched)];
    parcels.extend(warehouse::backorder(plan, &mut story, &w, &mut out));
    for (k, (tracking, left)) in parcels.iter().enumerate() {
        carrier::parcel_reports(plan, &mut story, k, tracking, *left, &mut out);
    }
    finish(out, plan.now)
}

/// Only what has arrived by now, in arrival order.
fn finish(mut out: Vec<Message>, now: DateTime<Utc>) -> Vec<Message> {
    out.retain(|m| m.arrives <= now);
    out.sort_by_key(|m| m.arrives);
    out
}

fn tracking_number(carrier: &str, n: usize, k: usize) -> String {
    match carrier {
        "UPS" => format!("1Z{:08}{k}{:06}", n, 999),
        "USPS" => format!("9400{:012}{k}", n),
        "FedEx" => format!("77{:010}{k}", n),
        _ => format!("PRO{:08}{k}", n),
    }
}

/// A parcel's scans from the hour it left: most are delivered in one to four days; some see a
/// failed attempt first, a few are damaged or returned.
fn scans(rng: &mut StdRng, left: DateTime<Utc>) -> Vec<Scan> {
    let mut t = left + Duration::hours(rng.random_range(2..8));
    let mut s = vec![Scan {
        at: t,
        what: "picked_up",
    }];
    t += Duration::hours(rng.random_range(6..30));
    s.push(Scan {
        at: t,
        what: "in_transit",
    });
    let fate: f64 = rng.random();
    if fate < 0.02 {
        s.push(Scan {
            at: t + Duration::hours(20),
            what: "damaged",
        });
        return s;
    }
    if fate < 0.025 {
        s.push(Scan {
            at: t + Duration::days(2),
            what: "returned",
        });
        return s;
    }
    t += Duration::hours(rng.random_range(12..60));
    s.push(Scan {
        at: t,
        what: "out_for_delivery",
    });
    if fate < 0.09 {
        s.push(Scan {
            at: t + Duration::hours(6),
            what: "attempt",
        });
        t += Duration::days(1);
        s.push(Scan {
            at: t,
            what: "out_for_delivery",
        });
    }
    let delivered = t + Duration::hours(rng.random_range(2..9));
    s.push(Scan {
        at: delivered,
        what: "delivered",
    });
    if rng.random_bool(0.03) {
        // A stale hub scan reported after delivery: stored, superseded, never moves it back.
        s.push(Scan {
            at: delivered + Duration::hours(3),
            what: "in_transit",
        });
    }
    s
}
