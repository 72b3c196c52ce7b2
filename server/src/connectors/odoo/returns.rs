//! Creates the return picking in Odoo for an authorized return, through Odoo's own wizard as
//! recorded (`stock.return.picking` create, its lines' quantities, `action_create_returns`),
//! from the order's last done delivery. Before acting it looks for a return of that delivery
//! already made (a second run, a lost answer) and then does nothing.

use super::calls::id_of;
use super::calls::Exchanges;
use super::client::OdooClient;
use super::writeback::{shipped_by_sku, ShippedLine};
use crate::attempt::Done;
use crate::attempt::JobError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An `odoo.return` job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub order_ref: String,
    /// The authorization's reference, when the sender gave one.
    pub rma: Option<String>,
    /// What may come back (`qty_shipped` is the quantity to return).
    pub lines: Vec<ShippedLine>,
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

pub async fn create_return(odoo: &OdooClient, r: &ReturnRequest) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let done = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", r.order_ref], ["picking_type_code", "=", "outgoing"], ["state", "=", "done"]],
                   "fields": ["id", "name"], "order": "id desc", "limit": 1}),
        )
        .await?;
    let Some(delivery) = done.as_array().and_then(|a| a.first()).cloned() else {
        return Err(x.fatal(format!(
            "Odoo has no done delivery of {} to return from",
            r.order_ref
        )));
    };
    let delivery_id = delivery["id"].as_i64().unwrap_or_default();
    let name = delivery["name"].as_str().unwrap_or_default();
    let existing = x
        .call(
            odoo,
            "stock.picking",
            "search_count",
            None,
            json!({"domain": [["origin", "=", format!("Return of {name}")]]}),
        )
        .await?;
    if existing.as_i64().unwrap_or(0) > 0 {
        return Ok(Done { record: x.record() });
    }
    let wizard = x
        .call(
            odoo,
            "stock.return.picking",
            "create",
            None,
            json!({"vals_list": [{"picking_id": delivery_id}]}),
        )
        .await?;
    let wizard = wizard
        .as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_i64)
        .unwrap_or_default();
    let read = x
        .call(
            odoo,
            "stock.return.picking",
            "read",
            Some(&[wizard]),
            json!({"fields": ["product_return_moves"]}),
        )
        .await?;
    let line_ids = ids(&read[0]["product_return_moves"]);
    let lines = x
        .call(
            odoo,
            "stock.return.picking.line",
            "read",
            Some(&line_ids),
            json!({"fields": ["product_id", "move_quantity"]}),
        )
        .await?;
    let lines = lines.as_array().cloned().unwrap_or_default();
    let sku_of = x.skus_of_products(odoo, &lines).await?;
    let mut wanted = shipped_by_sku(&r.lines);
    for l in &lines {
        let sku = id_of(&l["product_id"]).and_then(|p| sku_of.get(&p));
        let Some(left) = sku.and_then(|s| wanted.get_mut(s.as_str())) else {
            continue;
        };
        let qty = left.min(l["move_quantity"].as_f64().unwrap_or(0.0));
        *left -= qty;
        if qty > 0.0 {
            x.call(
                odoo,
                "stock.return.picking.line",
                "write",
                Some(&[l["id"].as_i64().unwrap_or_default()]),
                json!({"vals": {"quantity": qty}}),
            )
            .await?;
        }
    }
    x.call(
        odoo,
        "stock.return.picking",
        "action_create_returns",
        Some(&[wizard]),
        json!({}),
    )
    .await?;
    Ok(Done { record: x.record() })
}
