//! Compares a warehouse's inventory snapshot with Odoo's on-hand stock (`stock.quant` in
//! internal locations) and reports the differences in the job's log; with `"inventory":
//! "apply"` in the Odoo settings it also counts each differing product's quant to the
//! warehouse's figure and applies it (`inventory_quantity`, `action_apply_inventory`), which is
//! idempotent: applying the same count twice changes nothing more.

use super::calls::id_of;
use super::calls::Exchanges;
use super::client::OdooClient;
use crate::attempt::Done;
use crate::attempt::JobError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// An `odoo.inventory` job's payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub warehouse: Option<String>,
    pub items: Vec<Counted>,
    /// Apply the differences (true) or only report them.
    pub apply: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Counted {
    pub sku: String,
    pub qty: f64,
}

/// The items of an `inventory.snapshot` event (`items[].sku` with `on_hand`, `qty`, `quantity`
/// or `available`).
pub fn counted(data: &Value) -> Vec<Counted> {
    data["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let sku = i["sku"].as_str()?.to_string();
            let qty = ["on_hand", "qty", "quantity", "available"]
                .iter()
                .find_map(|k| i[*k].as_f64())?;
            Some(Counted { sku, qty })
        })
        .collect()
}

pub async fn reconcile(odoo: &OdooClient, s: &Snapshot) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let skus: Vec<&str> = s.items.iter().map(|i| i.sku.as_str()).collect();
    let products = x
        .call(
            odoo,
            "product.product",
            "search_read",
            None,
            json!({"domain": [["default_code", "in", skus]], "fields": ["id", "default_code"]}),
        )
        .await?;
    let product_of: BTreeMap<String, i64> = products
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["default_code"].as_str()?.to_string(), p["id"].as_i64()?)))
        .collect();
    let ids: Vec<i64> = product_of.values().copied().collect();
    let quants = x
        .call(
            odoo,
            "stock.quant",
            "search_read",
            None,
            json!({"domain": [["product_id", "in", ids], ["location_id.usage", "=", "internal"]],
                   "fields": ["id", "product_id", "quantity"], "order": "id asc"}),
        )
        .await?;
    // On hand per product, and the quant a count is applied to (the first internal one).
    let mut on_hand: BTreeMap<i64, (f64, i64)> = BTreeMap::new();
    for q in quants.as_array().into_iter().flatten() {
        if let (Some(p), Some(id)) = (id_of(&q["product_id"]), q["id"].as_i64()) {
            let entry = on_hand.entry(p).or_insert((0.0, id));
            entry.0 += q["quantity"].as_f64().unwrap_or(0.0);
        }
    }
    let mut differences = Vec::new();
    let mut unknown = Vec::new();
    let mut applied = 0;
    for item in &s.items {
        let Some(product) = product_of.get(&item.sku) else {
            unknown.push(item.sku.clone());
            continue;
        };
        let (odoo_qty, quant) = on_hand.get(product).copied().unwrap_or((0.0, 0));
        if (odoo_qty - item.qty).abs() < 1e-9 {
            continue;
        }
        differences.push(json!({"sku": item.sku, "odoo": odoo_qty, "wms": item.qty, "difference": item.qty - odoo_qty}));
        if s.apply && quant != 0 {
            x.call(
                odoo,
                "stock.quant",
                "write",
                Some(&[quant]),
                json!({"vals": {"inventory_quantity": item.qty}}),
            )
            .await?;
            x.call(
                odoo,
                "stock.quant",
                "action_apply_inventory",
                Some(&[quant]),
                json!({}),
            )
            .await?;
            applied += 1;
        }
    }
    let mut record = x.record();
    record.response = Some(json!({
        "warehouse": s.warehouse, "compared": s.items.len(), "differences": differences,
        "unknown_skus": unknown, "applied": applied, "calls": record.response.take(),
    }));
    Ok(Done { record })
}
