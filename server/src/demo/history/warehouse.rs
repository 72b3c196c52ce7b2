//! The warehouse's side of an order, in its WMS's own format: allocation, picking, packing and
//! dispatch, sometimes short with the rest backordered and shipped later as a second parcel,
//! sometimes with a substitute line or a hold. Reno speaks ShipHero, Chicago X12 945 files, the
//! others Milepost's WMS contract.

use super::story::Story;
use super::{index, json_message, tracking_number, Message, Plan};
use crate::demo::formats::{self as f, Line};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rand::Rng;
use serde_json::{json, Value};

/// How the warehouse handles the order, drawn once.
pub(super) struct Fulfilment {
    pub released: DateTime<Utc>,
    pub allocated: DateTime<Utc>,
    pub dispatched: DateTime<Utc>,
    pub backorder: bool,
    pub substitute: bool,
    pub hold: bool,
    /// The line shipped short (half its quantity) when there is a backorder.
    pub short_line: Option<usize>,
    pub tracking: String,
    pub zone: Tz,
}

impl Fulfilment {
    pub fn draw(plan: &Plan, story: &mut Story, released: DateTime<Utc>) -> Fulfilment {
        let rng = &mut story.rng;
        let allocated = released + Duration::minutes(rng.random_range(10..240));
        let dispatched = allocated + Duration::hours(rng.random_range(2..30));
        let backorder = rng.random_bool(0.08) && story.lines.iter().any(|l| l.qty > 1);
        let substitute = !backorder && story.warehouse != "RNO" && rng.random_bool(0.03);
        let hold = story.warehouse == "NJ" && rng.random_bool(0.03);
        let short_line = backorder.then(|| {
            story
                .lines
                .iter()
                .position(|l| l.qty > 1)
                .expect("a line of more than one")
        });
        Fulfilment {
            released,
            allocated,
            dispatched,
            backorder,
            substitute,
            hold,
            short_line,
            tracking: tracking_number(story.carrier, story.n, 1),
            zone: story.warehouse_zone(plan),
        }
    }

    /// What the first parcel carries of line `i`.
    fn first_qty(&self, i: usize, l: &Line) -> u32 {
        if Some(i) == self.short_line {
            l.qty / 2
        } else {
            l.qty
        }
    }
}

/// ShipHero (Reno): allocation, packing and the shipment webhook.
pub(super) fn shiphero(plan: &Plan, story: &Story, w: &Fulfilment, out: &mut Vec<Message>) {
    let (name, id) = (&story.name, story.odoo_id as u64);
    let packed = w.dispatched - Duration::minutes(40);
    out.push(json_message(
        plan,
        story.wms,
        &f::shiphero_allocated(name, id, &story.lines, w.allocated, w.zone),
        w.allocated + Duration::seconds(3),
    ));
    out.push(json_message(
        plan,
        story.wms,
        &f::shiphero_packed(name, id, packed, w.zone),
        packed + Duration::minutes(1),
    ));
    let shipped: Vec<(Line, u32)> = story
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| (l.clone(), w.first_qty(i, l)))
        .collect();
    let parcel = f::Parcel {
        order: name,
        shipment_id: id * 10,
        tracking: &w.tracking,
        carrier: story.carrier,
        shipped: &shipped,
        complete: !w.backorder,
    };
    out.push(json_message(
        plan,
        story.wms,
        &f::shiphero_shipment(&parcel, w.dispatched, w.zone),
        w.dispatched + Duration::seconds(5),
    ));
}

/// X12 945 (Chicago): one shipping advice per parcel, the short line `BP`, a substitute `IS`.
pub(super) fn edi_945(plan: &Plan, story: &Story, w: &Fulfilment, out: &mut Vec<Message>) {
    let w12: Vec<(usize, &str, u32, u32, &str)> = story
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let code = if Some(i) == w.short_line {
                "BP"
            } else if w.substitute && i == 0 {
                "IS"
            } else {
                "CC"
            };
            (i + 1, code, l.qty, w.first_qty(i, l), l.sku)
        })
        .collect();
    push_945(
        plan,
        story,
        w,
        &w.tracking,
        w.dispatched,
        100_000,
        &w12,
        out,
    );
}

/// One X12 945 interchange as the Chicago WMS drops it, a quarter hour after the dispatch.
#[allow(clippy::too_many_arguments)]
fn push_945(
    plan: &Plan,
    story: &Story,
    w: &Fulfilment,
    tracking: &str,
    at: DateTime<Utc>,
    control_base: u32,
    w12: &[(usize, &str, u32, u32, &str)],
    out: &mut Vec<Message>,
) {
    let po = story.po.as_deref().unwrap_or("");
    let set = f::x12_945(&story.name, po, tracking, "NMTF", at, w.zone, w12);
    let control = control_base + story.n as u32;
    let body = f::x12_interchange("CHIWMS", "SW", control, at, w.zone, &[("945", set)]);
    out.push(Message {
        connector: index(plan, story.wms),
        body: body.into_bytes(),
        content_type: "application/edi-x12",
        arrives: at + Duration::minutes(15),
    });
}

/// Milepost's WMS contract (the other warehouses): acknowledgement and allocation (and a hold),
/// then picking, a substitution, packing and the dispatch, in two messages.
pub(super) fn contract(plan: &Plan, story: &Story, w: &Fulfilment, out: &mut Vec<Message>) {
    let (name, zone) = (&story.name, w.zone);
    let event = |suffix: &str, kind: &str, at: DateTime<Utc>, data: Value| {
        f::wms_event(&format!("{name}-{suffix}"), kind, name, at, zone, data)
    };
    let mut events = vec![
        event(
            "ack",
            "order.acknowledged",
            w.released + Duration::minutes(2),
            json!({}),
        ),
        event("alloc", "order.allocated", w.allocated, json!({})),
    ];
    if w.hold {
        let reason = json!({"reason": {"code": "address_check", "text": "address needs checking"}});
        events.push(event(
            "hold",
            "order.on_hold",
            w.allocated + Duration::minutes(5),
            reason,
        ));
        events.push(event(
            "unhold",
            "order.hold_released",
            w.allocated + Duration::hours(3),
            json!({}),
        ));
    }
    let m1 = f::wms_contract(&format!("{name}-m1"), story.warehouse, events);
    out.push(json_message(
        plan,
        story.wms,
        &m1,
        w.allocated + Duration::minutes(1),
    ));
    let d = w.dispatched;
    let mut later = vec![
        event(
            "pick",
            "order.pick_started",
            d - Duration::hours(2),
            json!({}),
        ),
        event("picked", "order.picked", d - Duration::hours(1), json!({})),
    ];
    if w.substitute {
        let l = &story.lines[0];
        let substitute = json!({"lines": [{"line_ref": format!("{}S", l.line_ref), "sku": "MUG-GRN-12", "qty": l.qty, "substitute_of": l.line_ref}]});
        later.push(event(
            "sub",
            "line.substituted",
            d - Duration::minutes(50),
            substitute,
        ));
    }
    let package = json!({"packages": [{"package_ref": format!("{}-1", w.tracking), "weight": {"value": 3.5, "unit": "LB"}}]});
    later.push(event(
        "packed",
        "order.packed",
        d - Duration::minutes(30),
        package,
    ));
    let shipped: Vec<Value> = story.lines.iter().enumerate().map(|(i, l)| {
        let status = if Some(i) == w.short_line { "partial_backordered" } else if w.substitute && i == 0 { "substituted" } else { "complete" };
        json!({"line_ref": l.line_ref, "sku": l.sku, "qty_ordered": l.qty, "qty_shipped": w.first_qty(i, l), "line_status": status})
    }).collect();
    let dispatch = json!({"shipment": {"carrier": story.carrier, "tracking_numbers": [w.tracking]},
                          "lines": shipped, "is_final": !w.backorder});
    later.push(event("ship", "shipment.dispatched", d, dispatch));
    let m2 = f::wms_contract(&format!("{name}-m2"), story.warehouse, later);
    out.push(json_message(plan, story.wms, &m2, d + Duration::minutes(2)));
}

/// The backordered rest of the short line, shipped a few days later as a second parcel in the
/// warehouse's format; returns that parcel (tracking number, when it left).
pub(super) fn backorder(
    plan: &Plan,
    story: &mut Story,
    w: &Fulfilment,
    out: &mut Vec<Message>,
) -> Option<(String, DateTime<Utc>)> {
    let i = w.short_line?;
    let later = w.dispatched + Duration::days(story.rng.random_range(2..6));
    let second = tracking_number(story.carrier, story.n, 2);
    let l = &story.lines[i];
    let rest = l.qty - l.qty / 2;
    match story.warehouse {
        "RNO" => {
            let parcel = f::Parcel {
                order: &story.name,
                shipment_id: story.odoo_id as u64 * 10 + 1,
                tracking: &second,
                carrier: story.carrier,
                shipped: &[(l.clone(), rest)],
                complete: true,
            };
            let body = f::shiphero_shipment(&parcel, later, w.zone);
            out.push(json_message(
                plan,
                story.wms,
                &body,
                later + Duration::seconds(5),
            ));
        }
        "CHI" => {
            let w12 = [(i + 1, "CC", rest, rest, l.sku)];
            push_945(plan, story, w, &second, later, 500_000, &w12, out);
        }
        _ => {
            let name = &story.name;
            let data = json!({
                "shipment": {"carrier": story.carrier, "tracking_numbers": [second]},
                "lines": [{"line_ref": l.line_ref, "qty_shipped": rest, "line_status": "complete"}], "is_final": true});
            let event = f::wms_event(
                &format!("{name}-ship2"),
                "shipment.dispatched",
                name,
                later,
                w.zone,
                data,
            );
            let m3 = f::wms_contract(&format!("{name}-m3"), story.warehouse, vec![event]);
            out.push(json_message(
                plan,
                story.wms,
                &m3,
                later + Duration::minutes(2),
            ));
        }
    }
    Some((second, later))
}
