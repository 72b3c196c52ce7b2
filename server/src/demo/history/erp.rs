//! The ERP's side of an order: Odoo's quotation and confirmation (sometimes sent twice, as Odoo
//! does), a rare cancellation, and Milepost's release to the warehouse.

use super::story::Story;
use super::{index, json_message, Message, Plan};
use crate::demo::formats as f;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde_json::json;

/// Odoo's messages for the sale order; returns when it was confirmed, or `None` when the
/// customer cancelled it before it was released.
pub(super) fn sale_order(
    plan: &Plan,
    story: &mut Story,
    out: &mut Vec<Message>,
) -> Option<DateTime<Utc>> {
    let confirmed = story.start + Duration::minutes(story.rng.random_range(5..90));
    let sale_order = f::SaleOrder {
        id: story.odoo_id,
        name: &story.name,
        partner_id: story.partner,
        po: story.po.as_deref(),
        ordered: story.start,
        promise: story.promise,
        lines: &story.lines,
    };
    for (state, written) in [("draft", story.start), ("sale", confirmed)] {
        let body = f::odoo_sale_order(&sale_order, state, written);
        out.push(json_message(
            plan,
            "odoo",
            &body,
            written + Duration::seconds(1),
        ));
        if story.rng.random_bool(0.1) {
            out.push(json_message(
                plan,
                "odoo",
                &body,
                written + Duration::seconds(2),
            ));
        }
    }
    if story.rng.random_bool(0.01) {
        let cancelled = confirmed + Duration::minutes(20);
        let body = f::odoo_sale_order(&sale_order, "cancel", cancelled);
        out.push(json_message(plan, "odoo", &body, cancelled));
        return None;
    }
    Some(confirmed)
}

/// Milepost's release of the confirmed order to its warehouse; returns when it was released.
pub(super) fn release(
    plan: &Plan,
    story: &mut Story,
    confirmed: DateTime<Utc>,
    out: &mut Vec<Message>,
) -> DateTime<Utc> {
    let released = confirmed + Duration::minutes(story.rng.random_range(1..30));
    let name = &story.name;
    let service_level = if story.carrier == "NMTF" {
        "ltl"
    } else {
        "ground"
    };
    let lines: Vec<_> = story
        .lines
        .iter()
        .map(|l| json!({"line_ref": l.line_ref, "sku": l.sku, "qty": l.qty, "uom": "EA"}))
        .collect();
    let release = f::cloud_event(
        &format!("release-{name}"),
        "urn:milepost:release",
        "order.release_requested",
        &format!("order/{name}"),
        released,
        json!({
            "order": {"erp_order_id": name, "customer_po": story.po},
            "warehouse": {"code": story.warehouse},
            "service": {"carrier": story.carrier, "service_level": service_level},
            "promises": {"ship_by": story.promise_ship.to_rfc3339(), "deliver_by": story.promise.to_rfc3339()},
            "lines": lines}),
    );
    out.push(Message {
        connector: index(plan, "milepost-release"),
        body: release.to_string().into_bytes(),
        content_type: "application/cloudevents+json",
        arrives: released,
    });
    released
}
