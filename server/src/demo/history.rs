//! The demo's order history: orders over the last 90 days across three warehouses (each with its
//! own WMS format) and four carriers (each with its own tracking format), with backorders,
//! substitutions, holds, failed deliveries, damage, returns, and messages that arrive late, out
//! of order and twice. Every message goes through the ingest pipeline the HTTP API uses, with the
//! time it would have arrived. The history is fixed by a seed and by today's date, so running the
//! demo again the same day stores nothing new (every message is a re-delivery).

use super::formats::{self as f, Line, Scan};
use crate::ingest::adapters::{self, Format};
use crate::ingest::connector::Connector;
use crate::ingest::pipeline::{self, Inbound};
use crate::ingest::setup::{create_connector, ConnectorSpec};
use crate::ingest::writer::Writer;
use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
        headers: json!({"content-type": m.content_type, "user-agent": "milepost-demo"}),
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

/// Every message one order's life produces, in the order they arrive.
fn order_messages(plan: &Plan, n: usize, start: DateTime<Utc>) -> Vec<Message> {
    let mut rng = StdRng::seed_from_u64(0x4d50_0000 + n as u64);
    let name = format!("S{:06}", 100_000 + n);
    let odoo_id = 100_000 + n as u32;
    // Half the orders are the demo account's, so its customer and manager have plenty to see.
    let partner = ACCOUNTS[[0usize, 0, 0, 1, 1, 2][rng.random_range(0..6)]].2;
    let lines: Vec<Line> = (0..rng.random_range(1..=4))
        .map(|i| {
            let (sku, title) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
            Line {
                line_ref: format!("{name}-{}", i + 1),
                sku,
                name: title,
                qty: rng.random_range(1..=6),
            }
        })
        .collect();
    let (warehouse, wms) = WAREHOUSES[rng.random_range(0..WAREHOUSES.len())];
    // The LTL carrier only serves the Chicago EDI warehouse; parcels go with the others.
    let (carrier, carrier_connector) = if warehouse == "CHI" && rng.random_bool(0.5) {
        CARRIERS[3]
    } else {
        CARRIERS[rng.random_range(0..3)]
    };
    let po = rng.random_bool(0.7).then(|| format!("PO-{}", 40_000 + n));
    let promise_ship = start + Duration::hours(30);
    let promise = start + Duration::days(rng.random_range(4..=7));
    let mut out = Vec::new();
    let upto = plan.now;

    // Odoo: the quotation, then the confirmation (sometimes the payload fires twice, as Odoo does).
    let confirmed = start + Duration::minutes(rng.random_range(5..90));
    let sale_order = f::SaleOrder {
        id: odoo_id,
        name: &name,
        partner_id: partner,
        po: po.as_deref(),
        ordered: start,
        promise,
        lines: &lines,
    };
    for (state, written) in [("draft", start), ("sale", confirmed)] {
        let body = f::odoo_sale_order(&sale_order, state, written);
        out.push(json_message(
            plan,
            "odoo",
            &body,
            written + Duration::seconds(1),
        ));
        if rng.random_bool(0.1) {
            out.push(json_message(
                plan,
                "odoo",
                &body,
                written + Duration::seconds(2),
            ));
        }
    }
    if rng.random_bool(0.01) {
        let cancelled = confirmed + Duration::minutes(20);
        let body = f::odoo_sale_order(&sale_order, "cancel", cancelled);
        out.push(json_message(plan, "odoo", &body, cancelled));
        return finish(out, upto);
    }
    // Milepost releases it to the warehouse.
    let released = confirmed + Duration::minutes(rng.random_range(1..30));
    let release = f::cloud_event(
        &format!("release-{name}"),
        "urn:milepost:release",
        "order.release_requested",
        &format!("order/{name}"),
        released,
        json!({
        "order": {"erp_order_id": name, "customer_po": po}, "warehouse": {"code": warehouse},
        "service": {"carrier": carrier, "service_level": if carrier == "NMTF" { "ltl" } else { "ground" }},
        "promises": {"ship_by": promise_ship.to_rfc3339(), "deliver_by": promise.to_rfc3339()},
        "lines": lines.iter().map(|l| json!({"line_ref": l.line_ref, "sku": l.sku, "qty": l.qty, "uom": "EA"})).collect::<Vec<_>>()}),
    );
    out.push(Message {
        connector: index(plan, "milepost-release"),
        body: release.to_string().into_bytes(),
        content_type: "application/cloudevents+json",
        arrives: released,
    });

    // The warehouse: allocate, pick, pack, dispatch; sometimes short with a backorder shipped later.
    let allocated = released + Duration::minutes(rng.random_range(10..240));
    let dispatched = allocated + Duration::hours(rng.random_range(2..30));
    let backorder = rng.random_bool(0.08) && lines.iter().any(|l| l.qty > 1);
    let substitute = !backorder && warehouse != "RNO" && rng.random_bool(0.03);
    let hold = warehouse == "NJ" && rng.random_bool(0.03);
    let short_line = backorder.then(|| {
        lines
            .iter()
            .position(|l| l.qty > 1)
            .expect("a line of more than one")
    });
    let first_qty = |i: usize, l: &Line| {
        if Some(i) == short_line {
            l.qty / 2
        } else {
            l.qty
        }
    };
    let tracking = tracking_number(carrier, n, 1);
    let zone_w = plan.connectors[index(plan, wms)]
        .origin
        .time_zone
        .unwrap_or(chrono_tz::UTC);
    match warehouse {
        "RNO" => {
            out.push(json_message(
                plan,
                wms,
                &f::shiphero_allocated(&name, odoo_id as u64, &lines, allocated, zone_w),
                allocated + Duration::seconds(3),
            ));
            out.push(json_message(
                plan,
                wms,
                &f::shiphero_packed(
                    &name,
                    odoo_id as u64,
                    dispatched - Duration::minutes(40),
                    zone_w,
                ),
                dispatched - Duration::minutes(39),
            ));
            let shipped: Vec<(Line, u32)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (l.clone(), first_qty(i, l)))
                .collect();
            out.push(json_message(
                plan,
                wms,
                &f::shiphero_shipment(
                    &f::Parcel {
                        order: &name,
                        shipment_id: odoo_id as u64 * 10,
                        tracking: &tracking,
                        carrier,
                        shipped: &shipped,
                        complete: !backorder,
                    },
                    dispatched,
                    zone_w,
                ),
                dispatched + Duration::seconds(5),
            ));
        }
        "CHI" => {
            let w12: Vec<(usize, &str, u32, u32, &str)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let code = if Some(i) == short_line {
                        "BP"
                    } else if substitute && i == 0 {
                        "IS"
                    } else {
                        "CC"
                    };
                    (i + 1, code, l.qty, first_qty(i, l), l.sku)
                })
                .collect();
            let set = f::x12_945(
                &name,
                po.as_deref().unwrap_or(""),
                &tracking,
                "NMTF",
                dispatched,
                zone_w,
                &w12,
            );
            let body = f::x12_interchange(
                "CHIWMS",
                "SW",
                100_000 + n as u32,
                dispatched,
                zone_w,
                &[("945", set)],
            );
            out.push(Message {
                connector: index(plan, wms),
                body: body.into_bytes(),
                content_type: "application/edi-x12",
                arrives: dispatched + Duration::minutes(15),
            });
        }
        _ => {
            let mut events = vec![
                f::wms_event(
                    &format!("{name}-ack"),
                    "order.acknowledged",
                    &name,
                    released + Duration::minutes(2),
                    zone_w,
                    json!({}),
                ),
                f::wms_event(
                    &format!("{name}-alloc"),
                    "order.allocated",
                    &name,
                    allocated,
                    zone_w,
                    json!({}),
                ),
            ];
            if hold {
                events.push(f::wms_event(
                    &format!("{name}-hold"),
                    "order.on_hold",
                    &name,
                    allocated + Duration::minutes(5),
                    zone_w,
                    json!({"reason": {"code": "address_check", "text": "address needs checking"}}),
                ));
                events.push(f::wms_event(
                    &format!("{name}-unhold"),
                    "order.hold_released",
                    &name,
                    allocated + Duration::hours(3),
                    zone_w,
                    json!({}),
                ));
            }
            out.push(json_message(
                plan,
                wms,
                &f::wms_contract(&format!("{name}-m1"), warehouse, events),
                allocated + Duration::minutes(1),
            ));
            let mut later = vec![
                f::wms_event(
                    &format!("{name}-pick"),
                    "order.pick_started",
                    &name,
                    dispatched - Duration::hours(2),
                    zone_w,
                    json!({}),
                ),
                f::wms_event(
                    &format!("{name}-picked"),
                    "order.picked",
                    &name,
                    dispatched - Duration::hours(1),
                    zone_w,
                    json!({}),
                ),
            ];
            if substitute {
                later.push(f::wms_event(&format!("{name}-sub"), "line.substituted", &name, dispatched - Duration::minutes(50), zone_w, json!({
                    "lines": [{"line_ref": format!("{}S", lines[0].line_ref), "sku": "MUG-GRN-12", "qty": lines[0].qty, "substitute_of": lines[0].line_ref}]})));
            }
            later.push(f::wms_event(&format!("{name}-packed"), "order.packed", &name, dispatched - Duration::minutes(30), zone_w, json!({"packages": [{"package_ref": format!("{tracking}-1"), "weight": {"value": 3.5, "unit": "LB"}}]})));
            let shipped: Vec<Value> = lines.iter().enumerate().map(|(i, l)| {
                let q = first_qty(i, l);
                let status = if Some(i) == short_line { "partial_backordered" } else if substitute && i == 0 { "substituted" } else { "complete" };
                json!({"line_ref": l.line_ref, "sku": l.sku, "qty_ordered": l.qty, "qty_shipped": q, "line_status": status})
            }).collect();
            later.push(f::wms_event(&format!("{name}-ship"), "shipment.dispatched", &name, dispatched, zone_w, json!({
                "shipment": {"carrier": carrier, "tracking_numbers": [tracking]}, "lines": shipped, "is_final": !backorder})));
            out.push(json_message(
                plan,
                wms,
                &f::wms_contract(&format!("{name}-m2"), warehouse, later),
                dispatched + Duration::minutes(2),
            ));
        }
    }
    let mut parcels = vec![(tracking.clone(), dispatched)];
    if let Some(i) = short_line {
        // The backordered rest ships a few days later, as a second parcel.
        let later = dispatched + Duration::days(rng.random_range(2..6));
        let second = tracking_number(carrier, n, 2);
        let l = &lines[i];
        match warehouse {
            "RNO" => out.push(json_message(
                plan,
                wms,
                &f::shiphero_shipment(
                    &f::Parcel {
                        order: &name,
                        shipment_id: odoo_id as u64 * 10 + 1,
                        tracking: &second,
                        carrier,
                        shipped: &[(l.clone(), l.qty - l.qty / 2)],
                        complete: true,
                    },
                    later,
                    zone_w,
                ),
                later + Duration::seconds(5),
            )),
            "CHI" => {
                let set = f::x12_945(
                    &name,
                    po.as_deref().unwrap_or(""),
                    &second,
                    "NMTF",
                    later,
                    zone_w,
                    &[(i + 1, "CC", l.qty - l.qty / 2, l.qty - l.qty / 2, l.sku)],
                );
                let body = f::x12_interchange(
                    "CHIWMS",
                    "SW",
                    500_000 + n as u32,
                    later,
                    zone_w,
                    &[("945", set)],
                );
                out.push(Message {
                    connector: index(plan, wms),
                    body: body.into_bytes(),
                    content_type: "application/edi-x12",
                    arrives: later + Duration::minutes(15),
                });
            }
            _ => {
                let event = f::wms_event(
                    &format!("{name}-ship2"),
                    "shipment.dispatched",
                    &name,
                    later,
                    zone_w,
                    json!({
                    "shipment": {"carrier": carrier, "tracking_numbers": [second]},
                    "lines": [{"line_ref": l.line_ref, "qty_shipped": l.qty - l.qty / 2, "line_status": "complete"}], "is_final": true}),
                );
                out.push(json_message(
                    plan,
                    wms,
                    &f::wms_contract(&format!("{name}-m3"), warehouse, vec![event]),
                    later + Duration::minutes(2),
                ));
            }
        }
        parcels.push((second, later));
    }

    // The carrier: scans reported as the aggregator reports them, some late, some twice.
    for (k, (tn, left)) in parcels.iter().enumerate() {
        let scans = scans(&mut rng, *left);
        let eta = *left + Duration::days(3);
        let mut reports: Vec<Message> = Vec::new();
        for upto_scan in 1..=scans.len() {
            let history = &scans[..upto_scan];
            let last = history.last().expect("non-empty").at;
            let arrives = last + Duration::minutes(rng.random_range(1..20));
            let body = match carrier_connector {
                "easypost" => f::easypost(&format!("evt_{tn}_{upto_scan}"), tn, history, eta),
                "shippo" => f::shippo(tn, history, eta),
                "aftership" => f::aftership(&format!("{tn}-{upto_scan}"), tn, &name, history),
                _ => {
                    let s = history.last().expect("non-empty");
                    let (code, reason) = match s.what {
                        "picked_up" => ("AF", "NS"),
                        "in_transit" => ("X6", "NS"),
                        "out_for_delivery" => ("X1", "NS"),
                        "attempt" => ("AH", "AG"),
                        "delivered" => ("D1", "NS"),
                        "damaged" => ("A9", "NS"),
                        _ => ("A3", "NS"),
                    };
                    let zone_c = zone("America/Chicago");
                    let set = f::x12_214(tn, tn, "NMTF", &name, &[(code, reason, s.at)], zone_c);
                    let body = f::x12_interchange(
                        "NMTF",
                        "QM",
                        (n * 40 + k * 20 + upto_scan) as u32,
                        s.at,
                        zone_c,
                        &[("214", set)],
                    );
                    reports.push(Message {
                        connector: index(plan, carrier_connector),
                        body: body.into_bytes(),
                        content_type: "application/edi-x12",
                        arrives,
                    });
                    continue;
                }
            };
            reports.push(json_message(plan, carrier_connector, &body, arrives));
        }
        // Some reports arrive after the next one (late, out of order); some arrive twice.
        if reports.len() > 2 && rng.random_bool(0.08) {
            let i = rng.random_range(0..reports.len() - 1);
            let later = reports[i + 1].arrives + Duration::minutes(rng.random_range(5..600));
            reports[i].arrives = later;
        }
        if !reports.is_empty() && rng.random_bool(0.05) {
            let i = rng.random_range(0..reports.len());
            let again = Message {
                connector: reports[i].connector,
                body: reports[i].body.clone(),
                content_type: reports[i].content_type,
                arrives: reports[i].arrives + Duration::minutes(30),
            };
            reports.push(again);
        }
        out.extend(reports);
    }
    finish(out, upto)
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
