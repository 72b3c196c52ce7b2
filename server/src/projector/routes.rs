//! Where each system is reached: the queues of the connectors Milepost calls, by ERP connector
//! (write-backs go to the Odoo an order came from) and by warehouse (releases go to the WMS of
//! the order's warehouse). Built from the connectors' outbound settings at each run.

use crate::connectors::outbound::{Endpoint, Target};
use std::collections::HashMap;

/// Where each system is reached: the queues of the connectors Milepost calls.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    /// An ERP connector's id → its Odoo queue (write-backs go to the ERP the order came from).
    erp: HashMap<i64, String>,
    /// A warehouse code → its WMS queue.
    wms_by_warehouse: HashMap<String, String>,
    /// The one WMS Milepost calls, when there is exactly one: orders naming no warehouse go there.
    only_wms: Option<String>,
    /// Every Odoo queue, and whether it applies inventory differences.
    inventory: Vec<(String, bool)>,
    /// Milepost calls at least one WMS: it releases orders.
    releases: bool,
}

impl Routes {
    pub fn new(endpoints: &[Endpoint]) -> Self {
        let mut routes = Routes::default();
        let mut wms = Vec::new();
        for e in endpoints {
            match &e.target {
                Target::Odoo {
                    apply_inventory, ..
                } => {
                    routes.erp.insert(e.connector_id, e.queue());
                    routes.inventory.push((e.queue(), *apply_inventory));
                }
                Target::Wms(_) | Target::WmsFolder(_) => {
                    if let Some(code) = &e.warehouse_code {
                        routes.wms_by_warehouse.insert(code.clone(), e.queue());
                    }
                    wms.push(e.queue());
                }
            }
        }
        routes.releases = !wms.is_empty();
        if wms.len() == 1 {
            routes.only_wms = wms.pop();
        }
        routes
    }

    pub fn is_empty(&self) -> bool {
        self.erp.is_empty() && self.wms_by_warehouse.is_empty() && self.only_wms.is_none()
    }

    /// The WMS queue of a warehouse; the only WMS when the order names none (or no warehouse
    /// has its own).
    pub fn wms_for(&self, warehouse: Option<&str>) -> Option<&String> {
        match warehouse {
            Some(code) => self.wms_by_warehouse.get(code).or(self
                .only_wms
                .as_ref()
                .filter(|_| self.wms_by_warehouse.is_empty())),
            None => self.only_wms.as_ref(),
        }
    }

    /// Whether Milepost releases orders to a WMS at all (else releases are not its job).
    pub fn releases(&self) -> bool {
        self.releases
    }

    /// The Odoo queue of the ERP connector an order came from.
    pub fn erp(&self, connector_id: i64) -> Option<&String> {
        self.erp.get(&connector_id)
    }

    /// Every Odoo queue, and whether it applies inventory differences.
    pub fn inventory(&self) -> &[(String, bool)] {
        &self.inventory
    }
}
