//! One order's story as the demo tells it: everything drawn at random about the order (its
//! customer, lines, warehouse, carrier and promises), then the scenarios that turn it into the
//! messages each system would send, in order: the ERP's (`erp.rs`), the warehouse's
//! (`warehouse.rs`) and the carrier's (`carrier.rs`). Every draw comes from the order's own
//! seeded generator, in a fixed order, so the history is the same every time.

use super::{Plan, ACCOUNTS, CARRIERS, PRODUCTS, WAREHOUSES};
use crate::demo::formats::Line;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What is drawn about an order before any message is written.
pub(super) struct Story {
    pub rng: StdRng,
    pub n: usize,
    /// The order's name in Odoo, e.g. `S100042`.
    pub name: String,
    pub odoo_id: u32,
    pub partner: u32,
    pub lines: Vec<Line>,
    pub warehouse: &'static str,
    /// The connector of the warehouse's WMS.
    pub wms: &'static str,
    pub carrier: &'static str,
    pub carrier_connector: &'static str,
    pub po: Option<String>,
    pub start: DateTime<Utc>,
    pub promise_ship: DateTime<Utc>,
    pub promise: DateTime<Utc>,
}

impl Story {
    pub fn draw(n: usize, start: DateTime<Utc>) -> Story {
        let mut rng = StdRng::seed_from_u64(0x4d50_0000 + n as u64);
        let name = format!("S{:06}", 100_000 + n);
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
        let promise = start + Duration::days(rng.random_range(4..=7));
        Story {
            rng,
            n,
            odoo_id: 100_000 + n as u32,
            name,
            partner,
            lines,
            warehouse,
            wms,
            carrier,
            carrier_connector,
            po,
            start,
            promise_ship: start + Duration::hours(30),
            promise,
        }
    }

    /// The warehouse's time zone (its connector's).
    pub fn warehouse_zone(&self, plan: &Plan) -> chrono_tz::Tz {
        plan.connectors[super::index(plan, self.wms)]
            .origin
            .time_zone
            .unwrap_or(chrono_tz::UTC)
    }
}
