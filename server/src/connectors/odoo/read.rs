//! Reads the truth a webhook only pointed at (`odoo.read`), and pulls what changed since a
//! cursor (`odoo.pull`), for when a webhook never came.
//!
//! A read gathers a sale order, its lines, its customer's address, its warehouse and its
//! delivery pickings into one record shaped like Odoo's own webhook payload (many2one as bare
//! ids, `_model`, `_id`) with `_action` `milepost.read`; the engine stores it through the ingest
//! pipeline like any message, so the raw read is kept and mapped by the same adapter. The
//! adapter's event ids come from the record's state and `write_date`, so reading the same
//! state twice makes duplicates, not new facts.
//!
//! The pull asks for orders written since the cursor minus an overlap window: Odoo stamps
//! `write_date` with the transaction's start, so a long transaction can commit a record older
//! than the last one seen. It enqueues a deduplicated read per order and moves the cursor in the
//! same transaction.

use super::calls::id_of;
use super::calls::Exchanges;
use super::client::OdooClient;
use super::{RecordRef, READ_ACTION};
use crate::attempt::JobError;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{json, Map, Value};
use std::time::Duration;

/// How far before the cursor a pull looks again (see the module's note on `write_date`).
pub const OVERLAP: Duration = Duration::from_secs(120);
/// Orders one pull reads; the next pull continues from the last one.
pub const PULL_LIMIT: i64 = 500;

const ORDER_FIELDS: &[&str] = &[
    "name",
    "state",
    "partner_id",
    "partner_shipping_id",
    "date_order",
    "commitment_date",
    "amount_total",
    "order_line",
    "picking_ids",
    "delivery_status",
    "write_date",
    "carrier_id",
    "client_order_ref",
    "warehouse_id",
    "user_id",
    "incoterm",
    "incoterm_location",
];

/// What a warehouse needs from a delivery beyond its lines (`docs/wms-release.md`): Odoo's
/// priority star, the delivery's note (gift or handling instructions) and its reserved
/// operations (lots and locations).
const PICKING_FIELDS: &[&str] = &[
    "name",
    "state",
    "picking_type_code",
    "carrier_tracking_ref",
    "write_date",
    "priority",
    "note",
    "move_line_ids",
];

fn first(v: &Value) -> Option<&Value> {
    v.as_array().and_then(|a| a.first())
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// The sale order a record belongs to: itself, or a picking's order (by `sale_id`, else by
/// its `origin`, since a picking read mid-confirmation may not name its order yet).
async fn order_id(
    odoo: &OdooClient,
    x: &mut Exchanges,
    record: &RecordRef,
) -> Result<Option<i64>, JobError> {
    match record.model.as_str() {
        "sale.order" => Ok(Some(record.id)),
        "stock.picking" => {
            let picking = x
                .call(
                    odoo,
                    "stock.picking",
                    "read",
                    Some(&[record.id]),
                    json!({"fields": ["sale_id", "origin"]}),
                )
                .await?;
            let Some(picking) = first(&picking) else {
                return Ok(None);
            };
            if let Some(id) = id_of(&picking["sale_id"]) {
                return Ok(Some(id));
            }
            let Some(origin) = picking["origin"].as_str() else {
                return Ok(None);
            };
            let found = x.sale_order_named(odoo, origin, &["id"]).await?;
            Ok(found.and_then(|o| o["id"].as_i64()))
        }
        other => Err(JobError::fatal(format!(
            "Milepost reads sale.order and stock.picking records, not {other}"
        ))),
    }
}

/// Reads the order `record` points at, as one webhook-shaped record; `None` when there is no
/// such order (deleted, or a picking of no sale).
pub async fn read_order(
    odoo: &OdooClient,
    x: &mut Exchanges,
    record: &RecordRef,
) -> Result<Option<Value>, JobError> {
    let Some(id) = order_id(odoo, x, record).await? else {
        return Ok(None);
    };
    let orders = x
        .call(
            odoo,
            "sale.order",
            "read",
            Some(&[id]),
            json!({ "fields": ORDER_FIELDS }),
        )
        .await?;
    let Some(order) = first(&orders).and_then(Value::as_object).cloned() else {
        return Ok(None);
    };
    let mut flat: Map<String, Value> = order
        .iter()
        .map(|(k, v)| (k.clone(), id_of(v).map(Value::from).unwrap_or(v.clone())))
        .collect();
    // The delivery method by name (the flat record keeps only ids): the warehouse needs it.
    if let Some(carrier) = order["carrier_id"].get(1).and_then(Value::as_str) {
        flat.insert("service".into(), json!({ "carrier": carrier }));
    }
    // Incoterms by code (`[EXW] EX WORKS` is how Odoo names the record) and place.
    if let Some(incoterm) = order["incoterm"].get(1).and_then(Value::as_str) {
        flat.insert(
            "incoterms".into(),
            json!({"code": bracketed_code(incoterm), "name": incoterm,
                   "location": order["incoterm_location"].as_str()}),
        );
    }
    flat.insert("_model".into(), json!("sale.order"));
    flat.insert("_id".into(), json!(id));
    flat.insert("_action".into(), json!(READ_ACTION));

    let line_ids = ids(&order["order_line"]);
    if !line_ids.is_empty() {
        let lines = x
            .call(
                odoo,
                "sale.order.line",
                "read",
                Some(&line_ids),
                json!({"fields": ["product_id", "name", "product_uom_qty"]}),
            )
            .await?;
        let lines: Vec<Value> = lines
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                let code = l["product_id"]
                    .get(1)
                    .and_then(Value::as_str)
                    .and_then(bracketed_code);
                json!({"id": l["id"], "default_code": code, "name": l["name"], "product_uom_qty": l["product_uom_qty"]})
            })
            .collect();
        flat.insert("order_line".into(), Value::Array(lines));
    }
    // Ship to the delivery address (`partner_shipping_id`, a delivery contact of the customer,
    // 16_delivery_address.json), not the customer's own; the account stays the customer's.
    if let Some(partner) = id_of(&order["partner_shipping_id"]).or(id_of(&order["partner_id"])) {
        let partners = x
            .call(
                odoo,
                "res.partner",
                "read",
                Some(&[partner]),
                json!({"fields": ["name", "display_name", "street", "street2", "city", "zip", "country_code", "phone"]}),
            )
            .await?;
        if let Some(p) = first(&partners) {
            let text = |k: &str| p[k].as_str().map(Value::from).unwrap_or(Value::Null);
            flat.insert(
                "ship_to".into(),
                json!({"name": p["display_name"].as_str().or(p["name"].as_str()), "street": text("street"),
                       "street2": text("street2"), "city": text("city"), "postal_code": text("zip"),
                       "country": text("country_code"), "phone": text("phone")}),
            );
        }
    }
    if let Some(warehouse) = id_of(&order["warehouse_id"]) {
        let found = x
            .call(
                odoo,
                "stock.warehouse",
                "read",
                Some(&[warehouse]),
                json!({"fields": ["code"]}),
            )
            .await?;
        if let Some(code) = first(&found).and_then(|w| w["code"].as_str()) {
            flat.insert("warehouse".into(), json!({ "code": code }));
        }
    }
    let picking_ids = ids(&order["picking_ids"]);
    if !picking_ids.is_empty() {
        let pickings = x
            .call(
                odoo,
                "stock.picking",
                "read",
                Some(&picking_ids),
                json!({ "fields": PICKING_FIELDS }),
            )
            .await?;
        if let Some(ready) = pickings.as_array().and_then(|all| {
            all.iter()
                .find(|p| p["state"] == "assigned" && p["picking_type_code"] != "incoming")
        }) {
            release_details(odoo, x, ready, &mut flat).await?;
        }
        flat.insert("_pickings".into(), pickings);
    }
    Ok(Some(Value::Object(flat)))
}

/// `[CODE] Name`, Odoo's display name of a product or an incoterm, to `CODE`.
fn bracketed_code(display: &str) -> Option<&str> {
    display.strip_prefix('[')?.split(']').next()
}

/// What the ready delivery tells the warehouse: its priority (Odoo's star: `1` is urgent), its
/// note as text, and where Odoo reserved the goods (lot and location per product).
async fn release_details(
    odoo: &OdooClient,
    x: &mut Exchanges,
    picking: &Value,
    flat: &mut Map<String, Value>,
) -> Result<(), JobError> {
    let priority = if picking["priority"] == "1" {
        "urgent"
    } else {
        "normal"
    };
    flat.insert("priority".into(), json!(priority));
    if let Some(note) = picking["note"]
        .as_str()
        .map(html_text)
        .filter(|n| !n.is_empty())
    {
        flat.insert("notes".into(), json!(note));
    }
    let line_ids = ids(&picking["move_line_ids"]);
    if line_ids.is_empty() {
        return Ok(());
    }
    let lines = x
        .call(
            odoo,
            "stock.move.line",
            "read",
            Some(&line_ids),
            json!({"fields": ["product_id", "lot_id", "location_id", "quantity"]}),
        )
        .await?;
    let allocation: Vec<Value> = lines
        .as_array()
        .into_iter()
        .flatten()
        .map(|l| {
            let name = |k: &str| l[k].get(1).and_then(Value::as_str);
            json!({"sku": name("product_id").and_then(bracketed_code), "lot": name("lot_id"),
                   "location": name("location_id"), "qty": l["quantity"]})
        })
        .collect();
    flat.insert("allocation".into(), Value::Array(allocation));
    Ok(())
}

/// The text of an Odoo HTML field (`<p>Gift wrap, <b>fragile</b></p>` → `Gift wrap, fragile`):
/// tags dropped, paragraphs and breaks as new lines, entities decoded.
fn html_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                if matches!(
                    name.to_ascii_lowercase().as_str(),
                    "br" | "br/" | "p" | "div" | "li"
                ) && !text.ends_with('\n')
                    && !text.is_empty()
                {
                    text.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => text.push(c),
        }
    }
    html_escape::decode_html_entities(text.trim()).into_owned()
}

/// The message id of a read: the same state read twice is one message.
pub fn read_message_id(record: &Value) -> String {
    let pickings: Vec<String> = record["_pickings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{}={}", p["id"], p["state"].as_str().unwrap_or("")))
        .collect();
    format!(
        "read:sale.order:{}:{}:{}",
        record["_id"],
        record["write_date"].as_str().unwrap_or("-"),
        pickings.join(",")
    )
}

const ODOO_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// Odoo's naive UTC text for a time.
pub fn odoo_time(t: DateTime<Utc>) -> String {
    t.format(ODOO_TIME).to_string()
}

fn parse_odoo_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// The orders written since `cursor` (less the overlap), oldest first, and the new cursor.
/// Their delivery pickings count too: a delivery that becomes ready when stock arrives changes
/// the picking, not the order (15_picking_ready_later.json).
pub async fn changed_orders(
    odoo: &OdooClient,
    x: &mut Exchanges,
    cursor: DateTime<Utc>,
) -> Result<(Vec<i64>, DateTime<Utc>), JobError> {
    let since = cursor - chrono::Duration::from_std(OVERLAP).expect("a short overlap");
    let found = x
        .call(
            odoo,
            "sale.order",
            "search_read",
            None,
            json!({"domain": [["write_date", ">=", odoo_time(since)]], "fields": ["id", "write_date"],
                   "order": "write_date asc, id asc", "limit": PULL_LIMIT}),
        )
        .await?;
    let pickings = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["write_date", ">=", odoo_time(since)], ["picking_type_code", "=", "outgoing"],
                              ["sale_id", "!=", false]],
                   "fields": ["sale_id", "write_date"], "order": "write_date asc, id asc", "limit": PULL_LIMIT}),
        )
        .await?;
    let mut ids = Vec::new();
    let mut newest = cursor;
    let orders = found
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| (o["id"].as_i64(), o));
    let of_pickings = pickings
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| (id_of(&p["sale_id"]), p));
    for (id, record) in orders.chain(of_pickings) {
        if let Some(id) = id.filter(|id| !ids.contains(id)) {
            ids.push(id);
        }
        if let Some(t) = record["write_date"].as_str().and_then(parse_odoo_time) {
            newest = newest.max(t);
        }
    }
    Ok((ids, newest))
}

/// An open delivery as Odoo has it, for the reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenDelivery {
    pub picking_id: i64,
    pub name: String,
    pub state: String,
    /// The sale order it delivers (by name), when Odoo says.
    pub order_ref: Option<String>,
    pub sale_id: Option<i64>,
}

/// Deliveries the reconciliation reads at most per run; the report says when there were more.
pub const OPEN_DELIVERY_LIMIT: i64 = 5000;

/// Every outgoing picking not done nor cancelled, oldest first (at most `OPEN_DELIVERY_LIMIT`).
pub async fn open_deliveries(
    odoo: &OdooClient,
    x: &mut Exchanges,
) -> Result<Vec<OpenDelivery>, JobError> {
    let found = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["picking_type_code", "=", "outgoing"], ["state", "not in", ["done", "cancel"]]],
                   "fields": ["id", "name", "state", "origin", "sale_id"], "order": "id asc",
                   "limit": OPEN_DELIVERY_LIMIT}),
        )
        .await?;
    Ok(found
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| OpenDelivery {
            picking_id: p["id"].as_i64().unwrap_or_default(),
            name: p["name"].as_str().unwrap_or_default().to_string(),
            state: p["state"].as_str().unwrap_or_default().to_string(),
            order_ref: p["sale_id"]
                .get(1)
                .and_then(Value::as_str)
                .or(p["origin"].as_str())
                .map(str::to_string),
            sale_id: id_of(&p["sale_id"]),
        })
        .collect())
}
