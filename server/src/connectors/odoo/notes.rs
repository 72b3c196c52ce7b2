//! Tells the sale order's people what happened: a chatter note (`message_post`, an internal
//! note that e-mails no follower) and, for exceptions, a to-do activity for the salesperson.
//!
//! A job may run twice (a lost answer, a crash after Odoo committed): every note carries the
//! marker of the event that caused it, and Odoo is asked for a note or activity with that marker
//! before one is posted.

use super::calls::id_of;
use super::calls::Exchanges;
use super::client::OdooClient;
use crate::attempt::Done;
use crate::attempt::JobError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An `odoo.note` job's payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Note {
    /// The sale order's name, e.g. `S00025`.
    pub order_ref: String,
    /// The causing event's id, written into the note so a second run finds it.
    pub marker: String,
    pub body: String,
    /// For exceptions: the activity's summary for the salesperson.
    pub activity_summary: Option<String>,
}

/// Posts the note (and schedules the activity) unless an earlier run did.
pub async fn post(odoo: &OdooClient, n: &Note) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let found = x
        .sale_order_named(odoo, &n.order_ref, &["id", "user_id"])
        .await?;
    let Some(order) = found else {
        return Err(x.fatal(format!(
            "Odoo has no sale order {} to post the note to",
            n.order_ref
        )));
    };
    let order_id = order["id"].as_i64().unwrap_or_default();
    let tag = format!("Milepost {}", n.marker);
    let posted = x
        .call(
            odoo,
            "mail.message",
            "search_count",
            None,
            json!({"domain": [["model", "=", "sale.order"], ["res_id", "=", order_id], ["body", "ilike", tag]]}),
        )
        .await?;
    if posted.as_i64() == Some(0) {
        x.call(
            odoo,
            "sale.order",
            "message_post",
            Some(&[order_id]),
            json!({"body": with_correlation(format!("{} ({tag})", n.body)), "message_type": "comment",
                   "subtype_xmlid": "mail.mt_note"}),
        )
        .await?;
    }
    if let Some(summary) = &n.activity_summary {
        let scheduled = x
            .call(
                odoo,
                "mail.activity",
                "search_count",
                None,
                json!({"domain": [["res_model", "=", "sale.order"], ["res_id", "=", order_id], ["note", "ilike", tag]]}),
            )
            .await?;
        if scheduled.as_i64() == Some(0) {
            let mut kwargs = json!({"act_type_xmlid": "mail.mail_activity_data_todo",
                                    "summary": summary, "note": with_correlation(format!("{} ({tag})", n.body))});
            if let Some(user) = id_of(&order["user_id"]).or(order["user_id"].as_i64()) {
                kwargs["user_id"] = Value::from(user);
            }
            x.call(
                odoo,
                "sale.order",
                "activity_schedule",
                Some(&[order_id]),
                kwargs,
            )
            .await?;
        }
    }
    Ok(Done { record: x.record() })
}

/// The note's text with the correlation id of the work that caused it, for whoever follows the
/// note back through Milepost's `/integrations` and the partners' logs.
fn with_correlation(body: String) -> String {
    match crate::correlation::current() {
        Some(id) => format!("{body} [correlation {id}]"),
        None => body,
    }
}
