//! Returns in Odoo. At authorization, `create_return` makes the return picking through Odoo's
//! own wizard as recorded (`stock.return.picking` create, its lines' quantities,
//! `action_create_returns`) from the order's last done delivery; before acting it looks for a
//! return of that delivery already made (a second run, a lost answer) and then does nothing.
//! When the warehouse reports the receipt, `receive_return` validates that picking with the
//! quantities received and notes their condition.

use super::calls::id_of;
use super::calls::Exchanges;
use super::client::OdooClient;
use super::notes::{self, Note};
use super::writeback::{answer_wizards, decided, set_quantities, shipped_by_sku, ShippedLine};
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

/// An `odoo.return_receipt` job's payload: what the warehouse received back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReturnReceipt {
    pub order_ref: String,
    /// The causing event, written into the note so a second run finds it.
    pub marker: String,
    pub rma: Option<String>,
    /// What arrived (`qty_shipped` is the quantity received), with its condition when given.
    pub lines: Vec<ShippedLine>,
    /// The condition the warehouse reported (`good`, `damaged`, `refused`, …), if any.
    pub condition: Option<String>,
    /// Conditions per SKU, when the warehouse gave them line by line.
    #[serde(default)]
    pub line_conditions: Vec<(String, String)>,
}

impl ReturnReceipt {
    /// The warehouse refused the return (nothing is taken into stock).
    fn refused(&self) -> bool {
        self.condition.as_deref() == Some("refused")
            || self.lines.iter().all(|l| l.qty_shipped <= 0.0)
    }
}

/// Validates the order's return picking with what the warehouse received, and notes the
/// condition on the sale order. The picking is the one made at authorization
/// (`create_return`); a return the warehouse received without one gets it made first. A
/// refused return validates nothing and is noted. A picking already done (a second run, a lost
/// answer) is left as it is; the note carries the event's marker and is posted once.
pub async fn receive_return(odoo: &OdooClient, r: &ReturnReceipt) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    // A picking this receipt validated (a second run), then one it marked but did not validate
    // (a crash in between), then the open return. A backorder copies its picking's note, so
    // the marked one that is done wins.
    let mut picking = None;
    for (marker, done) in [
        (Some(r.marker.as_str()), true),
        (Some(r.marker.as_str()), false),
        (None, false),
    ] {
        picking = return_picking(odoo, &mut x, &r.order_ref, marker, done).await?;
        if picking.is_some() {
            break;
        }
    }
    if picking.is_none() && !r.refused() {
        let made = create_return(
            odoo,
            &ReturnRequest {
                order_ref: r.order_ref.clone(),
                rma: r.rma.clone(),
                lines: r.lines.clone(),
            },
        )
        .await?;
        x.keep(made.record);
        picking = return_picking(odoo, &mut x, &r.order_ref, None, false).await?;
    }
    let mut validated = None;
    if let Some(p) = picking.filter(|_| !r.refused()) {
        let name = p["name"].as_str().unwrap_or("the return").to_string();
        if p["state"] != "done" {
            // The receipt's marker goes on the picking before validation: a second run finds
            // the picking it validated (not the backorder validation leaves for the rest).
            let picking_id = p["id"].as_i64().unwrap_or_default();
            x.call(
                odoo,
                "stock.picking",
                "write",
                Some(&[picking_id]),
                json!({"vals": {"note": receipt_tag(&r.marker)}}),
            )
            .await?;
            validate_receipt(odoo, &mut x, &p, r)
                .await
                .map_err(|mut e| {
                    e.message = format!(
                    "{} (done in Odoo: the return picking {name} exists; not done: its validation)",
                    e.message
                );
                    e
                })?;
        }
        validated = Some(name);
    }
    let received: Vec<String> = r
        .lines
        .iter()
        .filter(|l| l.qty_shipped > 0.0)
        .map(|l| {
            let condition = r
                .line_conditions
                .iter()
                .find(|(sku, _)| *sku == l.sku)
                .map(|(_, c)| format!(" ({c})"))
                .unwrap_or_default();
            format!("{} × {}{condition}", l.qty_shipped, l.sku)
        })
        .collect();
    let condition = r
        .condition
        .as_deref()
        .map(|c| format!(" Condition: {c}."))
        .unwrap_or_default();
    let body = match &validated {
        Some(name) => format!(
            "Return received by the warehouse and validated on {name}: {}.{condition}",
            received.join(", ")
        ),
        None => {
            format!("Return refused by the warehouse: nothing taken back into stock.{condition}")
        }
    };
    let damaged = r.condition.as_deref() == Some("damaged")
        || r.line_conditions.iter().any(|(_, c)| c == "damaged");
    let note = Note {
        order_ref: r.order_ref.clone(),
        marker: r.marker.clone(),
        body,
        // Damaged or refused goods need a person: the salesperson gets an activity.
        activity_summary: (damaged || validated.is_none())
            .then(|| "Returned goods need a decision".to_string()),
    };
    let noted = notes::post(odoo, &note).await.map_err(|mut e| {
        e.message = format!(
            "{} (done in Odoo: the return {}; not done: the note)",
            e.message,
            if validated.is_some() {
                "validated"
            } else {
                "left as it was"
            }
        );
        e
    })?;
    x.keep(noted.record);
    Ok(Done { record: x.record() })
}

/// What a return picking validated for a receipt carries in its note.
fn receipt_tag(marker: &str) -> String {
    format!("Received by the warehouse (Milepost {marker})")
}

/// The order's newest return picking (an incoming picking made from one of its deliveries),
/// done or open as `done` says, and carrying a receipt's `marker` when one is given.
async fn return_picking(
    odoo: &OdooClient,
    x: &mut Exchanges,
    order_ref: &str,
    marker: Option<&str>,
    done: bool,
) -> Result<Option<Value>, JobError> {
    let deliveries = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", order_ref], ["picking_type_code", "=", "outgoing"], ["state", "=", "done"]],
                   "fields": ["name"]}),
        )
        .await?;
    let origins: Vec<String> = deliveries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["name"].as_str().map(|n| format!("Return of {n}")))
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let mut domain = json!([
        ["origin", "in", origins],
        ["picking_type_code", "=", "incoming"]
    ]);
    let terms = domain.as_array_mut().expect("a list");
    if let Some(m) = marker {
        terms.push(json!(["note", "ilike", format!("Milepost {m}")]));
    }
    terms.push(if done {
        json!(["state", "=", "done"])
    } else {
        json!(["state", "not in", ["done", "cancel"]])
    });
    let found = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": domain, "fields": ["id", "name", "state", "move_ids"],
                   "order": "id desc", "limit": 1}),
        )
        .await?;
    Ok(found.as_array().and_then(|a| a.first()).cloned())
}

/// Sets the received quantities on the return's moves and validates it; what did not come
/// stays on a backorder (a later receipt validates it).
async fn validate_receipt(
    odoo: &OdooClient,
    x: &mut Exchanges,
    picking: &Value,
    r: &ReturnReceipt,
) -> Result<(), JobError> {
    let picking_id = picking["id"].as_i64().unwrap_or_default();
    set_quantities(odoo, x, &ids(&picking["move_ids"]), &r.lines, |_, _| {}).await?;
    let answer = x
        .call(
            odoo,
            "stock.picking",
            "button_validate",
            Some(&[picking_id]),
            json!({"context": decided(picking_id, true)}),
        )
        .await?;
    answer_wizards(odoo, x, answer, picking_id, true).await
}
