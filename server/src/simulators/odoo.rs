//! An Odoo 19 stand-in that answers as the recorded server did (`../shared/fixtures/odoo19`):
//! JSON-2 (`POST /json/2/<model>/<method>`, bearer API key, bare results, real HTTP statuses
//! with `{name, message, arguments, context, debug}` errors) and JSON-RPC (`POST /jsonrpc`,
//! `execute_kw`, errors as HTTP 200 with `error.code` 0 and `error.data.name`).
//!
//! Records are kept as Odoo reads them (many2one `[id, "name"]`, x2many id lists, `false` for
//! empty, naive UTC times). The sales flow is modelled: confirming an order creates its delivery
//! picking with reserved moves; validating a short picking asks through the backorder wizard
//! unless the context decides; chatter and activities are kept. Automation-rule webhooks are sent
//! after each call as Odoo does: flat, unsigned, with intermediate states and repeats, with a 1 s
//! timeout and never retried. Faults (a 500, a 429 with Retry-After, a slow answer) can be queued
//! for the next calls.

use crate::connectors::odoo::client::{OdooClient, OdooConfig, OdooError, Protocol};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An answer queued for one of the next calls, whatever it asks.
#[derive(Debug, Clone)]
pub enum Fault {
    /// An Odoo error with this HTTP status (JSON-2) or as a JSON-RPC error (a lost database).
    Status(u16),
    /// 429 Too Many Requests with `Retry-After` in seconds.
    TooMany { retry_after: u64 },
    /// Answers only after this long (longer than the client waits: a timeout).
    Slow(Duration),
}

/// An Odoo exception as the server reports it.
#[derive(Debug, Clone)]
pub struct OdooFault {
    pub status: u16,
    pub name: String,
    pub message: String,
}

fn fault(status: u16, name: &str, message: impl Into<String>) -> OdooFault {
    OdooFault {
        status,
        name: name.into(),
        message: message.into(),
    }
}

type Record = Map<String, Value>;

/// Everything the stand-in knows; tests read and change it directly.
pub struct OdooState {
    pub database: String,
    pub api_key: String,
    pub records: BTreeMap<String, BTreeMap<i64, Record>>,
    /// Every call, as `model.method`.
    pub calls: Vec<String>,
    pub faults: VecDeque<Fault>,
    /// Where automation-rule webhooks go (Milepost's `/api/v1/webhooks/<connector>?token=…`).
    pub webhook_url: Option<String>,
    /// Ask through the backorder wizard even when the context decides (older picking types).
    pub always_ask_backorder: bool,
    /// Ask through the SMS wizard even with `skip_sms` (an installation that ignores it).
    pub always_ask_sms: bool,
    /// Answer every validation with this add-on's wizard (one Milepost does not know).
    pub validation_wizard: Option<String>,
    /// SMS text confirmations sent (`stock_sms`: on validation of a delivery to a partner with
    /// a phone, while the company's text confirmation is on), as picking ids.
    pub sms_sent: Vec<i64>,
    /// `stock.move` has a required `name` (Odoo 17 and 18); without it (as modelled for 19) a
    /// `name` given to a new move is refused as an invalid field.
    pub move_has_name: bool,
    /// The Odoo major version modelled: 19 (recorded, the default), 18 or 17 (as their ORM and
    /// RPC layer are documented: no JSON-2, JSON-RPC errors with code 200, a required
    /// `stock.move.name`; 17 also locks confirmed orders as `done` when `lock_confirmed` and
    /// answers `copy` with a bare id).
    pub version: u8,
    /// Odoo 17's "Lock Confirmed Sales": a confirmed order goes to `done`.
    pub lock_confirmed: bool,
    next_id: i64,
    next_order: i64,
    outgoing: Vec<Value>,
    /// The `X-Correlation-Id` of every request that carried one, in arrival order (Odoo
    /// ignores the header; the stand-in keeps it so tests can follow a chain into it).
    pub correlation_ids: Vec<String>,
}

fn now() -> String {
    Utc::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

fn m2o(id: i64, name: &str) -> Value {
    json!([id, name])
}

fn id_of(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.get(0).and_then(Value::as_i64))
}

/// The picking a wizard validates, from the context its action carried.
fn wizard_picking(context: &Value) -> Result<i64, OdooFault> {
    context["button_validate_picking_ids"][0]
        .as_i64()
        .ok_or_else(|| {
            fault(
                422,
                "odoo.exceptions.UserError",
                "the wizard has no picking to validate",
            )
        })
}

fn ids_of(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

impl OdooState {
    /// The recorded demo database: a warehouse `WH`, four products with stock, two customers.
    pub fn seeded(api_key: &str) -> Self {
        let mut s = OdooState {
            database: "odoo_probe".into(),
            api_key: api_key.into(),
            records: BTreeMap::new(),
            calls: Vec::new(),
            faults: VecDeque::new(),
            webhook_url: None,
            always_ask_backorder: false,
            always_ask_sms: false,
            validation_wizard: None,
            sms_sent: Vec::new(),
            move_has_name: false,
            version: 19,
            lock_confirmed: false,
            next_id: 1000,
            next_order: 24,
            outgoing: Vec::new(),
            correlation_ids: Vec::new(),
        };
        s.put(
            "res.users",
            2,
            json!({"name": "Mitchell Admin", "login": "admin"}),
        );
        s.put(
            "stock.warehouse",
            1,
            json!({"name": "YourCompany", "code": "WH"}),
        );
        for (id, code, name) in [
            (21, "E-COM08", "Storage Box"),
            (26, "E-COM11", "Cabinet with Doors"),
            (29, "E-COM12", "Conference Chair"),
            (30, "E-COM13", "Conference Chair (Aluminium)"),
        ] {
            s.put(
                "product.product",
                id,
                json!({"default_code": code, "name": name, "display_name": format!("[{code}] {name}")}),
            );
            s.put(
                "stock.quant",
                id,
                json!({"product_id": m2o(id, &format!("[{code}] {name}")), "location_id": m2o(5, "WH/Stock"),
                       "quantity": 40.0, "reserved_quantity": 0.0, "write_date": now()}),
            );
        }
        // Two of the standard incoterms (Odoo names them `[CODE] NAME`).
        for (id, name) in [(3, "[DAP] DELIVERED AT PLACE"), (6, "[EXW] EX WORKS")] {
            s.put(
                "account.incoterms",
                id,
                json!({"code": &name[1..4], "name": &name[6..], "display_name": name}),
            );
        }
        // A fresh database's SMS settings (13_sms_confirmation.json): text confirmation on, and
        // the one-time warning not yet confirmed, so the first validation asks.
        s.put(
            "res.company",
            1,
            json!({"name": "My Company (San Francisco)", "stock_text_confirmation": true,
                   "stock_confirmation_type": "sms", "has_received_warning_stock_sms": false}),
        );
        s.put(
            "res.partner",
            45,
            json!({"name": "Probe Customer GmbH", "street": "Hauptstr. 1", "city": "Berlin", "zip": "10115",
                   "country_code": "DE", "ref": "EXT-CUST-001", "email": "probe@example.com",
                   "phone": "+49 30 555 0100"}),
        );
        // A customer whose deliveries go to its own delivery contact (16_delivery_address.json).
        s.put(
            "res.partner",
            48,
            json!({"name": "Shipto Test Inc", "display_name": "Shipto Test Inc", "type": "contact",
                   "street": "100 Main Street", "city": "Springfield", "zip": "62701", "country_code": "US",
                   "phone": "+1 217 555 0100", "child_ids": [49]}),
        );
        s.put(
            "res.partner",
            49,
            json!({"name": "Shipto Warehouse", "display_name": "Shipto Test Inc, Shipto Warehouse",
                   "type": "delivery", "parent_id": m2o(48, "Shipto Test Inc"), "street": "5 Dock Road",
                   "street2": "Gate 3", "city": "Peoria", "zip": "61602", "country_code": "US",
                   "phone": "+1 309 555 0199"}),
        );
        // Delivery methods (17_carrier_on_order.json).
        for (id, name) in [
            (1, "Standard delivery"),
            (2, "The Poste"),
            (3, "Local Delivery"),
        ] {
            s.put(
                "delivery.carrier",
                id,
                json!({"name": name, "display_name": name}),
            );
        }
        // A storable product with no stock: its deliveries wait (15_picking_ready_later.json).
        s.put(
            "product.product",
            33,
            json!({"default_code": "FURN_8900", "name": "Drawer Black", "display_name": "[FURN_8900] Drawer Black"}),
        );
        s.put(
            "stock.quant",
            33,
            json!({"product_id": m2o(33, "[FURN_8900] Drawer Black"), "location_id": m2o(5, "WH/Stock"),
                   "quantity": 0.0, "reserved_quantity": 0.0, "write_date": now()}),
        );
        s.put(
            "res.partner",
            47,
            json!({"name": "JSON2 Customer Ltd", "street": "1 Market St", "city": "San Francisco", "zip": "94105",
                   "country_code": "US", "ref": "EXT-CUST-002", "email": "j2@example.com"}),
        );
        s
    }

    fn put(&mut self, model: &str, id: i64, v: Value) {
        let mut r: Record = v.as_object().cloned().unwrap_or_default();
        r.insert("id".into(), json!(id));
        self.records.entry(model.into()).or_default().insert(id, r);
    }

    fn new_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn get(&self, model: &str, id: i64) -> Option<&Record> {
        self.records.get(model)?.get(&id)
    }

    fn get_mut(&mut self, model: &str, id: i64) -> Result<&mut Record, OdooFault> {
        self.records
            .get_mut(model)
            .and_then(|m| m.get_mut(&id))
            .ok_or_else(|| {
                fault(
                    404,
                    "odoo.exceptions.MissingError",
                    format!(
                        "Record does not exist or has been deleted.\n(Record: {model}({id},), User: 2)"
                    ),
                )
            })
    }

    /// Every record of a model.
    pub fn all(&self, model: &str) -> Vec<&Record> {
        self.records
            .get(model)
            .map(|m| m.values().collect())
            .unwrap_or_default()
    }

    fn name_of(&self, model: &str, id: i64) -> String {
        self.get(model, id)
            .and_then(|r| r.get("display_name").or(r.get("name")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    /// Calls `model.method` as Odoo would; webhooks it causes wait in `outgoing`.
    pub fn call(
        &mut self,
        model: &str,
        method: &str,
        ids: &[i64],
        kw: &Value,
    ) -> Result<Value, OdooFault> {
        self.calls.push(format!("{model}.{method}"));
        if method.starts_with('_') {
            return Err(fault(
                403,
                "odoo.exceptions.AccessError",
                format!("Private methods (such as '{model}.{method}') cannot be called remotely."),
            ));
        }
        let known = [
            "sale.order",
            "sale.order.line",
            "res.partner",
            "res.users",
            "product.product",
            "stock.picking",
            "stock.move",
            "stock.move.line",
            "stock.warehouse",
            "stock.quant",
            "stock.backorder.confirmation",
            "confirm.stock.sms",
            "delivery.carrier",
            "res.company",
            "stock.return.picking",
            "stock.return.picking.line",
            "mail.message",
            "mail.activity",
            "account.incoterms",
            "ir.attachment",
        ];
        if !known.contains(&model) {
            return Err(fault(
                404,
                "werkzeug.exceptions.NotFound",
                format!("the model '{model}' does not exist"),
            ));
        }
        match (model, method) {
            (_, "read") => Ok(self.read(model, ids, &kw["fields"])),
            (_, "search_read") => {
                let found = self.search(model, kw)?;
                Ok(self.read(model, &found, &kw["fields"]))
            }
            (_, "search") => Ok(json!(self.search(model, kw)?)),
            (_, "search_count") => Ok(json!(self.search(model, kw)?.len())),
            ("sale.order", "create") => self.create_orders(kw),
            ("ir.attachment", "create") => {
                let mut made = Vec::new();
                for vals in kw["vals_list"].as_array().cloned().unwrap_or_default() {
                    let id = self.new_id();
                    let mut record = vals.clone();
                    // Odoo keeps the size it decoded; the content stays as sent.
                    let size = vals["datas"].as_str().map_or(0, |d| d.len() * 3 / 4);
                    record["file_size"] = json!(size);
                    self.put(model, id, record);
                    made.push(id);
                }
                Ok(json!(made))
            }
            ("res.partner", "create") => {
                let mut made = Vec::new();
                for vals in kw["vals_list"].as_array().cloned().unwrap_or_default() {
                    let id = self.new_id();
                    self.put(model, id, vals);
                    made.push(id);
                }
                Ok(json!(made))
            }
            ("sale.order", "action_confirm") => {
                for id in ids {
                    self.confirm(*id)?;
                }
                Ok(json!(true))
            }
            ("sale.order", "action_cancel") => {
                for id in ids {
                    self.cancel(*id)?;
                }
                Ok(json!(true))
            }
            ("stock.quant", "action_apply_inventory") => {
                for id in ids {
                    let r = self.get_mut(model, *id)?;
                    let counted = r.get("inventory_quantity").cloned().unwrap_or(json!(0.0));
                    r.insert("quantity".into(), counted);
                    r.insert("write_date".into(), json!(now()));
                }
                self.reserve_waiting();
                Ok(json!(null))
            }
            ("stock.return.picking", "create") => {
                let mut made = Vec::new();
                for vals in kw["vals_list"].as_array().cloned().unwrap_or_default() {
                    made.push(self.return_wizard(vals["picking_id"].as_i64().unwrap_or_default())?);
                }
                Ok(json!(made))
            }
            ("stock.return.picking", "action_create_returns") => {
                let id = *ids.first().ok_or_else(|| {
                    fault(422, "odoo.exceptions.UserError", "No wizard to act on.")
                })?;
                self.create_return(id)
            }
            ("stock.move", "fields_get") => {
                let mut fields = json!({});
                if self.move_has_name {
                    fields["name"] = json!({"required": true});
                }
                Ok(fields)
            }
            ("stock.picking", "write") if kw["vals"].get("move_ids").is_some() => {
                for id in ids {
                    self.add_moves(*id, &kw["vals"]["move_ids"])?;
                    self.picking_webhook(*id);
                }
                Ok(json!(true))
            }
            (
                "stock.picking"
                | "stock.move"
                | "stock.quant"
                | "stock.return.picking.line"
                | "res.company",
                "write",
            ) => {
                for id in ids {
                    let r = self.get_mut(model, *id)?;
                    for (k, v) in kw["vals"].as_object().cloned().unwrap_or_default() {
                        r.insert(k, v);
                    }
                    r.insert("write_date".into(), json!(now()));
                    // Less demand than reserved gives the difference back (Odoo unreserves).
                    if let (Some(demand), Some(reserved)) = (
                        kw["vals"]["product_uom_qty"].as_f64(),
                        r.get("quantity").and_then(Value::as_f64),
                    ) {
                        if model == "stock.move" && reserved > demand {
                            r.insert("quantity".into(), json!(demand));
                        }
                    }
                    if model == "stock.picking" {
                        self.picking_webhook(*id);
                    }
                }
                Ok(json!(true))
            }
            ("stock.picking", "button_validate") => self.button_validate(ids, &kw["context"]),
            ("stock.picking", "copy") => {
                let id = *ids
                    .first()
                    .ok_or_else(|| fault(422, "odoo.exceptions.UserError", "Nothing to copy."))?;
                let copy = self.copy_picking(id, &kw["default"])?;
                // Odoo 18 made `copy` multi-record: a list of ids; 17 answers the new id.
                Ok(if self.version <= 17 {
                    json!(copy)
                } else {
                    json!([copy])
                })
            }
            ("stock.picking", "action_confirm" | "action_assign") => {
                for id in ids {
                    let moves = ids_of(&self.get_mut(model, *id)?["move_ids"]);
                    for m in &moves {
                        if let Ok(mv) = self.get_mut("stock.move", *m) {
                            if mv["state"] == "draft" {
                                mv.insert("state".into(), json!("confirmed"));
                            }
                        }
                    }
                    let state = if self.in_stock(&moves) {
                        "assigned"
                    } else {
                        "confirmed"
                    };
                    self.touch(model, *id, json!({"state": state}))?;
                    if state == "assigned" {
                        for m in &moves {
                            if let Ok(mv) = self.get_mut("stock.move", *m) {
                                let demand = mv["product_uom_qty"].clone();
                                mv.insert("state".into(), json!("assigned"));
                                mv.insert("quantity".into(), demand);
                            }
                        }
                        self.reserve(*id, &moves);
                    }
                    self.picking_webhook(*id);
                }
                Ok(json!(true))
            }
            ("stock.picking", "action_cancel") => {
                for id in ids {
                    if self.get_mut(model, *id)?["state"] == "done" {
                        continue;
                    }
                    for m in ids_of(&self.get_mut(model, *id)?["move_ids"]) {
                        if let Ok(mv) = self.get_mut("stock.move", m) {
                            mv.insert("state".into(), json!("cancel"));
                        }
                    }
                    self.touch(model, *id, json!({"state": "cancel"}))?;
                    self.picking_webhook(*id);
                }
                Ok(json!(true))
            }
            ("mail.activity", "action_feedback") => {
                // Marking done posts the feedback on the record and removes the activity.
                let mut posted = json!(false);
                for id in ids {
                    let activity = self.get_mut(model, *id)?.clone();
                    let mid = self.new_id();
                    let feedback = kw["feedback"].as_str().unwrap_or_default();
                    self.put(
                        "mail.message",
                        mid,
                        json!({"model": activity["res_model"], "res_id": activity["res_id"],
                               "body": format!("<p>{} done</p><p>{}</p>", html_escape(activity["summary"].as_str().unwrap_or("")), html_escape(feedback)),
                               "message_type": "notification", "date": now()}),
                    );
                    if let Some(m) = self.records.get_mut(model) {
                        m.remove(id);
                    }
                    posted = json!(mid);
                }
                Ok(posted)
            }
            ("stock.backorder.confirmation", "create") => {
                let id = self.new_id();
                self.put(model, id, json!({}));
                Ok(json!([id]))
            }
            ("stock.backorder.confirmation", "process" | "process_cancel_backorder") => {
                let picking = wizard_picking(&kw["context"])?;
                // As Odoo: validate again with the question answered (the SMS one may follow).
                let mut context = kw["context"].clone();
                context["skip_backorder"] = json!(true);
                context["backorder_answered"] = json!(true);
                if method == "process_cancel_backorder" {
                    context["picking_ids_not_to_backorder"] = json!([picking]);
                }
                self.button_validate(&[picking], &context)
            }
            ("confirm.stock.sms", "send_sms" | "dont_send_sms") => {
                let id = *ids.first().ok_or_else(|| {
                    fault(
                        422,
                        "odoo.exceptions.UserError",
                        "Expected singleton: confirm.stock.sms()",
                    )
                })?;
                self.get_mut(model, id)?;
                let picking = wizard_picking(&kw["context"])?;
                let mut changes = json!({"has_received_warning_stock_sms": true});
                if method == "dont_send_sms" {
                    changes["stock_text_confirmation"] = json!(false);
                }
                self.touch("res.company", 1, changes)?;
                self.button_validate(&[picking], &kw["context"])
            }
            (_, "message_post") => {
                let mut made = Vec::new();
                for id in ids {
                    self.get_mut(model, *id)?;
                    let mid = self.new_id();
                    let body = kw["body"].as_str().unwrap_or_default();
                    let body = if kw["body_is_html"] == true {
                        body.to_string()
                    } else {
                        format!("<p>{}</p>", html_escape(body))
                    };
                    self.put(
                        "mail.message",
                        mid,
                        json!({"model": model, "res_id": id, "body": body, "message_type": kw["message_type"],
                               "subtype_xmlid": kw["subtype_xmlid"], "date": now()}),
                    );
                    made.push(mid);
                }
                Ok(json!(made))
            }
            (_, "activity_schedule") => {
                let mut made = Vec::new();
                for id in ids {
                    self.get_mut(model, *id)?;
                    let aid = self.new_id();
                    let user = kw["user_id"].as_i64().unwrap_or(2);
                    self.put(
                        "mail.activity",
                        aid,
                        json!({"res_model": model, "res_id": id, "summary": kw["summary"],
                               "note": format!("<p>{}</p>", html_escape(kw["note"].as_str().unwrap_or_default())),
                               "activity_type_id": m2o(4, "To-Do"), "user_id": m2o(user, &self.name_of("res.users", user))}),
                    );
                    made.push(aid);
                }
                Ok(json!(made))
            }
            _ => Err(fault(
                404,
                "werkzeug.exceptions.NotFound",
                format!("The method '{model}.{method}' does not exist"),
            )),
        }
    }

    fn read(&self, model: &str, ids: &[i64], fields: &Value) -> Value {
        let wanted: Option<Vec<&str>> = fields
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect());
        // A missing id is left out, not an error (as recorded).
        Value::Array(
            ids.iter()
                .filter_map(|id| self.get(model, *id))
                .map(|r| {
                    let mut out = Map::new();
                    out.insert("id".into(), r["id"].clone());
                    match &wanted {
                        Some(fields) => {
                            for f in fields {
                                out.insert(
                                    f.to_string(),
                                    r.get(*f).cloned().unwrap_or(Value::Bool(false)),
                                );
                            }
                        }
                        None => out.extend(r.clone()),
                    }
                    Value::Object(out)
                })
                .collect(),
        )
    }

    fn search(&self, model: &str, kw: &Value) -> Result<Vec<i64>, OdooFault> {
        let domain = kw.get("domain").ok_or_else(|| {
            fault(
                422,
                "werkzeug.exceptions.UnprocessableEntity",
                "missing a required argument: 'domain'",
            )
        })?;
        let mut found: Vec<&Record> = Vec::new();
        for r in self.all(model) {
            if matches(r, domain)? {
                found.push(r);
            }
        }
        let order = kw["order"].as_str().unwrap_or("id asc");
        for key in order.split(',').rev() {
            let mut parts = key.split_whitespace();
            let field = parts.next().unwrap_or("id");
            let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            found.sort_by(|a, b| {
                let o = compare(
                    a.get(field).unwrap_or(&Value::Null),
                    b.get(field).unwrap_or(&Value::Null),
                );
                if desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        let offset = kw["offset"].as_u64().unwrap_or(0) as usize;
        let limit = kw["limit"]
            .as_u64()
            .map(|l| l as usize)
            .unwrap_or(usize::MAX);
        Ok(found
            .into_iter()
            .skip(offset)
            .take(limit)
            .filter_map(|r| r["id"].as_i64())
            .collect())
    }

    fn create_orders(&mut self, kw: &Value) -> Result<Value, OdooFault> {
        let mut made = Vec::new();
        for vals in kw["vals_list"].as_array().cloned().unwrap_or_default() {
            let Some(partner) = vals["partner_id"].as_i64() else {
                return Err(fault(
                    422,
                    "odoo.exceptions.ValidationError",
                    "The operation cannot be completed: Missing required value for the field 'Customer' (partner_id).\nModel: 'Sales Order' (sale.order)\n- create/update: a mandatory field is not set",
                ));
            };
            self.next_order += 1;
            let id = self.next_order;
            let name = format!("S{:05}", id);
            let mut line_ids = Vec::new();
            let mut total = 0.0;
            for command in vals["order_line"].as_array().cloned().unwrap_or_default() {
                let line = &command[2];
                let product = line["product_id"].as_i64().unwrap_or_default();
                let qty = line["product_uom_qty"].as_f64().unwrap_or(1.0);
                let price = line["price_unit"].as_f64().unwrap_or(10.0);
                total += qty * price;
                let lid = self.new_id();
                let display = self.name_of("product.product", product);
                self.put(
                    "sale.order.line",
                    lid,
                    json!({"order_id": m2o(id, &name), "product_id": m2o(product, &display), "name": display,
                           "product_uom_qty": qty, "price_unit": price, "qty_delivered": 0.0, "move_ids": []}),
                );
                line_ids.push(lid);
            }
            let partner_name = self.name_of("res.partner", partner);
            // Odoo computes the shipping address from the customer's delivery contact.
            let shipping = vals["partner_shipping_id"].as_i64().unwrap_or_else(|| {
                self.all("res.partner")
                    .into_iter()
                    .find(|p| {
                        p.get("parent_id").and_then(id_of) == Some(partner)
                            && p.get("type").and_then(Value::as_str) == Some("delivery")
                    })
                    .and_then(|p| p.get("id").and_then(Value::as_i64))
                    .unwrap_or(partner)
            });
            let shipping = m2o(shipping, &self.name_of("res.partner", shipping));
            let carrier = vals["carrier_id"].as_i64().map_or(json!(false), |c| {
                m2o(c, &self.name_of("delivery.carrier", c))
            });
            let incoterm = vals["incoterm"].as_i64().map_or(json!(false), |i| {
                m2o(i, &self.name_of("account.incoterms", i))
            });
            let stamp = now();
            self.put(
                "sale.order",
                id,
                json!({"name": name, "state": "draft", "partner_id": m2o(partner, &partner_name),
                       "date_order": stamp[..19], "commitment_date": vals.get("commitment_date").cloned().unwrap_or(json!(false)),
                       "amount_total": total, "order_line": line_ids, "picking_ids": [], "delivery_status": false,
                       "write_date": stamp, "carrier_id": carrier, "partner_shipping_id": shipping,
                       "client_order_ref": vals.get("client_order_ref").cloned().unwrap_or(json!(false)),
                       "warehouse_id": m2o(1, "YourCompany"), "user_id": m2o(2, "Mitchell Admin"),
                       "incoterm": incoterm,
                       "incoterm_location": vals.get("incoterm_location").cloned().unwrap_or(json!(false))}),
            );
            self.order_webhook(id);
            made.push(id);
        }
        Ok(json!(made))
    }

    fn touch(&mut self, model: &str, id: i64, changes: Value) -> Result<(), OdooFault> {
        let r = self.get_mut(model, id)?;
        for (k, v) in changes.as_object().cloned().unwrap_or_default() {
            r.insert(k, v);
        }
        r.insert("write_date".into(), json!(now()));
        Ok(())
    }

    /// Confirms an order: its delivery picking, reserved, and the webhooks Odoo 19 sent then.
    fn confirm(&mut self, id: i64) -> Result<(), OdooFault> {
        let order = self.get_mut("sale.order", id)?.clone();
        if order["state"] != "draft" && order["state"] != "sent" {
            return Err(fault(
                422,
                "odoo.exceptions.UserError",
                "Some orders are not in a state requiring confirmation.",
            ));
        }
        let confirmed = if self.version <= 17 && self.lock_confirmed {
            "done"
        } else {
            "sale"
        };
        self.touch("sale.order", id, json!({"state": confirmed}))?;
        self.order_webhook(id);
        let name = order["name"].as_str().unwrap_or_default().to_string();
        let pid = self.new_id();
        let mut moves = Vec::new();
        for line in ids_of(&order["order_line"]) {
            let l = self
                .get("sale.order.line", line)
                .cloned()
                .unwrap_or_default();
            let mid = self.new_id();
            self.put(
                "stock.move",
                mid,
                json!({"product_id": l["product_id"], "product_uom_qty": l["product_uom_qty"], "quantity": l["product_uom_qty"],
                       "picked": false, "state": "assigned", "sale_line_id": m2o(line, &name), "picking_id": m2o(pid, "")}),
            );
            moves.push(mid);
        }
        // The delivery goes to the shipping address, by the order's delivery method.
        let partner = order
            .get("partner_shipping_id")
            .filter(|p| p.is_array())
            .unwrap_or(&order["partner_id"])
            .clone();
        let carrier = order.get("carrier_id").cloned().unwrap_or(json!(false));
        self.put(
            "stock.picking",
            pid,
            json!({"name": format!("WH/OUT/{:05}", pid), "state": "draft", "origin": name, "sale_id": false,
                   "picking_type_code": "outgoing", "carrier_tracking_ref": false, "move_ids": [], "partner_id": partner,
                   "backorder_id": false, "date_done": false, "scheduled_date": now()[..19], "carrier_id": carrier,
                   "priority": "0", "note": false, "move_line_ids": [], "write_date": now()}),
        );
        // Built inside the transaction: twice the same draft, then the ready picking.
        self.picking_webhook(pid);
        self.picking_webhook(pid);
        // Reserved when there is stock; waiting (`confirmed`) until some arrives.
        let state = if self.in_stock(&moves) {
            "assigned"
        } else {
            "confirmed"
        };
        self.touch(
            "stock.picking",
            pid,
            json!({"state": state, "sale_id": m2o(id, &name), "move_ids": moves}),
        )?;
        if state == "assigned" {
            self.reserve(pid, &moves);
        }
        self.picking_webhook(pid);
        self.touch(
            "sale.order",
            id,
            json!({"picking_ids": [pid], "delivery_status": "pending"}),
        )?;
        self.order_webhook(id);
        Ok(())
    }

    /// Whether every move's product has stock on hand (`move_type` direct: some is enough).
    fn in_stock(&self, moves: &[i64]) -> bool {
        moves.iter().all(|m| {
            let product = self
                .get("stock.move", *m)
                .and_then(|mv| mv.get("product_id").and_then(id_of));
            self.all("stock.quant").iter().any(|q| {
                q.get("product_id").and_then(id_of) == product
                    && q.get("quantity").and_then(Value::as_f64).unwrap_or(0.0) > 0.0
            })
        })
    }

    /// Stock arrived: waiting deliveries are reserved by themselves, as Odoo does, changing the
    /// picking (its state and `write_date`) but not the sale order (15_picking_ready_later.json).
    fn reserve_waiting(&mut self) {
        let waiting: Vec<(i64, Vec<i64>)> = self
            .all("stock.picking")
            .into_iter()
            .filter(|p| p.get("state").and_then(Value::as_str) == Some("confirmed"))
            .filter_map(|p| Some((p.get("id")?.as_i64()?, ids_of(p.get("move_ids")?))))
            .collect();
        for (id, moves) in waiting {
            if self.in_stock(&moves)
                && self
                    .touch("stock.picking", id, json!({"state": "assigned"}))
                    .is_ok()
            {
                self.reserve(id, &moves);
                self.picking_webhook(id);
            }
        }
    }

    /// `copy` of a picking: a draft with copies of its moves (their demand as done), the
    /// `default` values applied; it joins its sale order's pickings.
    fn copy_picking(&mut self, id: i64, default: &Value) -> Result<i64, OdooFault> {
        let original = self.get_mut("stock.picking", id)?.clone();
        let copy_id = self.new_id();
        let mut moves = Vec::new();
        for m in ids_of(&original["move_ids"]) {
            let Some(mv) = self.get("stock.move", m).cloned() else {
                continue;
            };
            let mid = self.new_id();
            self.put(
                "stock.move",
                mid,
                json!({"product_id": mv["product_id"], "product_uom_qty": mv["product_uom_qty"], "quantity": 0.0,
                       "picked": false, "state": "draft", "sale_line_id": mv.get("sale_line_id").cloned().unwrap_or(json!(false)),
                       "picking_id": m2o(copy_id, ""), "write_date": now()}),
            );
            moves.push(mid);
        }
        let mut copy = original.clone();
        copy.insert("name".into(), json!(format!("WH/OUT/{copy_id:05}")));
        copy.insert("state".into(), json!("draft"));
        copy.insert("move_ids".into(), json!(moves));
        copy.insert("move_line_ids".into(), json!([]));
        copy.insert("date_done".into(), json!(false));
        copy.insert("backorder_id".into(), json!(false));
        copy.insert("write_date".into(), json!(now()));
        for (k, v) in default.as_object().cloned().unwrap_or_default() {
            copy.insert(k, v);
        }
        self.put("stock.picking", copy_id, Value::Object(copy));
        if let Some(order) = id_of(&original["sale_id"]) {
            let mut pickings = ids_of(&self.get_mut("sale.order", order)?["picking_ids"]);
            pickings.push(copy_id);
            self.touch("sale.order", order, json!({"picking_ids": pickings}))?;
        }
        Ok(copy_id)
    }

    /// `move_ids` commands written on a picking: `[0, 0, vals]` adds a move, confirmed at once
    /// and reserved when there is stock (Odoo confirms moves added to a confirmed picking).
    fn add_moves(&mut self, picking: i64, commands: &Value) -> Result<(), OdooFault> {
        let origin = self.get_mut("stock.picking", picking)?.clone();
        let mut move_ids = ids_of(&origin["move_ids"]);
        for command in commands.as_array().into_iter().flatten() {
            if command.get(0).and_then(Value::as_i64) != Some(0) {
                continue;
            }
            let vals = &command[2];
            if vals.get("name").is_some() && !self.move_has_name {
                return Err(fault(
                    500,
                    "builtins.ValueError",
                    "Invalid field 'name' on model 'stock.move'",
                ));
            }
            if vals.get("name").is_none() && self.move_has_name {
                return Err(fault(
                    422,
                    "odoo.exceptions.ValidationError",
                    "The operation cannot be completed: Missing required value for the field 'Description' (name).\nModel: 'Stock Move' (stock.move)",
                ));
            }
            let product = vals["product_id"].as_i64().unwrap_or_default();
            let qty = vals["product_uom_qty"].as_f64().unwrap_or_default();
            let id = self.new_id();
            let display = self.name_of("product.product", product);
            self.put(
                "stock.move",
                id,
                json!({"product_id": m2o(product, &display), "product_uom_qty": qty, "quantity": 0.0,
                       "picked": false, "state": "confirmed", "sale_line_id": false,
                       "picking_id": m2o(picking, ""), "write_date": now()}),
            );
            if let (Some(name), Ok(mv)) =
                (vals.get("name").cloned(), self.get_mut("stock.move", id))
            {
                mv.insert("name".into(), name);
            }
            if self.in_stock(&[id]) {
                let mv = self.get_mut("stock.move", id)?;
                mv.insert("state".into(), json!("assigned"));
                mv.insert("quantity".into(), json!(qty));
            }
            move_ids.push(id);
        }
        let p = self.get_mut("stock.picking", picking)?;
        p.insert("move_ids".into(), json!(move_ids));
        p.insert("write_date".into(), json!(now()));
        Ok(())
    }

    /// Reserving a delivery makes one detailed operation (`stock.move.line`) per move, from the
    /// quant it takes: its location and, for a tracked product, its lot.
    fn reserve(&mut self, picking: i64, moves: &[i64]) {
        let mut lines = Vec::new();
        for m in moves {
            let Some(mv) = self.get("stock.move", *m).cloned() else {
                continue;
            };
            let product = mv.get("product_id").and_then(id_of);
            let quant = self
                .all("stock.quant")
                .into_iter()
                .find(|q| q.get("product_id").and_then(id_of) == product)
                .cloned()
                .unwrap_or_default();
            let id = self.new_id();
            self.put(
                "stock.move.line",
                id,
                json!({"move_id": m2o(*m, ""), "picking_id": m2o(picking, ""), "product_id": mv["product_id"],
                       "lot_id": quant.get("lot_id").cloned().unwrap_or(json!(false)),
                       "location_id": quant.get("location_id").cloned().unwrap_or(json!(false)),
                       "quantity": mv["product_uom_qty"], "write_date": now()}),
            );
            lines.push(id);
        }
        if let Ok(p) = self.get_mut("stock.picking", picking) {
            p.insert("move_line_ids".into(), json!(lines));
        }
    }

    fn cancel(&mut self, id: i64) -> Result<(), OdooFault> {
        let order = self.get_mut("sale.order", id)?.clone();
        for p in ids_of(&order["picking_ids"]) {
            if self.get("stock.picking", p).map(|r| r["state"] != "done") == Some(true) {
                self.touch("stock.picking", p, json!({"state": "cancel"}))?;
            }
        }
        self.touch("sale.order", id, json!({"state": "cancel"}))?;
        self.order_webhook(id);
        Ok(())
    }

    fn button_validate(&mut self, ids: &[i64], context: &Value) -> Result<Value, OdooFault> {
        let id = *ids
            .first()
            .ok_or_else(|| fault(422, "odoo.exceptions.UserError", "Nothing to validate."))?;
        let moves = ids_of(&self.get_mut("stock.picking", id)?["move_ids"]);
        let qty = |s: &Self, m: i64, f: &str| {
            s.get("stock.move", m)
                .and_then(|r| r[f].as_f64())
                .unwrap_or(0.0)
        };
        if moves.iter().all(|m| qty(self, *m, "quantity") == 0.0) {
            return Err(fault(
                422,
                "odoo.exceptions.UserError",
                "Transfer trouble alert! Validating a zero quantity transfer? Please set quantities first.",
            ));
        }
        let short = moves
            .iter()
            .any(|m| qty(self, *m, "quantity") < qty(self, *m, "product_uom_qty"));
        // `always_ask_backorder` ignores the caller's decision, not the wizard's own answer.
        let answered = context["backorder_answered"] == true;
        if short && !answered && (self.always_ask_backorder || context["skip_backorder"] != true) {
            return Ok(
                json!({"name": "Create Backorder?", "type": "ir.actions.act_window",
                "res_model": "stock.backorder.confirmation", "target": "new", "view_id": 938,
                "views": [[938, "form"]],
                "context": {"button_validate_picking_ids": [id], "default_show_transfers": false,
                            "default_pick_ids": [[4, id]]}}),
            );
        }
        if let Some(model) = &self.validation_wizard {
            return Ok(
                json!({"type": "ir.actions.act_window", "res_model": model, "target": "new",
                             "context": {"button_validate_picking_ids": [id]}}),
            );
        }
        let company = Value::Object(self.get("res.company", 1).cloned().unwrap_or_default());
        let texting = company["stock_text_confirmation"] == true;
        let has_phone = self
            .get("stock.picking", id)
            .and_then(|p| p.get("partner_id").and_then(id_of))
            .and_then(|partner| self.get("res.partner", partner))
            .and_then(|p| p.get("phone").and_then(Value::as_str))
            .is_some_and(|phone| !phone.is_empty());
        // stock_sms's `_pre_action_done_hook`: the one-time warning, unless `skip_sms`.
        if texting
            && has_phone
            && company["has_received_warning_stock_sms"] != true
            && (self.always_ask_sms || context["skip_sms"] != true)
        {
            let wizard = self.new_id();
            self.put("confirm.stock.sms", wizard, json!({"pick_ids": [id]}));
            let mut action_context = context.as_object().cloned().unwrap_or_default();
            action_context.insert("button_validate_picking_ids".into(), json!([id]));
            return Ok(
                json!({"name": "SMS", "type": "ir.actions.act_window", "view_mode": "form",
                "res_model": "confirm.stock.sms", "views": [[1128, "form"]], "view_id": 1128,
                "target": "new", "res_id": wizard, "context": action_context}),
            );
        }
        let no_backorder = context["picking_ids_not_to_backorder"]
            .as_array()
            .is_some_and(|a| a.contains(&json!(id)));
        self.validate(id, !no_backorder)?;
        // `_send_confirmation_email`: the text goes out whatever `skip_sms` said (only
        // `skip_text` stops it).
        if texting && has_phone && context["skip_text"] != true {
            self.sms_sent.push(id);
        }
        Ok(json!(true))
    }

    /// Done with what was picked; the rest on a backorder, or cancelled.
    fn validate(&mut self, id: i64, backorder: bool) -> Result<(), OdooFault> {
        let picking = self.get_mut("stock.picking", id)?.clone();
        let mut rest = Vec::new();
        for m in ids_of(&picking["move_ids"]) {
            let mv = self.get_mut("stock.move", m)?;
            let demand = mv["product_uom_qty"].as_f64().unwrap_or(0.0);
            let done = mv["quantity"].as_f64().unwrap_or(0.0);
            mv.insert("product_uom_qty".into(), json!(done));
            mv.insert("state".into(), json!("done"));
            if done < demand {
                rest.push((
                    mv["product_id"].clone(),
                    demand - done,
                    mv["sale_line_id"].clone(),
                ));
            }
            if let Some(line) = id_of(&mv["sale_line_id"]) {
                if let Ok(l) = self.get_mut("sale.order.line", line) {
                    let delivered = l["qty_delivered"].as_f64().unwrap_or(0.0) + done;
                    l.insert("qty_delivered".into(), json!(delivered));
                }
            }
        }
        self.touch(
            "stock.picking",
            id,
            json!({"state": "done", "date_done": now()[..19], "priority": "0"}),
        )?;
        self.picking_webhook(id);
        let order_id = id_of(&picking["sale_id"]);
        if backorder && !rest.is_empty() {
            let bid = self.new_id();
            let mut moves = Vec::new();
            for (product, left, line) in rest {
                let mid = self.new_id();
                self.put(
                    "stock.move",
                    mid,
                    json!({"product_id": product, "product_uom_qty": left, "quantity": left, "picked": false,
                           "state": "assigned", "sale_line_id": line, "picking_id": m2o(bid, "")}),
                );
                moves.push(mid);
            }
            let mut copy = picking.clone();
            copy.insert("name".into(), json!(format!("WH/OUT/{:05}", bid)));
            copy.insert("state".into(), json!("assigned"));
            copy.insert("carrier_tracking_ref".into(), json!(false));
            copy.insert("move_ids".into(), json!(moves));
            copy.insert(
                "backorder_id".into(),
                m2o(id, picking["name"].as_str().unwrap_or("")),
            );
            copy.insert("date_done".into(), json!(false));
            copy.insert("write_date".into(), json!(now()));
            self.put("stock.picking", bid, Value::Object(copy));
            if let Some(order) = order_id {
                let mut pickings = ids_of(&self.get_mut("sale.order", order)?["picking_ids"]);
                pickings.push(bid);
                self.touch("sale.order", order, json!({"picking_ids": pickings}))?;
            }
        }
        if let Some(order) = order_id {
            let open = ids_of(&self.get_mut("sale.order", order)?["picking_ids"])
                .into_iter()
                .any(|p| {
                    self.get("stock.picking", p)
                        .is_some_and(|r| r["state"] != "done" && r["state"] != "cancel")
                });
            let status = if open { "partial" } else { "full" };
            self.touch("sale.order", order, json!({"delivery_status": status}))?;
            self.order_webhook(order);
        }
        Ok(())
    }

    /// Odoo's return wizard for a done delivery: one line per move, quantity 0 to fill in.
    fn return_wizard(&mut self, picking_id: i64) -> Result<i64, OdooFault> {
        let picking = self.get_mut("stock.picking", picking_id)?.clone();
        if picking["state"] != "done" {
            return Err(fault(
                422,
                "odoo.exceptions.UserError",
                "You may only return Done pickings.",
            ));
        }
        let wizard = self.new_id();
        let mut lines = Vec::new();
        for m in ids_of(&picking["move_ids"]) {
            let mv = self.get("stock.move", m).cloned().unwrap_or_default();
            let line = self.new_id();
            self.put(
                "stock.return.picking.line",
                line,
                json!({"product_id": mv["product_id"], "quantity": 0.0, "move_quantity": mv["product_uom_qty"],
                       "move_id": m2o(m, "")}),
            );
            lines.push(line);
        }
        self.put(
            "stock.return.picking",
            wizard,
            json!({"picking_id": m2o(picking_id, picking["name"].as_str().unwrap_or("")), "product_return_moves": lines}),
        );
        Ok(wizard)
    }

    /// The incoming return picking, with the wizard's non-zero lines.
    fn create_return(&mut self, wizard: i64) -> Result<Value, OdooFault> {
        let w = self.get_mut("stock.return.picking", wizard)?.clone();
        let picking_id = id_of(&w["picking_id"]).unwrap_or_default();
        let picking = self.get_mut("stock.picking", picking_id)?.clone();
        let rid = self.new_id();
        let mut moves = Vec::new();
        for line in ids_of(&w["product_return_moves"]) {
            let l = self
                .get("stock.return.picking.line", line)
                .cloned()
                .unwrap_or_default();
            let qty = l["quantity"].as_f64().unwrap_or(0.0);
            if qty > 0.0 {
                let mid = self.new_id();
                self.put(
                    "stock.move",
                    mid,
                    json!({"product_id": l["product_id"], "product_uom_qty": qty, "quantity": qty,
                           "picked": false, "sale_line_id": false, "state": "assigned",
                           "picking_id": m2o(rid, "")}),
                );
                moves.push(mid);
            }
        }
        if moves.is_empty() {
            return Err(fault(
                422,
                "odoo.exceptions.UserError",
                "Please specify at least one non-zero quantity.",
            ));
        }
        let name = format!("WH/IN/{rid:05}");
        self.put(
            "stock.picking",
            rid,
            json!({"name": name, "state": "assigned", "origin": format!("Return of {}", picking["name"].as_str().unwrap_or("")),
                   "picking_type_code": "incoming", "return_id": m2o(picking_id, picking["name"].as_str().unwrap_or("")),
                   "sale_id": picking["sale_id"], "move_ids": moves, "carrier_tracking_ref": false,
                   "backorder_id": false, "note": false, "priority": "0", "move_line_ids": [], "write_date": now()}),
        );
        Ok(
            json!({"name": "Returned Picking", "view_mode": "form", "res_model": "stock.picking",
                  "res_id": rid, "type": "ir.actions.act_window", "context": {}}),
        )
    }

    /// The sale.order rule's payload: chosen fields, many2one as bare ids.
    fn order_webhook(&mut self, id: i64) {
        let fields = [
            "name",
            "state",
            "partner_id",
            "amount_total",
            "commitment_date",
            "date_order",
            "write_date",
            "picking_ids",
            "client_order_ref",
            "delivery_status",
        ];
        self.webhook(
            "sale.order",
            id,
            &fields,
            "POST sale.order to integration(#461)",
        );
    }

    fn picking_webhook(&mut self, id: i64) {
        let fields = [
            "carrier_id",
            "carrier_tracking_ref",
            "date_done",
            "move_ids",
            "name",
            "origin",
            "partner_id",
            "picking_type_code",
            "sale_id",
            "scheduled_date",
            "state",
            "write_date",
        ];
        self.webhook(
            "stock.picking",
            id,
            &fields,
            "POST stock.picking to integration(#462)",
        );
    }

    fn webhook(&mut self, model: &str, id: i64, fields: &[&str], action: &str) {
        if self.webhook_url.is_none() {
            return;
        }
        let Some(r) = self.get(model, id) else { return };
        let mut body = Map::new();
        for f in fields {
            let v = r.get(*f).cloned().unwrap_or(Value::Bool(false));
            let v = match &v {
                Value::Array(a) if a.len() == 2 && a[1].is_string() => a[0].clone(),
                _ => v,
            };
            body.insert(f.to_string(), v);
        }
        body.insert("_action".into(), json!(action));
        body.insert("_id".into(), json!(id));
        body.insert("_model".into(), json!(model));
        body.insert("id".into(), json!(id));
        self.outgoing.push(Value::Object(body));
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        _ => id_of(a).cmp(&id_of(b)),
    }
}

/// Whether a record satisfies a domain of `[field, operator, value]` terms (all of them).
/// SQL `LIKE`: `%` matches any run of characters, `_` exactly one.
fn sql_like(pattern: &str, text: &str) -> bool {
    let translated: String = pattern
        .chars()
        .map(|c| match c {
            '%' => ".*".to_string(),
            '_' => ".".to_string(),
            c => regex::escape(&c.to_string()),
        })
        .collect();
    regex::Regex::new(&format!("(?s)^{translated}$")).is_ok_and(|r| r.is_match(text))
}

fn matches(r: &Record, domain: &Value) -> Result<bool, OdooFault> {
    for term in domain.as_array().into_iter().flatten() {
        let Some(t) = term.as_array().filter(|t| t.len() == 3) else {
            continue; // "&" is the default; "|" and "!" are not modelled
        };
        let field = t[0].as_str().unwrap_or_default();
        if field.contains('.') {
            continue; // a related path (location_id.usage): not modelled, always true
        }
        let Some(have) = r.get(field) else {
            return Err(fault(
                422,
                "builtins.ValueError",
                format!("Invalid field {field} in condition {term}"),
            ));
        };
        let want = &t[2];
        let op = t[1].as_str().unwrap_or("=");
        let same = |v: &Value| -> bool {
            match (have, v) {
                (Value::Array(a), Value::Number(_)) if a.len() == 2 && a[1].is_string() => {
                    a[0] == *v
                }
                (Value::Array(a), Value::Number(_)) => a.contains(v),
                _ => have == v,
            }
        };
        let ordering = compare(have, want);
        let ok = match op {
            "=" => same(want),
            "!=" => !same(want),
            "in" => want.as_array().is_some_and(|a| a.iter().any(same)),
            "not in" => !want.as_array().is_some_and(|a| a.iter().any(same)),
            ">" => have != &Value::Bool(false) && ordering.is_gt(),
            ">=" => have != &Value::Bool(false) && !ordering.is_lt(),
            "<" => have != &Value::Bool(false) && ordering.is_lt(),
            "<=" => have != &Value::Bool(false) && !ordering.is_gt(),
            "ilike" | "like" => {
                let needle = want.as_str().unwrap_or_default().to_lowercase();
                have.as_str()
                    .is_some_and(|h| h.to_lowercase().contains(&needle))
            }
            // The pattern is matched as SQL LIKE: `%` any run, `_` one character.
            "=like" | "=ilike" => have.as_str().is_some_and(|h| {
                let (h, p) = if op == "=ilike" {
                    (
                        h.to_lowercase(),
                        want.as_str().unwrap_or_default().to_lowercase(),
                    )
                } else {
                    (h.to_string(), want.as_str().unwrap_or_default().to_string())
                };
                sql_like(&p, &h)
            }),
            other => {
                return Err(fault(
                    422,
                    "builtins.ValueError",
                    format!("Invalid leaf operator {other:?}"),
                ))
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A running stand-in.
#[derive(Clone)]
pub struct OdooStandIn {
    pub url: String,
    pub state: Arc<Mutex<OdooState>>,
    http: reqwest::Client,
}

impl OdooStandIn {
    /// Serves a seeded Odoo on a free loopback port.
    pub async fn start(api_key: &str) -> std::io::Result<Self> {
        Self::serve(OdooState::seeded(api_key), "127.0.0.1:0").await
    }

    pub async fn serve(state: OdooState, addr: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let stand_in = OdooStandIn {
            url,
            state: Arc::new(Mutex::new(state)),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(1))
                .build()
                .expect("a plain HTTP client"),
        };
        let app = Router::new()
            .route("/json/2/{model}/{method}", post(json2))
            .route("/jsonrpc", post(jsonrpc))
            .route("/web/version", get(version))
            .with_state(stand_in.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(stand_in)
    }

    /// A JSON-2 client of the real connector, pointed at this stand-in with its database and key.
    /// A stand-in of an older Odoo (17 or 18), as `OdooState::version` describes.
    pub async fn start_version(api_key: &str, version: u8) -> std::io::Result<Self> {
        let mut state = OdooState::seeded(api_key);
        state.version = version;
        state.move_has_name = version < 19;
        Self::serve(state, "127.0.0.1:0").await
    }

    /// A JSON-RPC client (`/jsonrpc`, `execute_kw` with the API key), as Odoo 17 and 18 are called.
    pub fn jsonrpc_client(&self) -> Result<OdooClient, OdooError> {
        let (database, api_key) = self.with(|o| (o.database.clone(), o.api_key.clone()));
        OdooClient::new(OdooConfig {
            base_url: self.url.clone(),
            database,
            protocol: Protocol::JsonRpc {
                uid: 2,
                secret: secrecy::SecretString::from(api_key),
            },
            timeout: Duration::from_secs(5),
            targets: crate::connectors::http::Targets::AllowPrivate,
        })
    }

    pub fn json2_client(&self) -> Result<OdooClient, OdooError> {
        let (database, api_key) = self.with(|o| (o.database.clone(), o.api_key.clone()));
        OdooClient::new(OdooConfig {
            base_url: self.url.clone(),
            database,
            protocol: Protocol::Json2 {
                api_key: secrecy::SecretString::from(api_key),
            },
            timeout: Duration::from_secs(5),
            targets: crate::connectors::http::Targets::AllowPrivate,
        })
    }

    fn note_correlation(&self, headers: &HeaderMap) {
        if let Some(id) = headers
            .get("x-correlation-id")
            .and_then(|v| v.to_str().ok())
        {
            self.with(|s| s.correlation_ids.push(id.to_string()));
        }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut OdooState) -> R) -> R {
        f(&mut self.state.lock().expect("the stand-in's state"))
    }

    /// Calls a method as a user in Odoo's UI would, then sends the webhooks it caused.
    pub async fn act(
        &self,
        model: &str,
        method: &str,
        ids: &[i64],
        kw: Value,
    ) -> Result<Value, OdooFault> {
        let (answer, outgoing) = self.with(|s| {
            let answer = s.call(model, method, ids, &kw);
            (answer, std::mem::take(&mut s.outgoing))
        });
        self.send_webhooks(outgoing).await;
        answer
    }

    /// Creates a draft order of (product id, quantity) lines; returns its id and name.
    pub async fn create_order(
        &self,
        partner: i64,
        lines: &[(i64, f64)],
        customer_po: &str,
    ) -> (i64, String) {
        let order_line: Vec<Value> = lines
            .iter()
            .map(|(p, q)| json!([0, 0, {"product_id": p, "product_uom_qty": q}]))
            .collect();
        let made = self
            .act(
                "sale.order",
                "create",
                &[],
                json!({"vals_list": [{"partner_id": partner, "client_order_ref": customer_po, "order_line": order_line}]}),
            )
            .await
            .expect("a valid order");
        let id = made[0].as_i64().expect("an id");
        let name = self.with(|s| s.get("sale.order", id).expect("created")["name"].clone());
        (id, name.as_str().unwrap_or_default().to_string())
    }

    pub async fn confirm(&self, order_id: i64) {
        self.act("sale.order", "action_confirm", &[order_id], json!({}))
            .await
            .expect("a draft order confirms");
    }

    /// Odoo posts each webhook once, waits at most a second, and forgets failures.
    async fn send_webhooks(&self, outgoing: Vec<Value>) {
        let Some(url) = self.with(|s| s.webhook_url.clone()) else {
            return;
        };
        for body in outgoing {
            if let Err(error) = self.http.post(&url).json(&body).send().await {
                tracing::debug!(%error, "Webhook call failed (Odoo does not retry)");
            }
        }
    }

    fn take_fault(&self) -> Option<Fault> {
        self.with(|s| s.faults.pop_front())
    }
}

/// The server version as each API reports it.
fn server_version(version: u8) -> (Value, String) {
    let text = if version >= 19 {
        "19.0+e-20251227".to_string()
    } else {
        format!("{version}.0")
    };
    (json!([version, 0, 0, "final", 0, ""]), text)
}

async fn version(State(odoo): State<OdooStandIn>) -> Json<Value> {
    let (info, text) = server_version(odoo.with(|s| s.version));
    Json(json!({"version_info": info, "version": text}))
}

fn json2_error(f: &OdooFault) -> Response {
    (
        StatusCode::from_u16(f.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(json!({"name": f.name, "message": f.message, "arguments": [f.message, f.status],
                    "context": {}, "debug": format!("Traceback (most recent call last):\n{}: {}\n", f.name, f.message)})),
    )
        .into_response()
}

/// The queued fault's answer, or `None` to answer normally (after a slow pause).
async fn faulted(odoo: &OdooStandIn, rpc_id: Option<&Value>) -> Option<Response> {
    match odoo.take_fault()? {
        Fault::Slow(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Fault::TooMany { retry_after } => Some(
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", retry_after.to_string())],
                "Too Many Requests",
            )
                .into_response(),
        ),
        Fault::Status(status) => {
            let f = fault(
                status,
                "psycopg2.OperationalError",
                "server closed the connection unexpectedly",
            );
            Some(match rpc_id {
                Some(id) => Json(rpc_error(id, &f, odoo.with(|s| s.version))).into_response(),
                None => json2_error(&f),
            })
        }
    }
}

async fn json2(
    State(odoo): State<OdooStandIn>,
    Path((model, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    odoo.note_correlation(&headers);
    // JSON-2 came with Odoo 19; an older server has no such route.
    if odoo.with(|s| s.version) < 19 {
        return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
    }
    let key = odoo.with(|s| s.api_key.clone());
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(7..)
                .filter(|_| v[..7].eq_ignore_ascii_case("bearer "))
        });
    match bearer {
        None => {
            let f = fault(
                401,
                "werkzeug.exceptions.Unauthorized",
                "User not authenticated, use an API Key with a Bearer Authorization header.",
            );
            return json2_error(&f);
        }
        Some(k) if k != key => {
            return json2_error(&fault(
                401,
                "werkzeug.exceptions.Unauthorized",
                "Invalid apikey",
            ))
        }
        Some(_) => {}
    }
    if let Some(answer) = faulted(&odoo, None).await {
        return answer;
    }
    let kw: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return json2_error(&fault(
                400,
                "werkzeug.exceptions.BadRequest",
                format!("Invalid JSON data: {e}"),
            ))
        }
    };
    let ids = ids_of(&kw["ids"]);
    match odoo.act(&model, &method, &ids, kw).await {
        Ok(v) => Json(v).into_response(),
        Err(f) => json2_error(&f),
    }
}

fn rpc_error(id: &Value, f: &OdooFault, version: u8) -> Value {
    // Odoo 18 and earlier answer JSON-RPC errors with code 200; 19 with 0 (as recorded).
    let code = if version >= 19 { 0 } else { 200 };
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": "Odoo Server Error",
           "data": {"name": f.name, "message": f.message, "arguments": [f.message], "context": {},
                    "debug": format!("{}: {}\n", f.name, f.message)}}})
}

async fn jsonrpc(
    State(odoo): State<OdooStandIn>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> Response {
    odoo.note_correlation(&headers);
    let id = request["id"].clone();
    if let Some(answer) = faulted(&odoo, Some(&id)).await {
        return answer;
    }
    let params = &request["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let (database, key) = odoo.with(|s| (s.database.clone(), s.api_key.clone()));
    let answer = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => {
            let version = odoo.with(|s| s.version);
            let (info, text) = server_version(version);
            Ok(json!({"server_version": text, "server_version_info": info,
                      "server_serie": format!("{version}.0"), "protocol_version": 1}))
        }
        (Some("common"), Some("login" | "authenticate")) => Ok(
            if args.get(2).and_then(Value::as_str) == Some(key.as_str()) {
                json!(2)
            } else {
                json!(false)
            },
        ),
        (Some("object"), Some("execute_kw")) => {
            if args.first().and_then(Value::as_str) != Some(database.as_str()) {
                Err(fault(
                    200,
                    "psycopg2.OperationalError",
                    format!(
                        "connection to server failed: FATAL:  database \"{}\" does not exist\n",
                        args.first().and_then(Value::as_str).unwrap_or("")
                    ),
                ))
            } else if args.get(2).and_then(Value::as_str) != Some(key.as_str()) {
                Err(fault(200, "odoo.exceptions.AccessDenied", "Access Denied"))
            } else {
                let model = args.get(3).and_then(Value::as_str).unwrap_or_default();
                let method = args.get(4).and_then(Value::as_str).unwrap_or_default();
                let positional = args.get(5).cloned().unwrap_or(json!([]));
                let mut kw = args.get(6).cloned().unwrap_or(json!({}));
                // Positional arguments as execute_kw takes them: record ids first for record
                // methods, the domain for searches, the values for create and write.
                let ids = if matches!(method, "search" | "search_read" | "search_count") {
                    if kw.get("domain").is_none() {
                        kw["domain"] = positional.get(0).cloned().unwrap_or(json!([]));
                    }
                    Vec::new()
                } else if method == "create" {
                    // Values given positionally, or as the `vals_list` keyword.
                    if let Some(vals) = positional.get(0).cloned() {
                        kw["vals_list"] = if vals.is_array() { vals } else { json!([vals]) };
                    }
                    Vec::new()
                } else {
                    if method == "write" {
                        if let Some(vals) = positional.get(1).cloned() {
                            kw["vals"] = vals;
                        }
                    }
                    if method == "read" && kw.get("fields").is_none() {
                        kw["fields"] = positional.get(1).cloned().unwrap_or(Value::Null);
                    }
                    ids_of(&positional.get(0).cloned().unwrap_or(json!([])))
                };
                odoo.act(model, method, &ids, kw).await.map(|v| {
                    if method == "create" && positional.get(0).is_some_and(Value::is_object) {
                        v[0].clone()
                    } else {
                        v
                    }
                })
            }
        }
        _ => Err(fault(
            200,
            "werkzeug.exceptions.NotFound",
            "the service or method does not exist",
        )),
    };
    Json(match answer {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(f) => rpc_error(&id, &f, odoo.with(|s| s.version)),
    })
    .into_response()
}
