//! One correlation id across systems: taken from the sender (or made), kept on the message, its
//! events and the jobs they cause, sent to Odoo with every call and named in the chatter note,
//! and followed on `/integrations` from end to end.

use crate::support::{self, TestApp};
use app::domain::Role;
use serde_json::{json, Value};
use server::ingest::setup::create_key;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn a_senders_correlation_id_is_kept_on_the_message_and_its_events_and_echoed(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    support::connector(&pool, "erp", "erp", "canonical", None).await;
    let key = create_key(&pool, "erp", "test").await.unwrap().key;
    let event = |id: &str| {
        json!({"specversion": "1.0", "id": id, "source": "t", "type": "order.created",
            "subject": "order/C-1", "time": "2026-03-01T08:00:00Z",
            "data": {"order": {"erp_order_id": "C-1"}, "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}})
    };
    let post = |body: Value, correlation: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .post(app.url("/api/v1/events"))
            .bearer_auth(&key)
            .header("content-type", "application/cloudevents+json")
            .body(body.to_string());
        if let Some(c) = correlation {
            req = req.header("x-correlation-id", c);
        }
        req.send()
    };

    let named = post(event("e1"), Some("shop-order-77")).await.unwrap();
    assert_eq!(named.status(), 202);
    assert_eq!(named.headers()["x-correlation-id"], "shop-order-77");
    // Without one, the request id stands in (made here when the sender sent none either).
    let unnamed = post(event("e2"), None).await.unwrap();
    let made = unnamed.headers()["x-correlation-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(made, unnamed.headers()["x-request-id"].to_str().unwrap());
    // A refusal carries it too.
    let mut wrong = event("e3");
    wrong["type"] = json!("shipment.delivered");
    let refused = post(wrong, Some("shop-order-78")).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.headers()["x-correlation-id"], "shop-order-78");

    let stored: Vec<(String, Option<String>)> = sqlx::query_as(
        "select headers ->> 'x-correlation-id', (select e.correlation_id from event e where e.inbox_message_id = m.inbox_message_id)
         from inbox_message m order by inbox_message_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        vec![
            (
                "shop-order-77".to_string(),
                Some("shop-order-77".to_string())
            ),
            (made.clone(), Some(made)),
            ("shop-order-78".to_string(), None),
        ]
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_carriers_message_is_followed_into_odoo_and_on_integrations(pool: PgPool) {
    let support::LiveFlow {
        app,
        live,
        stop,
        workers,
    } = support::live_flow(&pool, |_| {}).await;
    let (order_id, name) = live.odoo.create_order(45, &[(21, 2.0)], "PO-C").await;
    live.odoo.confirm(order_id).await;
    support::eventually(60, "the delivery note in Odoo", || async {
        live.odoo.with(|o| {
            o.all("mail.message").iter().any(|m| {
                m["res_id"] == order_id && m["body"].as_str().unwrap_or("").contains("Delivered")
            })
        })
    })
    .await;
    stop.cancel();
    workers.await.unwrap().unwrap();

    // The carrier's delivery message, its event and the jobs it caused share one correlation id.
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "select m.headers ->> 'x-correlation-id', e.correlation_id, j.correlation_id
         from job j join event e on e.event_id = j.caused_by
              join inbox_message m on m.inbox_message_id = e.inbox_message_id
         where j.ordering_key = $1 and e.type = 'shipment.delivered'",
    )
    .bind(&name)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!rows.is_empty(), "the delivery caused jobs");
    let event_corr = rows[0].0.clone();
    for (message, event, job) in &rows {
        assert_eq!(event.as_deref(), Some(message.as_str()));
        assert_eq!(job.as_deref(), Some(message.as_str()));
    }
    // Odoo received it with the calls, and the chatter note names it.
    live.odoo.with(|o| {
        assert!(
            o.correlation_ids.contains(&event_corr),
            "{:?}",
            o.correlation_ids
        );
        let note = o
            .all("mail.message")
            .into_iter()
            .find(|m| {
                m["res_id"] == order_id && m["body"].as_str().unwrap_or("").contains("Delivered")
            })
            .cloned()
            .unwrap();
        assert!(
            note["body"]
                .as_str()
                .unwrap()
                .contains(&format!("[correlation {event_corr}]")),
            "{note:?}"
        );
    });

    // On /integrations: the chain of that id, in time order, from the message to the attempt.
    let integrator = app.signed_in(Role::Integrator).await;
    let chain: Value = app
        .call(&integrator, "integrations/chain", &[("q", &event_corr)])
        .await
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = chain["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    let first = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("no {k}: {chain}"))
    };
    assert!(first("message") <= first("event"), "{kinds:?}");
    assert!(
        first("event") < first("job") && first("job") < first("attempt"),
        "{kinds:?}"
    );
    // In time order (an event sorts with the message it came in).
    let times: Vec<&str> = chain["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] != "event")
        .map(|l| l["at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "in time order");
    assert!(chain["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["kind"] == "attempt" && l["detail"].as_str().unwrap_or("").contains("request")));
    // By order: every message about it, from Odoo, the warehouse and the carrier.
    let by_order: Value = app
        .call(&integrator, "integrations/chain", &[("q", &name)])
        .await
        .json()
        .await
        .unwrap();
    let places: std::collections::BTreeSet<&str> = by_order["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "message")
        .map(|l| l["place"].as_str().unwrap())
        .collect();
    assert!(places.len() >= 3, "{places:?}");
    assert!(by_order["correlation_ids"].as_array().unwrap().len() >= 3);
    // Nothing found is said; no query is a field error; agents may not look.
    let none: Value = app
        .call(&integrator, "integrations/chain", &[("q", "no-such-id")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none["links"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.call(&integrator, "integrations/chain", &[("q", " ")])
            .await
            .status(),
        422
    );
    let agent = app.signed_in(Role::Agent).await;
    assert_eq!(
        app.call(&agent, "integrations/chain", &[("q", &name)])
            .await
            .status(),
        403
    );
}
