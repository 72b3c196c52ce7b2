//! Dispatch write-back against a stand-in Odoo 19 (JSON-2) that keeps pickings and moves as the
//! recorded server does: `button_validate` returns the backorder wizard when a picking is short
//! unless the context decides, `skip_backorder` with `picking_ids_not_to_backorder` cancels the
//! rest, a zero-quantity validation is a UserError. Then through the job runner, with Odoo
//! failing once: the write-back happens exactly once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use secrecy::SecretString;
use serde_json::{json, Value};
use server::sync::connectors::odoo::client::{OdooClient, OdooConfig, Protocol};
use server::sync::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::sync::retry::Failure;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
struct Move {
    product_id: i64,
    demand: f64,
    quantity: f64,
}

#[derive(Clone, Debug)]
struct Picking {
    name: String,
    origin: String,
    state: String,
    tracking: Option<String>,
    moves: Vec<i64>,
    backorder_of: Option<i64>,
}

#[derive(Default)]
struct Odoo {
    pickings: BTreeMap<i64, Picking>,
    moves: BTreeMap<i64, Move>,
    products: BTreeMap<i64, String>,
    next_id: i64,
    /// Behave as if the context flags were unknown: always ask through the wizard.
    always_ask: bool,
    /// Answer the next N calls with HTTP 500.
    fail_next: usize,
    calls: Vec<String>,
}

type Shared = Arc<Mutex<Odoo>>;

fn odoo_error(status: StatusCode, name: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"name": name, "message": message, "arguments": [message], "context": {}})),
    )
        .into_response()
}

impl Odoo {
    fn with_order(order: &str) -> Self {
        let mut odoo = Odoo {
            next_id: 100,
            ..Odoo::default()
        };
        odoo.products.insert(21, "E-COM08".into());
        odoo.products.insert(26, "E-COM11".into());
        odoo.moves.insert(
            44,
            Move {
                product_id: 21,
                demand: 5.0,
                quantity: 5.0,
            },
        );
        odoo.moves.insert(
            45,
            Move {
                product_id: 26,
                demand: 3.0,
                quantity: 3.0,
            },
        );
        odoo.pickings.insert(
            22,
            Picking {
                name: "WH/OUT/00017".into(),
                origin: order.into(),
                state: "assigned".into(),
                tracking: None,
                moves: vec![44, 45],
                backorder_of: None,
            },
        );
        odoo
    }

    fn ids(body: &Value) -> Vec<i64> {
        body["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    }

    fn picking_json(&self, id: i64) -> Value {
        let p = &self.pickings[&id];
        json!({"id": id, "name": p.name, "state": p.state, "origin": p.origin,
               "carrier_tracking_ref": p.tracking.clone().map(Value::from).unwrap_or(Value::Bool(false)),
               "move_ids": p.moves, "backorder_id": p.backorder_of.map(Value::from).unwrap_or(Value::Bool(false))})
    }

    /// Done with what was picked; the rest on a backorder, or cancelled.
    fn validate(&mut self, id: i64, backorder: bool) {
        let mut rest = Vec::new();
        for move_id in self.pickings[&id].moves.clone() {
            let m = self.moves.get_mut(&move_id).unwrap();
            if m.quantity < m.demand {
                let left = m.demand - m.quantity;
                m.demand = m.quantity;
                rest.push((m.product_id, left));
            }
        }
        let picking = self.pickings.get_mut(&id).unwrap();
        picking.state = "done".into();
        let origin = picking.origin.clone();
        if backorder && !rest.is_empty() {
            let mut moves = Vec::new();
            for (product_id, left) in rest {
                self.next_id += 1;
                self.moves.insert(
                    self.next_id,
                    Move {
                        product_id,
                        demand: left,
                        quantity: left,
                    },
                );
                moves.push(self.next_id);
            }
            self.next_id += 1;
            self.pickings.insert(
                self.next_id,
                Picking {
                    name: format!("WH/OUT/{:05}", self.next_id),
                    origin,
                    state: "assigned".into(),
                    tracking: None,
                    moves,
                    backorder_of: Some(id),
                },
            );
        }
    }

    fn handle(&mut self, model: &str, method: &str, body: &Value) -> Response {
        self.calls.push(format!("{model}.{method}"));
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return odoo_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "builtins.RuntimeError",
                "database busy",
            );
        }
        let ids = Odoo::ids(body);
        match (model, method) {
            ("stock.picking", "search_read") => {
                let origin = body["domain"][0][2].as_str().unwrap_or_default();
                let found: Vec<Value> = self
                    .pickings
                    .iter()
                    .filter(|(_, p)| p.origin == origin)
                    .map(|(id, _)| self.picking_json(*id))
                    .collect();
                Json(found).into_response()
            }
            ("stock.picking", "write") => {
                for id in &ids {
                    if let Some(t) = body["vals"]["carrier_tracking_ref"].as_str() {
                        self.pickings.get_mut(id).unwrap().tracking = Some(t.into());
                    }
                }
                Json(true).into_response()
            }
            ("stock.move", "read") => Json(
                ids.iter()
                    .filter_map(|id| {
                        let m = self.moves.get(id)?;
                        Some(json!({"id": id, "product_id": [m.product_id, format!("[{}] Product", self.products[&m.product_id])],
                                    "product_uom_qty": m.demand}))
                    })
                    .collect::<Vec<_>>(),
            )
            .into_response(),
            ("stock.move", "write") => {
                for id in &ids {
                    self.moves.get_mut(id).unwrap().quantity = body["vals"]["quantity"].as_f64().unwrap();
                }
                Json(true).into_response()
            }
            ("product.product", "read") => Json(
                ids.iter()
                    .map(|id| json!({"id": id, "default_code": self.products[id]}))
                    .collect::<Vec<_>>(),
            )
            .into_response(),
            ("stock.picking", "button_validate") => {
                let id = ids[0];
                let moves = &self.pickings[&id].moves;
                if moves.iter().all(|m| self.moves[m].quantity == 0.0) {
                    return odoo_error(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "odoo.exceptions.UserError",
                        "Transfer trouble alert! Validating a zero quantity transfer? Please set quantities first.",
                    );
                }
                let short = moves.iter().any(|m| self.moves[m].quantity < self.moves[m].demand);
                let context = &body["context"];
                if short && (self.always_ask || context["skip_backorder"] != true) {
                    return Json(json!({"name": "Create Backorder?", "type": "ir.actions.act_window",
                        "res_model": "stock.backorder.confirmation", "target": "new",
                        "context": {"button_validate_picking_ids": [id], "default_show_transfers": false,
                                    "default_pick_ids": [[4, id]]}}))
                    .into_response();
                }
                let no_backorder = context["picking_ids_not_to_backorder"]
                    .as_array()
                    .is_some_and(|a| a.contains(&json!(id)));
                self.validate(id, !no_backorder);
                Json(true).into_response()
            }
            ("stock.backorder.confirmation", "create") => Json(json!([7])).into_response(),
            ("stock.backorder.confirmation", "process" | "process_cancel_backorder") => {
                let id = body["context"]["button_validate_picking_ids"][0].as_i64().unwrap();
                self.validate(id, method == "process");
                Json(true).into_response()
            }
            _ => odoo_error(
                StatusCode::NOT_FOUND,
                "werkzeug.exceptions.NotFound",
                &format!("The method '{model}.{method}' does not exist"),
            ),
        }
    }
}

async fn json2(
    State(odoo): State<Shared>,
    Path((model, method)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    odoo.lock().unwrap().handle(&model, &method, &body)
}

async fn stand_in(odoo: Odoo) -> (OdooClient, Shared) {
    let shared = Arc::new(Mutex::new(odoo));
    let app = Router::new()
        .route("/json/2/{model}/{method}", post(json2))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = OdooClient::new(OdooConfig {
        base_url: base,
        database: "odoo_probe".into(),
        protocol: Protocol::Json2 {
            api_key: SecretString::from("key".to_string()),
        },
        timeout: Duration::from_secs(5),
    })
    .unwrap();
    (client, shared)
}

fn shipped(lines: &[(&str, f64)], backorder: bool) -> Dispatch {
    Dispatch {
        order_ref: "S00026".into(),
        tracking_number: "1Z999AA10123456784".into(),
        lines: lines
            .iter()
            .map(|(sku, qty)| ShippedLine {
                sku: sku.to_string(),
                qty_shipped: *qty,
            })
            .collect(),
        backorder,
    }
}

#[tokio::test]
async fn a_full_dispatch_sets_tracking_and_validates_without_a_backorder() {
    let (client, odoo) = stand_in(Odoo::with_order("S00026")).await;
    dispatch(
        &client,
        &shipped(&[("E-COM08", 5.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    let odoo = odoo.lock().unwrap();
    let picking = &odoo.pickings[&22];
    assert_eq!(picking.state, "done");
    assert_eq!(picking.tracking.as_deref(), Some("1Z999AA10123456784"));
    assert_eq!(odoo.pickings.len(), 1, "no backorder");
}

#[tokio::test]
async fn a_short_dispatch_leaves_the_rest_on_a_backorder_when_the_wms_says_so() {
    let (client, odoo) = stand_in(Odoo::with_order("S00026")).await;
    dispatch(
        &client,
        &shipped(&[("E-COM08", 5.0), ("E-COM11", 1.0)], true),
    )
    .await
    .unwrap();
    let odoo = odoo.lock().unwrap();
    let (_, backorder) = odoo
        .pickings
        .iter()
        .find(|(_, p)| p.backorder_of == Some(22))
        .expect("a backorder");
    assert_eq!(backorder.state, "assigned");
    assert_eq!(
        backorder.tracking, None,
        "the backorder has no tracking yet"
    );
    let left: f64 = backorder.moves.iter().map(|m| odoo.moves[m].demand).sum();
    assert_eq!(left, 2.0);
}

#[tokio::test]
async fn a_short_final_dispatch_cancels_the_rest() {
    let (client, odoo) = stand_in(Odoo::with_order("S00026")).await;
    dispatch(
        &client,
        &shipped(&[("E-COM08", 5.0), ("E-COM11", 1.0)], false),
    )
    .await
    .unwrap();
    let odoo = odoo.lock().unwrap();
    assert_eq!(odoo.pickings.len(), 1, "no backorder");
    assert_eq!(odoo.pickings[&22].state, "done");
}

#[tokio::test]
async fn the_backorder_wizard_is_answered_when_odoo_asks() {
    let mut standing = Odoo::with_order("S00026");
    standing.always_ask = true;
    let (client, odoo) = stand_in(standing).await;
    dispatch(
        &client,
        &shipped(&[("E-COM08", 2.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    let odoo = odoo.lock().unwrap();
    assert!(odoo
        .calls
        .contains(&"stock.backorder.confirmation.process".to_string()));
    assert!(odoo.pickings.values().any(|p| p.backorder_of == Some(22)));
}

#[tokio::test]
async fn a_second_run_after_a_lost_answer_changes_nothing() {
    let (client, odoo) = stand_in(Odoo::with_order("S00026")).await;
    let d = shipped(&[("E-COM08", 5.0), ("E-COM11", 1.0)], true);
    dispatch(&client, &d).await.unwrap();
    let (pickings, calls) = {
        let o = odoo.lock().unwrap();
        (o.pickings.len(), o.calls.len())
    };
    let done = dispatch(&client, &d).await.unwrap();
    let o = odoo.lock().unwrap();
    assert_eq!(o.pickings.len(), pickings, "no second backorder");
    assert_eq!(o.calls.len(), calls + 1, "only the look-up ran");
    assert_eq!(done.record.request.unwrap().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn nothing_to_validate_and_odoos_refusals_are_dead_letters_with_the_exchange() {
    let (client, _) = stand_in(Odoo::with_order("S00099")).await;
    let error = dispatch(&client, &shipped(&[("E-COM08", 5.0)], true))
        .await
        .unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    assert!(
        error.message.contains("no open delivery for S00026"),
        "{}",
        error.message
    );

    let (client, _) = stand_in(Odoo::with_order("S00026")).await;
    let error = dispatch(&client, &shipped(&[("OTHER", 1.0)], true))
        .await
        .unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    assert!(error.message.contains("zero quantity"), "{}", error.message);
    let requests = error.record.request.unwrap();
    assert!(
        requests.as_array().unwrap().len() >= 5,
        "every call is kept: {requests}"
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn through_the_runner_an_odoo_outage_is_retried_and_written_once(pool: sqlx::PgPool) {
    use app::store::jobs::{self, ClaimedJob, NewJob};
    use server::sync::retry::RetryPolicy;
    use server::sync::runner::{QueueSpec, Runner, RunnerSettings};
    use tokio_util::sync::CancellationToken;

    let mut standing = Odoo::with_order("S00026");
    standing.fail_next = 2;
    let (client, odoo) = stand_in(standing).await;
    let client = Arc::new(client);
    let d = shipped(&[("E-COM08", 5.0), ("E-COM11", 3.0)], true);
    let id = jobs::enqueue(
        &pool,
        &NewJob {
            queue: "odoo".into(),
            kind: "odoo.dispatch".into(),
            payload: serde_json::to_value(&d).unwrap(),
            dedupe_key: Some("dispatch:1Z999AA10123456784".into()),
            ordering_key: Some("S00026".into()),
            ..NewJob::default()
        },
    )
    .await
    .unwrap()
    .unwrap();
    let runner = Runner::new(RunnerSettings {
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(50),
    })
    .queue(QueueSpec {
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        ..QueueSpec::new("odoo", 1)
    })
    .handle("odoo.dispatch", move |job: ClaimedJob| {
        let client = client.clone();
        async move {
            let d: Dispatch = serde_json::from_value(job.payload)
                .map_err(|e| server::sync::retry::JobError::fatal(e.to_string()))?;
            dispatch(&client, &d).await
        }
    });
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    let mut state = String::new();
    for _ in 0..500 {
        state = jobs::find(&pool, id).await.unwrap().unwrap().state;
        if state == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert_eq!(state, "succeeded");
    {
        let odoo = odoo.lock().unwrap();
        assert_eq!(odoo.pickings[&22].state, "done");
        let validations = odoo
            .calls
            .iter()
            .filter(|c| *c == "stock.picking.button_validate")
            .count();
        assert_eq!(validations, 1, "validated exactly once: {:?}", odoo.calls);
    }
    let attempts: i64 = sqlx::query_scalar("select count(*) from job_attempt where job_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 3, "two failed attempts, then the write-back");
}
