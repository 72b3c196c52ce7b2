//! Writes a warehouse's substitution into Odoo's open delivery: the substitute product as a new
//! move (so the dispatch that follows can book what shipped on it), the original's demand
//! reduced by the quantity it replaces, and a chatter note on the sale order naming both.
//!
//! A job may run twice (a lost answer, a crash after Odoo committed). Each step checks first:
//! a move of the substitute product on the delivery is not added again, the original's demand is
//! set to a value (not decreased again), and the note carries the event's marker.

use super::calls::{id_of, Exchanges};
use super::client::OdooClient;
use super::notes::{self, Note};
use crate::attempt::{Done, JobError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An `odoo.substitution` job's payload: the substitutions one warehouse event reported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Substitution {
    /// The sale order's name (the delivery's `origin`).
    pub order_ref: String,
    /// The causing event, written into the note so a second run finds it.
    pub marker: String,
    pub lines: Vec<Substitute>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Substitute {
    /// The product ordered (`default_code`), when the warehouse or the order names it.
    pub original_sku: Option<String>,
    /// The product shipped instead.
    pub sku: String,
    /// How many of the substitute replace as many of the original.
    pub qty: f64,
}

pub async fn substitute(odoo: &OdooClient, s: &Substitution) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let mut done: Vec<String> = Vec::new();
    let mut picking_name = String::from("the delivery");
    for line in &s.lines {
        picking_name = substitute_one(odoo, &mut x, &s.order_ref, line)
            .await
            .map_err(|e| explain(e, &done, &s.order_ref))?;
        done.push(format!(
            "{} × {} instead of {}",
            line.qty,
            line.sku,
            line.original_sku
                .as_deref()
                .unwrap_or("the ordered product")
        ));
    }
    let note = Note {
        order_ref: s.order_ref.clone(),
        marker: s.marker.clone(),
        body: format!(
            "Substitution by the warehouse on {picking_name}: {}.",
            done.join("; ")
        ),
        activity_summary: None,
    };
    let noted = notes::post(odoo, &note)
        .await
        .map_err(|e| explain(e, &done, &s.order_ref))?;
    x.keep(noted.record);
    Ok(Done { record: x.record() })
}

/// One substitute on the order's open delivery; returns the delivery's name.
async fn substitute_one(
    odoo: &OdooClient,
    x: &mut Exchanges,
    order_ref: &str,
    s: &Substitute,
) -> Result<String, JobError> {
    let pickings = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", order_ref], ["picking_type_code", "=", "outgoing"],
                              ["state", "not in", ["done", "cancel"]]],
                   "fields": ["id", "name", "move_ids"], "order": "id asc", "limit": 1}),
        )
        .await?;
    let Some(picking) = pickings.as_array().and_then(|a| a.first()).cloned() else {
        return Err(std::mem::take(x).fatal(format!(
            "Odoo has no open delivery of {order_ref} to add substitute {} to",
            s.sku
        )));
    };
    let picking_id = picking["id"].as_i64().unwrap_or_default();
    let picking_name = picking["name"]
        .as_str()
        .unwrap_or("the delivery")
        .to_string();
    let codes: Vec<&str> = std::iter::once(s.sku.as_str())
        .chain(s.original_sku.as_deref())
        .collect();
    let products = x
        .call(
            odoo,
            "product.product",
            "search_read",
            None,
            json!({"domain": [["default_code", "in", codes]], "fields": ["id", "default_code", "display_name"]}),
        )
        .await?;
    let product = |code: &str| {
        products
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["default_code"] == code)
            .cloned()
    };
    let Some(substitute) = product(&s.sku) else {
        return Err(std::mem::take(x).fatal(format!(
            "Odoo has no product with internal reference {} (the substitute the warehouse shipped on {order_ref})",
            s.sku
        )));
    };
    let substitute_id = substitute["id"].as_i64().unwrap_or_default();
    let original_id = s
        .original_sku
        .as_deref()
        .and_then(product)
        .and_then(|p| p["id"].as_i64());

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
            json!({"fields": ["product_id", "product_uom_qty", "product_uom", "location_id", "location_dest_id", "state"]}),
        )
        .await?;
    let moves = moves.as_array().cloned().unwrap_or_default();
    let live = |m: &&Value| m["state"] != "cancel";
    let original = moves
        .iter()
        .filter(live)
        .find(|m| id_of(&m["product_id"]) == original_id && original_id.is_some());

    if !moves
        .iter()
        .filter(live)
        .any(|m| id_of(&m["product_id"]) == Some(substitute_id))
    {
        // Created through the delivery, so Odoo fills what the version needs (locations from the
        // picking in 17+); the unit and locations of the move it replaces when there is one.
        let mut vals = json!({"product_id": substitute_id, "product_uom_qty": s.qty});
        if let Some(o) = original {
            for field in ["product_uom", "location_id", "location_dest_id"] {
                if let Some(id) = id_of(&o[field]) {
                    vals[field] = json!(id);
                }
            }
        }
        if needs_name(odoo, x).await? {
            vals["name"] = substitute["display_name"].clone();
        }
        x.call(
            odoo,
            "stock.picking",
            "write",
            Some(&[picking_id]),
            json!({"vals": {"move_ids": [[0, 0, vals]]}}),
        )
        .await?;
    }

    if let Some(o) = original {
        // The original demand less what the substitute replaces: a value, so a second run
        // finds it set and writes the same.
        let ordered = ordered_qty(odoo, x, order_ref, original_id).await?;
        let demand = o["product_uom_qty"].as_f64().unwrap_or_default();
        let target = (ordered.unwrap_or(demand) - s.qty).max(0.0);
        if (demand - target).abs() > f64::EPSILON {
            x.call(
                odoo,
                "stock.move",
                "write",
                Some(&[o["id"].as_i64().unwrap_or_default()]),
                json!({"vals": {"product_uom_qty": target}}),
            )
            .await?;
        }
    }
    Ok(picking_name)
}

/// Whether this Odoo's `stock.move` has a required `name` (Odoo 17 and 18 have one; a version
/// without the field refuses it), asked rather than guessed from the version.
async fn needs_name(odoo: &OdooClient, x: &mut Exchanges) -> Result<bool, JobError> {
    let fields = x
        .call(
            odoo,
            "stock.move",
            "fields_get",
            None,
            json!({"allfields": ["name"], "attributes": ["required"]}),
        )
        .await?;
    Ok(fields.get("name").is_some())
}

/// What the order line of `product` asked for, so the reduced demand is the same on every run.
async fn ordered_qty(
    odoo: &OdooClient,
    x: &mut Exchanges,
    order_ref: &str,
    product: Option<i64>,
) -> Result<Option<f64>, JobError> {
    let Some(product) = product else {
        return Ok(None);
    };
    let Some(order) = x.sale_order_named(odoo, order_ref, &["order_line"]).await? else {
        return Ok(None);
    };
    let line_ids: Vec<i64> = order["order_line"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let lines = x
        .call(
            odoo,
            "sale.order.line",
            "read",
            Some(&line_ids),
            json!({"fields": ["product_id", "product_uom_qty"]}),
        )
        .await?;
    let ordered: Vec<f64> = lines
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| id_of(&l["product_id"]) == Some(product))
        .filter_map(|l| l["product_uom_qty"].as_f64())
        .collect();
    Ok((!ordered.is_empty()).then(|| ordered.iter().sum()))
}

/// A failure part-way, saying which substitutions are done in Odoo (a replay redoes each step,
/// finding those done).
fn explain(mut e: JobError, done: &[String], order_ref: &str) -> JobError {
    let done = if done.is_empty() {
        "nothing".to_string()
    } else {
        format!("substituted {}", done.join("; "))
    };
    e.message = format!(
        "{} (done in Odoo: {done}; not done: the rest of the substitution on {order_ref}'s delivery)",
        e.message
    );
    e
}
