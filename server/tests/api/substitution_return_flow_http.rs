//! A substitution and a return, end to end through the real connectors and stand-ins: the
//! warehouse ships another product for one line (a `line.substituted` message, then the
//! dispatch), and Odoo's delivery gets the substitute's move, the original reduced and the
//! whole validated; later the warehouse receives part of it back damaged, and Odoo gets the
//! return picking, validated with what came back, and an activity to decide on the goods.

use crate::support;
use server::simulators::live;
use sqlx::PgPool;

async fn succeeded(pool: &PgPool, kind: &str) -> i64 {
    sqlx::query_scalar("select count(*) from job where kind = $1 and state = 'succeeded'")
        .bind(kind)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_substitution_and_a_return_travel_from_the_warehouse_into_odoo(pool: PgPool) {
    let support::LiveFlow {
        app,
        live,
        stop,
        workers,
    } = support::live_flow(&pool, |options| {
        options.short_every = 0;
        options.failed_attempt_every = 0;
        options.substitutions = vec![("E-COM11".into(), "E-COM12".into())];
    })
    .await;

    let (_, order) = live
        .odoo
        .create_order(45, &[(21, 2.0), (26, 3.0)], "PO-SUBRET")
        .await;
    let id = live.odoo.with(|o| {
        o.all("sale.order")
            .into_iter()
            .find(|r| r["name"] == order.as_str())
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    });
    live.odoo.confirm(id).await;

    support::eventually(60, "the dispatch written back to Odoo", || async {
        succeeded(&pool, "odoo.dispatch").await == 1
    })
    .await;
    assert_eq!(succeeded(&pool, "odoo.substitution").await, 1);
    live.odoo.with(|o| {
        let delivery = o
            .all("stock.picking")
            .into_iter()
            .find(|p| p["origin"] == order.as_str())
            .unwrap()
            .clone();
        assert_eq!(delivery["state"], "done");
        let mut moves: Vec<(i64, f64, f64)> = delivery["move_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| o.get("stock.move", m.as_i64()?))
            .map(|m| {
                (
                    m["product_id"][0].as_i64().unwrap(),
                    m["product_uom_qty"].as_f64().unwrap(),
                    m["quantity"].as_f64().unwrap(),
                )
            })
            .collect();
        moves.sort_by_key(|m| m.0);
        assert_eq!(
            moves,
            vec![(21, 2.0, 2.0), (26, 0.0, 0.0), (29, 3.0, 3.0)],
            "E-COM12 shipped on its own move in place of E-COM11"
        );
        assert!(o.all("mail.message").iter().any(|m| m["body"]
            .as_str()
            .unwrap_or("")
            .contains("3 × E-COM12 instead of E-COM11")));
    });

    // The customer sends one E-COM12 back; it arrives damaged.
    let wms = server::store::connectors::find_by_name(&pool, live::WMS)
        .await
        .unwrap()
        .unwrap();
    let secret = server::secrets::keyring()
        .open(wms.secrets["signing_secret"].as_str().unwrap())
        .unwrap();
    let received = serde_json::json!({"contract": "milepost.wms.v1", "message_id": "ret-1", "warehouse": live::WAREHOUSE,
        "events": [{"id": "ret-1", "type": "return.received", "order_ref": order,
                    "occurred_at": chrono::Utc::now().to_rfc3339(),
                    "data": {"condition": "damaged", "lines": [{"sku": "E-COM12", "qty": 1}]}}]});
    let hook = format!("{}/api/v1/webhooks/{}", app.address, live::WMS);
    assert!(
        server::simulators::wms::post_signed(&reqwest::Client::new(), &hook, &secret, &received)
            .await
    );
    support::eventually(30, "the return written back to Odoo", || async {
        succeeded(&pool, "odoo.return_receipt").await == 1
    })
    .await;
    stop.cancel();
    workers.await.unwrap().unwrap();

    live.odoo.with(|o| {
        let returns: Vec<_> = o
            .all("stock.picking")
            .into_iter()
            .filter(|p| p["picking_type_code"] == "incoming")
            .cloned()
            .collect();
        assert_eq!(returns.len(), 1, "one return picking");
        assert_eq!(returns[0]["state"], "done");
        let quantities: Vec<(i64, f64)> = returns[0]["move_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| o.get("stock.move", m.as_i64()?))
            .map(|m| {
                (
                    m["product_id"][0].as_i64().unwrap(),
                    m["quantity"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(quantities, vec![(29, 1.0)]);
        assert_eq!(
            o.all("mail.activity").len(),
            1,
            "a decision on the damaged goods"
        );
    });
    let dead: Vec<(String, Option<String>)> =
        sqlx::query_as("select kind, last_error from job where state = 'dead'")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(dead.is_empty(), "no dead letters: {dead:?}");
}
