//! The demo's messages, written in each source's own format, as the real systems would send
//! them: Odoo automation-rule payloads, ShipHero webhooks, X12 945 and 214 interchanges, Milepost
//! WMS contract messages, and EasyPost, Shippo and AfterShip tracking webhooks.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

/// One line of a demo order.
#[derive(Clone, Debug)]
pub struct Line {
    pub line_ref: String,
    pub sku: &'static str,
    pub name: &'static str,
    pub qty: u32,
}

fn odoo_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A `sale.order` as the demo's Odoo holds it.
pub struct SaleOrder<'a> {
    pub id: u32,
    pub name: &'a str,
    pub partner_id: u32,
    pub po: Option<&'a str>,
    pub ordered: DateTime<Utc>,
    pub promise: DateTime<Utc>,
    pub lines: &'a [Line],
}

/// What Odoo's "Send Webhook Notification" rule posts for a `sale.order` in `state`, written at
/// `written` (with the lines the sync engine reads over JSON-RPC, as objects).
pub fn odoo_sale_order(order: &SaleOrder, state: &str, written: DateTime<Utc>) -> Value {
    let SaleOrder {
        id,
        name,
        partner_id,
        po,
        ordered,
        promise,
        lines,
    } = *order;
    let total: f64 = lines.iter().map(|l| l.qty as f64 * 12.5).sum();
    json!({
        "_action": "POST sale.order to integration(#461)", "_id": id, "_model": "sale.order",
        "amount_total": total, "client_order_ref": po.map(Value::from).unwrap_or(Value::Bool(false)),
        "commitment_date": odoo_time(promise), "date_order": odoo_time(ordered),
        "delivery_status": false, "id": id, "name": name, "partner_id": partner_id, "picking_ids": [],
        "state": state, "write_date": written.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        "order_line": lines.iter().enumerate().map(|(i, l)| json!({
            "id": id * 10 + i as u32, "name": format!("[{}] {}", l.sku, l.name), "product_uom_qty": l.qty as f64,
        })).collect::<Vec<_>>(),
    })
}

/// A canonical CloudEvent.
pub fn cloud_event(
    id: &str,
    source: &str,
    kind: &str,
    subject: &str,
    at: DateTime<Utc>,
    data: Value,
) -> Value {
    json!({"specversion": "1.0", "id": id, "source": source, "type": kind, "subject": subject,
           "time": at.to_rfc3339(), "datacontenttype": "application/json", "data": data})
}

fn local(t: DateTime<Utc>, zone: Tz, format: &str) -> String {
    t.with_timezone(&zone).format(format).to_string()
}

pub fn shiphero_allocated(
    order: &str,
    order_id: u64,
    lines: &[Line],
    at: DateTime<Utc>,
    zone: Tz,
) -> Value {
    json!({"webhook_type": "Order Allocated", "allocation_reference": order_id * 7, "account_id": 6334,
           "warehouse_id": 76733, "allocated_at": local(at, zone, "%Y-%m-%dT%H:%M:%S"), "order_number": order,
           "order_id": order_id, "partner_order_id": order,
           "line_items": lines.iter().map(|l| json!({"partner_line_item_id": l.line_ref, "quantity": l.qty, "sku": l.sku})).collect::<Vec<_>>(),
           "ready_to_ship": 1})
}

pub fn shiphero_packed(order: &str, order_id: u64, at: DateTime<Utc>, zone: Tz) -> Value {
    json!({"webhook_type": "Order Packed Out", "order_number": order, "order_id": order_id, "partner_order_id": order,
           "created_at": local(at, zone, "%Y-%m-%d %H:%M:%S"), "line_items": []})
}

/// One parcel as a warehouse ships it: `shipped` is (line, quantity).
pub struct Parcel<'a> {
    pub order: &'a str,
    pub shipment_id: u64,
    pub tracking: &'a str,
    pub carrier: &'a str,
    pub shipped: &'a [(Line, u32)],
    /// Nothing more will follow for this order.
    pub complete: bool,
}

/// A ShipHero "Shipment Update".
pub fn shiphero_shipment(parcel: &Parcel, at: DateTime<Utc>, zone: Tz) -> Value {
    let Parcel {
        order,
        shipment_id,
        tracking,
        carrier,
        shipped,
        complete,
    } = *parcel;
    json!({"test": "0", "webhook_type": "Shipment Update", "fulfillment": {
        "shipment_id": shipment_id, "warehouse": "Reno 3PL", "warehouse_id": 76733, "partner_order_id": order,
        "order_number": order, "tracking_number": tracking,
        "line_items": shipped.iter().map(|(l, q)| json!({"id": l.line_ref, "quantity": q, "sku": l.sku, "package": "Package #1"})).collect::<Vec<_>>(),
        "package_number": 1, "total_packages": 1, "shipping_method": "Ground", "shipping_carrier": carrier,
        "package": {"length": 12, "width": 9, "height": 6, "weight": 3.5}, "completed": complete,
        "created_at": local(at, zone, "%Y-%m-%d %H:%M:%S")},
        "packages": [{"name": "Package #1", "tracking_number": tracking}]})
}

/// The Milepost WMS contract: one message with one or more events.
pub fn wms_contract(message_id: &str, warehouse: &str, events: Vec<Value>) -> Value {
    json!({"contract": "milepost.wms.v1", "message_id": message_id, "warehouse": warehouse, "events": events})
}

pub fn wms_event(
    id: &str,
    kind: &str,
    order: &str,
    at: DateTime<Utc>,
    zone: Tz,
    data: Value,
) -> Value {
    json!({"id": id, "type": kind, "order_ref": order, "occurred_at": at.with_timezone(&zone).to_rfc3339(), "data": data})
}

/// An X12 interchange around transaction sets (each a list of segments without ST/SE), with
/// every count and control number right.
pub fn x12_interchange(
    sender: &str,
    functional_id: &str,
    control: u32,
    written: DateTime<Utc>,
    zone: Tz,
    sets: &[(&str, Vec<String>)],
) -> String {
    let local_time = written.with_timezone(&zone);
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*MILEPOST       *{}*{}*U*00401*{control:09}*0*P*>~\n",
        local_time.format("%y%m%d"), local_time.format("%H%M"));
    out.push_str(&format!(
        "GS*{functional_id}*{sender}*MILEPOST*{}*{}*{control}*X*004010~\n",
        local_time.format("%Y%m%d"),
        local_time.format("%H%M")
    ));
    for (i, (set_id, segments)) in sets.iter().enumerate() {
        let st = format!("{:04}", i + 1);
        out.push_str(&format!("ST*{set_id}*{st}~\n"));
        for segment in segments {
            out.push_str(segment);
            out.push_str("~\n");
        }
        out.push_str(&format!("SE*{}*{st}~\n", segments.len() + 2));
    }
    out.push_str(&format!(
        "GE*{}*{control}~\nIEA*1*{control:09}~\n",
        sets.len()
    ));
    out
}

/// A 945 set: `lines` are (LX number, W1201 code, ordered, shipped, sku, original sku for IS).
pub fn x12_945(
    order: &str,
    po: &str,
    bol: &str,
    scac: &str,
    ship_day: DateTime<Utc>,
    zone: Tz,
    lines: &[(usize, &str, u32, u32, &str)],
) -> Vec<String> {
    let mut segments = vec![
        format!(
            "W06*F*{order}*{}*{bol}**{po}",
            ship_day.with_timezone(&zone).format("%Y%m%d")
        ),
        "N1*ST*CUSTOMER".into(),
        format!("W27*M*{scac}*LTL*PP"),
        format!("N9*CN*{bol}"),
    ];
    for (lx, code, ordered, shipped, sku) in lines {
        segments.push(format!("LX*{lx}"));
        segments.push(format!(
            "W12*{code}*{ordered}*{shipped}*{}*EA**VN*{sku}",
            ordered.saturating_sub(*shipped)
        ));
    }
    segments
}

/// A 214 set with AT7 statuses: (AT701, AT702, when).
pub fn x12_214(
    pro: &str,
    bol: &str,
    scac: &str,
    order: &str,
    statuses: &[(&str, &str, DateTime<Utc>)],
    zone: Tz,
) -> Vec<String> {
    let mut segments = vec![format!("B10*{pro}*{bol}*{scac}"), format!("L11*{order}*PO")];
    for (i, (status, reason, at)) in statuses.iter().enumerate() {
        let t = at.with_timezone(&zone);
        segments.push(format!("LX*{}", i + 1));
        segments.push(format!(
            "AT7*{status}*{reason}***{}*{}*LT",
            t.format("%Y%m%d"),
            t.format("%H%M")
        ));
    }
    segments
}

/// A carrier scan, in Milepost's words; each aggregator writes it its own way.
#[derive(Clone, Debug)]
pub struct Scan {
    pub at: DateTime<Utc>,
    /// `picked_up`, `in_transit`, `out_for_delivery`, `attempt`, `delivered`, `damaged`, `returned`.
    pub what: &'static str,
}

pub fn easypost(event_id: &str, tracking: &str, history: &[Scan], eta: DateTime<Utc>) -> Value {
    let status = |s: &Scan| -> (&'static str, &'static str) {
        match s.what {
            "picked_up" => ("in_transit", "received_at_origin_facility"),
            "in_transit" => ("in_transit", "departed_facility"),
            "out_for_delivery" => ("out_for_delivery", "out_for_delivery"),
            "attempt" => ("failure", "failure"),
            "delivered" => ("delivered", "arrived_at_destination"),
            "damaged" => ("failure", "damaged"),
            _ => ("return_to_sender", "return"),
        }
    };
    let last = history.last().expect("a webhook reports at least one scan");
    json!({"id": event_id, "object": "Event", "description": "tracker.updated", "mode": "production",
        "created_at": last.at.to_rfc3339(),
        "result": {"id": format!("trk_{tracking}"), "object": "Tracker", "tracking_code": tracking,
            "status": status(last).0, "status_detail": status(last).1, "carrier": "UPS",
            "signed_by": (last.what == "delivered").then_some("RECEIVER"), "est_delivery_date": eta.to_rfc3339(),
            "tracking_details": history.iter().map(|s| json!({"object": "TrackingDetail", "message": s.what,
                "status": status(s).0, "status_detail": status(s).1, "datetime": s.at.to_rfc3339(), "source": "UPS",
                "tracking_location": {"city": "RENO", "state": "NV", "country": "US"}})).collect::<Vec<_>>()}})
}

pub fn shippo(tracking: &str, history: &[Scan], eta: DateTime<Utc>) -> Value {
    let code = |s: &Scan| -> (&str, &str) {
        match s.what {
            "picked_up" => ("TRANSIT", "package_accepted"),
            "in_transit" => ("TRANSIT", "package_departed"),
            "out_for_delivery" => ("TRANSIT", "out_for_delivery"),
            "attempt" => ("TRANSIT", "delivery_attempted"),
            "delivered" => ("DELIVERED", "delivered"),
            "damaged" => ("FAILURE", "package_damaged"),
            _ => ("RETURNED", "return_to_sender"),
        }
    };
    let entry = |s: &Scan| {
        json!({"object_id": format!("{tracking}-{}", s.at.timestamp()), "status": code(s).0,
        "status_details": s.what, "status_date": s.at.to_rfc3339(),
        "substatus": {"code": code(s).1, "text": s.what, "action_required": false}, "location": null})
    };
    let last = history.last().expect("at least one scan");
    json!({"event": "track_updated", "test": false, "data": {"carrier": "usps", "tracking_number": tracking,
        "eta": eta.to_rfc3339(), "tracking_status": entry(last),
        "tracking_history": history.iter().map(entry).collect::<Vec<_>>()}})
}

pub fn aftership(event_id: &str, tracking: &str, order: &str, history: &[Scan]) -> Value {
    let tag = |s: &Scan| -> (&str, &str) {
        match s.what {
            "picked_up" => ("InTransit", "InTransit_002"),
            "in_transit" => ("InTransit", "InTransit_007"),
            "out_for_delivery" => ("OutForDelivery", "OutForDelivery_001"),
            "attempt" => ("AttemptFail", "AttemptFail_001"),
            "delivered" => ("Delivered", "Delivered_001"),
            "damaged" => ("Exception", "Exception_009"),
            _ => ("Exception", "Exception_011"),
        }
    };
    let last = history.last().expect("at least one scan");
    json!({"ts": last.at.timestamp(), "event": "tracking_update", "event_id": event_id,
        "msg": {"tracking_number": tracking, "slug": "fedex", "tag": tag(last).0, "subtag": tag(last).1, "order_id": order,
            "checkpoints": history.iter().map(|s| json!({"slug": "fedex", "checkpoint_time": s.at.to_rfc3339(),
                "city": "MEMPHIS", "state": "TN", "country_iso3": "USA", "tag": tag(s).0, "subtag": tag(s).1,
                "message": s.what})).collect::<Vec<_>>()}})
}
