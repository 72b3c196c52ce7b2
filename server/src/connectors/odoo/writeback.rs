//! Writes a dispatch back to Odoo: the tracking number on the delivery picking, the shipped
//! quantities on its moves, then validation, with a backorder for the rest or not, as the WMS
//! said. Odoo 19 asks through a wizard when a picking is validated short (`button_validate`
//! returns an action for `stock.backorder.confirmation`); the context flags recorded in
//! `fixtures/odoo19/12_backorder_variants.json` decide without it, and the wizard is still
//! answered if it comes.
//!
//! A job may run twice (a crash after Odoo committed, a lost answer): before acting it looks for
//! the picking already done with this tracking number and then does nothing.

use super::calls::{id_of, Exchanges};
use super::client::OdooClient;
use crate::attempt::Done;
use crate::attempt::JobError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The job's payload (`odoo.dispatch` jobs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dispatch {
    /// The sale order's name (the picking's `origin`), e.g. `S00025`.
    pub order_ref: String,
    pub tracking_number: String,
    pub lines: Vec<ShippedLine>,
    /// Keep what was not shipped on a backorder (true), or cancel the rest (false).
    pub backorder: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShippedLine {
    /// The product's internal reference (`default_code`).
    pub sku: String,
    pub qty_shipped: f64,
}

/// Quantities shipped per SKU (a SKU may come on several lines).
pub(crate) fn shipped_by_sku(lines: &[ShippedLine]) -> HashMap<&str, f64> {
    let mut by_sku: HashMap<&str, f64> = HashMap::new();
    for line in lines {
        *by_sku.entry(line.sku.as_str()).or_default() += line.qty_shipped;
    }
    by_sku
}

/// Applies the dispatch to the order's open delivery picking.
pub async fn dispatch(odoo: &OdooClient, d: &Dispatch) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let pickings = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", d.order_ref], ["picking_type_code", "=", "outgoing"]],
                   "fields": ["id", "name", "state", "carrier_tracking_ref", "move_ids"],
                   "order": "id asc"}),
        )
        .await?;
    let pickings = pickings.as_array().cloned().unwrap_or_default();
    if pickings
        .iter()
        .any(|p| p["state"] == "done" && p["carrier_tracking_ref"] == d.tracking_number.as_str())
    {
        // Written by an earlier attempt whose answer was lost: the effect happens once.
        return Ok(Done { record: x.record() });
    }
    let Some(picking) = pickings
        .iter()
        .find(|p| !matches!(p["state"].as_str(), Some("done" | "cancel")))
    else {
        return Err(x.fatal(format!(
            "Odoo has no open delivery for {} to write dispatch {} to",
            d.order_ref, d.tracking_number
        )));
    };
    let picking_id = picking["id"].as_i64().unwrap_or_default();
    x.call(
        odoo,
        "stock.picking",
        "write",
        Some(&[picking_id]),
        json!({"vals": {"carrier_tracking_ref": d.tracking_number}}),
    )
    .await?;

    let move_ids: Vec<i64> = picking["move_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let moves = x
        .call(
            odoo,
            "stock.move",
            "read",
            Some(&move_ids),
            json!({"fields": ["product_id", "product_uom_qty"]}),
        )
        .await?;
    let moves = moves.as_array().cloned().unwrap_or_default();
    let sku_of = x.skus_of_products(odoo, &moves).await?;
    let mut shipped = shipped_by_sku(&d.lines);
    for m in &moves {
        let move_id = m["id"].as_i64().unwrap_or_default();
        let sku = id_of(&m["product_id"]).and_then(|p| sku_of.get(&p));
        let demand = m["product_uom_qty"].as_f64().unwrap_or_default();
        // What the WMS shipped of this product, up to this move's demand.
        let qty = sku
            .and_then(|s| shipped.get_mut(s.as_str()))
            .map(|left| {
                let take = left.min(demand);
                *left -= take;
                take
            })
            .unwrap_or(0.0);
        x.call(
            odoo,
            "stock.move",
            "write",
            Some(&[move_id]),
            json!({"vals": {"quantity": qty, "picked": true}}),
        )
        .await?;
    }
    let mut context = json!({"skip_backorder": true});
    if !d.backorder {
        context["picking_ids_not_to_backorder"] = json!([picking_id]);
    }
    let validated = x
        .call(
            odoo,
            "stock.picking",
            "button_validate",
            Some(&[picking_id]),
            json!({"context": context}),
        )
        .await?;
    if validated.get("res_model").and_then(Value::as_str) == Some("stock.backorder.confirmation") {
        // Odoo asked anyway: answer its wizard with its own context.
        let context = validated["context"].clone();
        let wizard = x
            .call(
                odoo,
                "stock.backorder.confirmation",
                "create",
                None,
                json!({"vals_list": [{"pick_ids": [[4, picking_id]]}], "context": context}),
            )
            .await?;
        let wizard_id = wizard
            .as_array()
            .and_then(|a| a.first())
            .or(Some(&wizard))
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let method = if d.backorder {
            "process"
        } else {
            "process_cancel_backorder"
        };
        x.call(
            odoo,
            "stock.backorder.confirmation",
            method,
            Some(&[wizard_id]),
            json!({"context": context}),
        )
        .await?;
    } else if validated != Value::Bool(true) {
        return Err(x.fatal(format!(
            "Odoo answered the validation of picking {picking_id} with an action Milepost does not know: {}",
            validated.get("res_model").unwrap_or(&validated)
        )));
    }
    Ok(Done { record: x.record() })
}
