//! Decisions made on Milepost's exception queue, carried into Odoo: a resolved case marks the
//! activity Milepost scheduled for it done (with the resolution as feedback), a reship creates
//! the replacement delivery (a copy of the delivery the parcel left on, confirmed and reserved),
//! and a cancellation cancels the order's open deliveries. Each notes what it did on the sale
//! order.
//!
//! A job may run twice: an activity already done is gone from Odoo, a replacement carries the
//! decision's marker in its note and is found again, a cancelled delivery is no longer open, and
//! every note carries the marker.

use super::calls::Exchanges;
use super::client::OdooClient;
use super::notes::{self, Note};
use crate::attempt::{Done, JobError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A `case.*` job's payload: the decision, on which order, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaseDecision {
    pub order_ref: String,
    /// The decision's id (`case_action`), written into what it makes so a second run finds it.
    pub marker: String,
    /// The event the case was opened by: its activity in Odoo carries this id.
    pub opened_by: Option<String>,
    pub reason: String,
    /// Who decided, as the note names them.
    pub decided_by: Option<String>,
}

impl CaseDecision {
    fn by(&self) -> String {
        self.decided_by
            .as_deref()
            .map(|who| format!(" by {who}"))
            .unwrap_or_default()
    }
}

/// Marks the case's activity done with the resolution as feedback. No activity (none was
/// scheduled, or a person or an earlier run marked it done) is nothing to do.
pub async fn close_activity(odoo: &OdooClient, d: &CaseDecision) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let Some(opened_by) = &d.opened_by else {
        return Ok(Done { record: x.record() });
    };
    let Some(order) = x.sale_order_named(odoo, &d.order_ref, &["id"]).await? else {
        return Err(x.fatal(format!("Odoo has no sale order {}", d.order_ref)));
    };
    let activities = x
        .call(
            odoo,
            "mail.activity",
            "search_read",
            None,
            json!({"domain": [["res_model", "=", "sale.order"], ["res_id", "=", order["id"]],
                              ["note", "ilike", format!("Milepost {opened_by}")]],
                   "fields": ["id"]}),
        )
        .await?;
    let ids: Vec<i64> = activities
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_i64())
        .collect();
    if !ids.is_empty() {
        x.call(
            odoo,
            "mail.activity",
            "action_feedback",
            Some(&ids),
            json!({"feedback": format!("Resolved in Milepost{}: {}", d.by(), d.reason)}),
        )
        .await?;
    }
    Ok(Done { record: x.record() })
}

/// Creates the replacement delivery: a copy of the delivery the parcel left on (the newest done
/// one), confirmed and reserved; the warehouse gets it as Odoo releases any ready delivery.
pub async fn reship(odoo: &OdooClient, d: &CaseDecision) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let tag = format!("Milepost {}", d.marker);
    let made = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", d.order_ref], ["picking_type_code", "=", "outgoing"],
                              ["note", "ilike", tag]],
                   "fields": ["id", "name"], "limit": 1}),
        )
        .await?;
    let replacement = match made.as_array().and_then(|a| a.first()) {
        Some(found) => found["name"].as_str().unwrap_or_default().to_string(),
        None => {
            let shipped = x
                .call(
                    odoo,
                    "stock.picking",
                    "search_read",
                    None,
                    json!({"domain": [["origin", "=", d.order_ref], ["picking_type_code", "=", "outgoing"],
                                      ["state", "=", "done"]],
                           "fields": ["id", "name"], "order": "id desc", "limit": 1}),
                )
                .await?;
            let Some(original) = shipped.as_array().and_then(|a| a.first()).cloned() else {
                return Err(x.fatal(format!(
                    "Odoo has no done delivery of {} to send again",
                    d.order_ref
                )));
            };
            let note = format!(
                "Replacement of {} decided in Milepost{}: {} ({tag})",
                original["name"].as_str().unwrap_or_default(),
                d.by(),
                d.reason
            );
            let copied = x
                .call(
                    odoo,
                    "stock.picking",
                    "copy",
                    Some(&[original["id"].as_i64().unwrap_or_default()]),
                    json!({"default": {"origin": d.order_ref, "note": note, "carrier_tracking_ref": false}}),
                )
                .await?;
            let id = copied
                .as_array()
                .and_then(|a| a.first())
                .or(Some(&copied))
                .and_then(Value::as_i64)
                .unwrap_or_default();
            let explain = |mut e: JobError| {
                e.message = format!(
                    "{} (done in Odoo: the replacement delivery made; not done: its confirmation)",
                    e.message
                );
                e
            };
            x.call(
                odoo,
                "stock.picking",
                "action_confirm",
                Some(&[id]),
                json!({}),
            )
            .await
            .map_err(explain)?;
            x.call(
                odoo,
                "stock.picking",
                "action_assign",
                Some(&[id]),
                json!({}),
            )
            .await
            .map_err(explain)?;
            let read = x
                .call(
                    odoo,
                    "stock.picking",
                    "read",
                    Some(&[id]),
                    json!({"fields": ["name"]}),
                )
                .await?;
            read[0]["name"].as_str().unwrap_or_default().to_string()
        }
    };
    note(
        odoo,
        &mut x,
        d,
        format!(
            "Reship decided in Milepost{}: replacement delivery {replacement}. Reason: {}.",
            d.by(),
            d.reason
        ),
    )
    .await?;
    Ok(Done { record: x.record() })
}

/// Cancels the order's open deliveries (what is done stays done) and notes it.
pub async fn cancel_deliveries(odoo: &OdooClient, d: &CaseDecision) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let open = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", d.order_ref], ["picking_type_code", "=", "outgoing"],
                              ["state", "not in", ["done", "cancel"]]],
                   "fields": ["id", "name"]}),
        )
        .await?;
    let open = open.as_array().cloned().unwrap_or_default();
    let ids: Vec<i64> = open.iter().filter_map(|p| p["id"].as_i64()).collect();
    if !ids.is_empty() {
        x.call(
            odoo,
            "stock.picking",
            "action_cancel",
            Some(&ids),
            json!({}),
        )
        .await?;
    }
    let names: Vec<&str> = open.iter().filter_map(|p| p["name"].as_str()).collect();
    let what = if names.is_empty() {
        "no open delivery was left to cancel".to_string()
    } else {
        format!("cancelled {}", names.join(", "))
    };
    note(
        odoo,
        &mut x,
        d,
        format!(
            "Order cancelled in Milepost{}: {what}. Reason: {}.",
            d.by(),
            d.reason
        ),
    )
    .await?;
    Ok(Done { record: x.record() })
}

async fn note(
    odoo: &OdooClient,
    x: &mut Exchanges,
    d: &CaseDecision,
    body: String,
) -> Result<(), JobError> {
    let posted = notes::post(
        odoo,
        &Note {
            order_ref: d.order_ref.clone(),
            marker: d.marker.clone(),
            body,
            activity_summary: None,
        },
    )
    .await?;
    x.keep(posted.record);
    Ok(())
}
