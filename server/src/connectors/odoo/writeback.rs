//! Writes a dispatch back to Odoo: the tracking number on the delivery picking, the shipped
//! quantities on its moves, then validation, with a backorder for the rest or not, as the WMS
//! said. Odoo asks through wizards before some validations (`button_validate` returns an action
//! instead of `true`): the backorder question when a picking is short, the one-time SMS warning
//! of `stock_sms` (installed by default) for a customer with a phone, expired lots. The context
//! decides each of them up front (`decided`, from `fixtures/odoo19/12_backorder_variants.json`
//! and `13_sms_confirmation.json`), and a wizard that comes anyway is answered (`answer_wizards`).
//! A failure part-way says what it left done in Odoo (`Progress`).
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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
    let picking_name = picking["name"]
        .as_str()
        .unwrap_or("the delivery")
        .to_string();
    let mut done = Progress::default();
    x.call(
        odoo,
        "stock.picking",
        "write",
        Some(&[picking_id]),
        json!({"vals": {"carrier_tracking_ref": d.tracking_number}}),
    )
    .await
    .map_err(|e| done.explain(e, &picking_name))?;
    done.did(format!(
        "tracking number {} written on {picking_name}",
        d.tracking_number
    ));

    let move_ids: Vec<i64> = picking["move_ids"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let set = set_quantities(odoo, &mut x, &move_ids, &d.lines, |set, of| {
        done.set_moves(set, of)
    })
    .await;
    set.map_err(|e| done.explain(e, &picking_name))?;
    let answer = x
        .call(
            odoo,
            "stock.picking",
            "button_validate",
            Some(&[picking_id]),
            json!({"context": decided(picking_id, d.backorder)}),
        )
        .await
        .map_err(|e| done.explain(e, &picking_name))?;
    answer_wizards(odoo, &mut x, answer, picking_id, d.backorder)
        .await
        .map_err(|e| done.explain(e, &picking_name))?;
    Ok(Done { record: x.record() })
}

/// Sets each move's quantity from `lines` (by SKU, what came of it up to each move's demand,
/// in the moves' order) and marks it picked; `progress(set, of)` after each move, so a failure
/// can say how far it got.
pub(crate) async fn set_quantities(
    odoo: &OdooClient,
    x: &mut Exchanges,
    move_ids: &[i64],
    lines: &[ShippedLine],
    mut progress: impl FnMut(usize, usize),
) -> Result<(), JobError> {
    let moves = x
        .call(
            odoo,
            "stock.move",
            "read",
            Some(move_ids),
            json!({"fields": ["product_id", "product_uom_qty"]}),
        )
        .await?;
    let moves = moves.as_array().cloned().unwrap_or_default();
    let sku_of = x.skus_of_products(odoo, &moves).await?;
    let mut left_of = shipped_by_sku(lines);
    for (n, m) in moves.iter().enumerate() {
        let sku = id_of(&m["product_id"]).and_then(|p| sku_of.get(&p));
        let demand = m["product_uom_qty"].as_f64().unwrap_or_default();
        let qty = sku
            .and_then(|s| left_of.get_mut(s.as_str()))
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
            Some(&[m["id"].as_i64().unwrap_or_default()]),
            json!({"vals": {"quantity": qty, "picked": true}}),
        )
        .await?;
        progress(n + 1, moves.len());
    }
    Ok(())
}

/// Wizards Odoo may answer a validation with before it is done. Each answer validates again and
/// may bring the next (the backorder question, then the SMS warning: 13_sms_confirmation.json).
const MAX_WIZARDS: usize = 4;

/// The validation context that decides, without a wizard, what Odoo would otherwise ask:
/// backorder or not (`skip_backorder`, `picking_ids_not_to_backorder`), the one-time SMS warning
/// of `stock_sms` (`skip_sms`: the warning only; the text itself still goes out as the company's
/// setting says), and expired lots of `product_expiry` (`skip_expired`: the warehouse has shipped
/// them already; Odoo should record what happened).
pub(crate) fn decided(picking_id: i64, backorder: bool) -> Value {
    let mut context = json!({"skip_backorder": true, "skip_sms": true, "skip_expired": true});
    if !backorder {
        context["picking_ids_not_to_backorder"] = json!([picking_id]);
    }
    context
}

/// Answers each wizard Odoo returns until the picking is validated (`true`). A wizard's action
/// carries the context to answer it with; Milepost's decisions are added to it.
pub(crate) async fn answer_wizards(
    odoo: &OdooClient,
    x: &mut Exchanges,
    mut answer: Value,
    picking_id: i64,
    backorder: bool,
) -> Result<(), JobError> {
    for _ in 0..MAX_WIZARDS {
        if answer == Value::Bool(true) {
            return Ok(());
        }
        let model = answer
            .get("res_model")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut context = answer["context"].clone();
        if let (Some(ctx), Some(ours)) = (
            context.as_object_mut(),
            decided(picking_id, backorder).as_object(),
        ) {
            for (k, v) in ours {
                ctx.entry(k.clone()).or_insert(v.clone());
            }
        }
        answer = match model {
            "stock.backorder.confirmation" => {
                let wizard = x
                    .call(
                        odoo,
                        model,
                        "create",
                        None,
                        json!({"vals_list": [{"pick_ids": [[4, picking_id]]}], "context": context}),
                    )
                    .await?;
                let method = if backorder {
                    "process"
                } else {
                    "process_cancel_backorder"
                };
                x.call(
                    odoo,
                    model,
                    method,
                    Some(&[created_id(&wizard)]),
                    json!({"context": context}),
                )
                .await?
            }
            // The one-time warning came anyway: "Confirm" keeps the company's choice as it is
            // ("Disable SMS" would switch its text confirmations off). Anything else (expired
            // lots, an add-on's check) is a person's call: a dead letter saying what is done.
            "confirm.stock.sms" => {
                let wizard = answer["res_id"].as_i64().unwrap_or_default();
                x.call(
                    odoo,
                    model,
                    "send_sms",
                    Some(&[wizard]),
                    json!({"context": context}),
                )
                .await?
            }
            _ => {
                return Err(std::mem::take(x).fatal(format!(
                    "Odoo answered the validation with a wizard Milepost does not answer: {}",
                    if model.is_empty() {
                        answer.to_string()
                    } else {
                        model.to_string()
                    }
                )))
            }
        };
    }
    Err(std::mem::take(x).fatal(format!(
        "Odoo asked through more than {MAX_WIZARDS} wizards in a row; the last: {}",
        answer.get("res_model").unwrap_or(&answer)
    )))
}

/// The id `create` answered with (a list of one in JSON-2, a bare id in older JSON-RPC).
fn created_id(created: &Value) -> i64 {
    created
        .as_array()
        .and_then(|a| a.first())
        .or(Some(created))
        .and_then(Value::as_i64)
        .unwrap_or_default()
}

/// What a write-back has done in Odoo so far: a failure part-way says exactly that, so whoever
/// reads the dead letter knows what a replay (which redoes every step) will find.
#[derive(Debug, Default)]
struct Progress {
    steps: Vec<String>,
    moves: Option<(usize, usize)>,
}

impl Progress {
    fn did(&mut self, step: String) {
        self.steps.push(step);
    }

    fn set_moves(&mut self, set: usize, of: usize) {
        self.moves = Some((set, of));
    }

    /// The error, with what is done and what is not.
    fn explain(&self, mut e: JobError, picking: &str) -> JobError {
        let mut steps = self.steps.clone();
        if let Some((set, of)) = self.moves {
            steps.push(format!("shipped quantities set on {set} of {of} moves"));
        }
        let done = if steps.is_empty() {
            "nothing".to_string()
        } else {
            steps.join("; ")
        };
        e.message = format!(
            "{} (done in Odoo: {done}; not done: validation of {picking})",
            e.message
        );
        e
    }
}
