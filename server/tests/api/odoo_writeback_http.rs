//! Dispatch write-back against the Odoo 19 stand-in (`server::simulators::odoo`, JSON-2), which
//! keeps pickings and moves as the recorded server does: `button_validate` returns the backorder wizard when a picking is short
//! unless the context decides, `skip_backorder` with `picking_ids_not_to_backorder` cancels the
//! rest, a zero-quantity validation is a UserError. Then through the job runner, with Odoo
//! failing once: the write-back happens exactly once.

use serde_json::Value;
use server::attempt::Failure;
use server::connectors::odoo::client::OdooClient;
use server::connectors::odoo::writeback::{dispatch, Dispatch, ShippedLine};
use server::simulators::odoo::{Fault, OdooStandIn};
use std::sync::Arc;
use std::time::Duration;

/// The shared Odoo 19 stand-in with one confirmed order: E-COM08 x 5 and E-COM11 x 3 on one
/// ready delivery. Returns a JSON-2 client, the stand-in and the order's name.
async fn stand_in() -> (OdooClient, OdooStandIn, String) {
    let odoo = OdooStandIn::start("key").await.unwrap();
    let (id, name) = odoo.create_order(45, &[(21, 5.0), (26, 3.0)], "PO-1").await;
    odoo.confirm(id).await;
    (odoo.json2_client().unwrap(), odoo, name)
}

/// The order's delivery pickings as Odoo has them.
fn pickings(odoo: &OdooStandIn, order: &str) -> Vec<Value> {
    odoo.with(|o| {
        o.all("stock.picking")
            .into_iter()
            .filter(|p| p["origin"] == order)
            .map(|p| Value::Object(p.clone()))
            .collect()
    })
}

fn calls(odoo: &OdooStandIn, call: &str) -> usize {
    odoo.with(|o| o.calls.iter().filter(|c| *c == call).count())
}

fn shipped(order: &str, lines: &[(&str, f64)], backorder: bool) -> Dispatch {
    Dispatch {
        order_ref: order.into(),
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
    let (client, odoo, order) = stand_in().await;
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    let pickings = pickings(&odoo, &order);
    assert_eq!(pickings.len(), 1, "no backorder");
    assert_eq!(pickings[0]["state"], "done");
    assert_eq!(pickings[0]["carrier_tracking_ref"], "1Z999AA10123456784");
}

#[tokio::test]
async fn a_short_dispatch_leaves_the_rest_on_a_backorder_when_the_wms_says_so() {
    let (client, odoo, order) = stand_in().await;
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 1.0)], true),
    )
    .await
    .unwrap();
    let all = pickings(&odoo, &order);
    let backorder = all
        .iter()
        .find(|p| p["backorder_id"] != false)
        .expect("a backorder");
    assert_eq!(backorder["state"], "assigned");
    assert_eq!(
        backorder["carrier_tracking_ref"], false,
        "the backorder has no tracking yet"
    );
    let left: f64 = odoo.with(|o| {
        backorder["move_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                o.get("stock.move", m.as_i64().unwrap()).unwrap()["product_uom_qty"]
                    .as_f64()
                    .unwrap()
            })
            .sum()
    });
    assert_eq!(left, 2.0);
}

#[tokio::test]
async fn a_short_final_dispatch_cancels_the_rest() {
    let (client, odoo, order) = stand_in().await;
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 1.0)], false),
    )
    .await
    .unwrap();
    let pickings = pickings(&odoo, &order);
    assert_eq!(pickings.len(), 1, "no backorder");
    assert_eq!(pickings[0]["state"], "done");
}

#[tokio::test]
async fn the_backorder_wizard_is_answered_when_odoo_asks() {
    let (client, odoo, order) = stand_in().await;
    odoo.with(|o| o.always_ask_backorder = true);
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 2.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    assert_eq!(calls(&odoo, "stock.backorder.confirmation.process"), 1);
    assert!(pickings(&odoo, &order)
        .iter()
        .any(|p| p["backorder_id"] != false));
}

/// The company's SMS settings as the stand-in has them now.
fn sms_settings(odoo: &OdooStandIn) -> (Value, Value) {
    odoo.with(|o| {
        let c = o.get("res.company", 1).unwrap();
        (
            c["stock_text_confirmation"].clone(),
            c["has_received_warning_stock_sms"].clone(),
        )
    })
}

#[tokio::test]
async fn validation_with_the_sms_module_neither_stops_nor_changes_the_companys_setting() {
    // A fresh database with stock_sms (installed by default) and a customer with a phone: a bare
    // button_validate answers with the confirm.stock.sms warning (13_sms_confirmation.json).
    let (client, odoo, order) = stand_in().await;
    assert_eq!(sms_settings(&odoo), (Value::Bool(true), Value::Bool(false)));
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    let pickings = pickings(&odoo, &order);
    assert_eq!(pickings[0]["state"], "done");
    assert_eq!(
        sms_settings(&odoo),
        (Value::Bool(true), Value::Bool(false)),
        "the company's choice is left as it was"
    );
    assert_eq!(
        calls(&odoo, "confirm.stock.sms.send_sms"),
        0,
        "no wizard came"
    );
    let picking_id = pickings[0]["id"].as_i64().unwrap();
    assert_eq!(
        odoo.with(|o| o.sms_sent.clone()),
        vec![picking_id],
        "the customer gets the text the company's setting says"
    );
}

#[tokio::test]
async fn an_sms_warning_that_comes_anyway_is_confirmed_after_the_backorder_question() {
    // Recorded (D): a short validation asks about the backorder, and answering it brings the SMS
    // warning next. "Confirm" keeps texts on; "Disable SMS" would have switched them off.
    let (client, odoo, order) = stand_in().await;
    odoo.with(|o| {
        o.always_ask_backorder = true;
        o.always_ask_sms = true;
    });
    dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 2.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap();
    assert_eq!(calls(&odoo, "stock.backorder.confirmation.process"), 1);
    assert_eq!(calls(&odoo, "confirm.stock.sms.send_sms"), 1);
    assert_eq!(calls(&odoo, "confirm.stock.sms.dont_send_sms"), 0);
    let all = pickings(&odoo, &order);
    assert!(all
        .iter()
        .any(|p| p["state"] == "done" && p["backorder_id"] == false));
    assert!(
        all.iter().any(|p| p["backorder_id"] != false),
        "the rest waits on a backorder"
    );
    assert_eq!(sms_settings(&odoo).0, Value::Bool(true));
}

#[tokio::test]
async fn a_wizard_milepost_does_not_know_is_a_dead_letter_saying_what_was_done() {
    let (client, odoo, order) = stand_in().await;
    odoo.with(|o| o.validation_wizard = Some("quality.check.wizard".into()));
    let error = dispatch(
        &client,
        &shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 3.0)], true),
    )
    .await
    .unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    let picking = pickings(&odoo, &order)[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let expected = format!(
        "done in Odoo: tracking number 1Z999AA10123456784 written on {picking}; shipped quantities set on 2 of 2 moves; not done: validation of {picking}"
    );
    assert!(
        error.message.contains("quality.check.wizard"),
        "{}",
        error.message
    );
    assert!(error.message.contains(&expected), "{}", error.message);
    assert!(
        error.record.request.unwrap().as_array().unwrap().len() >= 5,
        "the exchange is kept"
    );
}

#[tokio::test]
async fn a_second_run_after_a_lost_answer_changes_nothing() {
    let (client, odoo, order) = stand_in().await;
    let d = shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 1.0)], true);
    dispatch(&client, &d).await.unwrap();
    let before = (pickings(&odoo, &order).len(), odoo.with(|o| o.calls.len()));
    let done = dispatch(&client, &d).await.unwrap();
    assert_eq!(
        pickings(&odoo, &order).len(),
        before.0,
        "no second backorder"
    );
    assert_eq!(
        odoo.with(|o| o.calls.len()),
        before.1 + 1,
        "only the look-up ran"
    );
    assert_eq!(done.record.request.unwrap().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn nothing_to_validate_and_odoos_refusals_are_dead_letters_with_the_exchange() {
    let (client, _odoo, _order) = stand_in().await;
    let error = dispatch(&client, &shipped("S09999", &[("E-COM08", 5.0)], true))
        .await
        .unwrap_err();
    assert_eq!(error.failure, Failure::Fatal);
    assert!(
        error.message.contains("no open delivery for S09999"),
        "{}",
        error.message
    );

    let (client, _odoo, order) = stand_in().await;
    let error = dispatch(&client, &shipped(&order, &[("OTHER", 1.0)], true))
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
    use app::store::jobs;
    use server::jobs::ConfirmDispatchInOdoo;
    use server::store::jobs::queue::{self, ClaimedJob, JobPayload, NewJob};
    use server::sync::retry::RetryPolicy;
    use server::sync::runner::{QueueSpec, Runner, RunnerSettings};
    use tokio_util::sync::CancellationToken;

    let (client, odoo, order) = stand_in().await;
    odoo.with(|o| o.faults.extend([Fault::Status(500), Fault::Status(500)]));
    let client = Arc::new(client);
    let d = shipped(&order, &[("E-COM08", 5.0), ("E-COM11", 3.0)], true);
    let job = NewJob::new("odoo", &ConfirmDispatchInOdoo(d))
        .deduped_by("dispatch:1Z999AA10123456784")
        .ordered_by(order.clone());
    let id = queue::enqueue(&pool, &job).await.unwrap().unwrap();
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
    .handle(ConfirmDispatchInOdoo::KIND, move |job: ClaimedJob| {
        let client = client.clone();
        async move {
            let d: Dispatch = serde_json::from_value(job.payload)
                .map_err(|e| server::attempt::JobError::fatal(e.to_string()))?;
            dispatch(&client, &d).await
        }
    });
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(pool.clone(), stop.clone()));
    let mut state = String::new();
    for _ in 0..500 {
        state = jobs::find(&pool, id)
            .await
            .unwrap()
            .unwrap()
            .state
            .to_string();
        if state == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert_eq!(state, "succeeded");
    assert_eq!(pickings(&odoo, &order)[0]["state"], "done");
    assert_eq!(
        calls(&odoo, "stock.picking.button_validate"),
        1,
        "validated exactly once"
    );
    let attempts: i64 = sqlx::query_scalar("select count(*) from job_attempt where job_id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, 3, "two failed attempts, then the write-back");
}
