//! Order independence through the whole pipeline and the database: the same order's messages
//! delivered in different orders, with duplicates, end in the same projection and the same
//! dispositions. (The pure fold has its own property test; this one covers what the database
//! adds: pending events, parcels known only by tracking number, refolds, verdict changes.)

use crate::support;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use server::ingest::connector::Connector;
use sqlx::PgPool;

/// The story of order `order`: release, allocation, a short dispatch, a failed attempt, delivery,
/// a stale scan after delivery, and the backordered rest in a second parcel.
fn story(order: &str) -> Vec<(usize, Value)> {
    let e = |id: &str, kind: &str, subject: String, time: &str, data: Value| json!({"specversion": "1.0", "id": format!("{order}-{id}"), "source": "t", "type": kind, "subject": subject, "time": time, "data": data});
    let o = format!("order/{order}");
    let (t1, t2) = (format!("{order}-TN1"), format!("{order}-TN2"));
    vec![
        (
            0,
            e(
                "created",
                "order.created",
                o.clone(),
                "2026-03-01T08:00:00Z",
                json!({"order": {"erp_order_id": order},
            "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 4}, {"line_ref": "L2", "sku": "B", "qty_ordered": 2}]}),
            ),
        ),
        (
            0,
            e(
                "release",
                "order.release_requested",
                o.clone(),
                "2026-03-01T09:00:00Z",
                json!({"order": {"erp_order_id": order}, "warehouse": {"code": "W"}}),
            ),
        ),
        (
            1,
            e(
                "alloc",
                "order.allocated",
                o.clone(),
                "2026-03-01T10:00:00Z",
                json!({"order": {"erp_order_id": order}}),
            ),
        ),
        (
            1,
            e(
                "ship1",
                "shipment.dispatched",
                o.clone(),
                "2026-03-02T10:00:00Z",
                json!({"order": {"erp_order_id": order},
            "shipment": {"tracking_numbers": [t1]}, "is_final": false,
            "lines": [{"line_ref": "L1", "qty_shipped": 4, "line_status": "complete"}, {"line_ref": "L2", "qty_shipped": 1, "line_status": "partial_backordered"}]}),
            ),
        ),
        (
            2,
            e(
                "attempt",
                "shipment.delivery_attempted",
                format!("shipment/{t1}"),
                "2026-03-03T15:00:00Z",
                json!({"tracking_number": t1}),
            ),
        ),
        (
            2,
            e(
                "delivered",
                "shipment.delivered",
                format!("shipment/{t1}"),
                "2026-03-04T12:00:00Z",
                json!({"tracking_number": t1, "pod": {"signed_by": "X"}}),
            ),
        ),
        (
            2,
            e(
                "stale",
                "shipment.in_transit",
                format!("shipment/{t1}"),
                "2026-03-04T18:00:00Z",
                json!({"tracking_number": t1}),
            ),
        ),
        (
            1,
            e(
                "ship2",
                "shipment.dispatched",
                o.clone(),
                "2026-03-05T10:00:00Z",
                json!({"order": {"erp_order_id": order},
            "shipment": {"tracking_numbers": [t2]}, "is_final": true, "lines": [{"line_ref": "L2", "qty_shipped": 1, "line_status": "complete"}]}),
            ),
        ),
        (
            2,
            e(
                "delivered2",
                "shipment.delivered",
                format!("shipment/{t2}"),
                "2026-03-06T12:00:00Z",
                json!({"tracking_number": t2}),
            ),
        ),
    ]
}

async fn connectors(pool: &PgPool) -> Vec<Connector> {
    support::canonical_connectors(pool).await
}

async fn deliver(pool: &PgPool, connectors: &[Connector], messages: &[(usize, Value)]) {
    support::deliver_each(pool, connectors, messages).await
}

/// The projection of `order`, with the order's name taken out so orders can be compared.
async fn snapshot(pool: &PgPool, order: &str) -> Value {
    let row: Value = sqlx::query_scalar(
        r#"select jsonb_build_object(
             'order', (select jsonb_build_object('status', status, 'on_hold', on_hold, 'warehouse', warehouse_code,
                       'open_exceptions', open_exceptions, 'last_event_at', last_event_at) from "order" where order_ref = $1),
             'lines', (select jsonb_agg(jsonb_build_object('l', line_ref, 'ordered', qty_ordered, 'shipped', qty_shipped,
                       'short', qty_short, 'status', l.line_status) order by line_ref)
                       from order_line l join "order" o using (order_id) where o.order_ref = $1),
             'shipments', (select jsonb_agg(jsonb_build_object('status', s.status, 'delivered', s.delivered_at,
                           'attempts', s.delivery_attempts, 'signed', s.signed_by) order by s.dispatched_at)
                           from shipment s join "order" o using (order_id) where o.order_ref = $1),
             'exceptions', (select jsonb_agg(jsonb_build_object('kind', kind, 'open', closed_by_event is null) order by kind)
                            from order_exception x join "order" o using (order_id) where o.order_ref = $1),
             'milestones', (select jsonb_agg(jsonb_build_object('m', milestone, 'at', occurred_at) order by milestone)
                            from order_milestone m join "order" o using (order_id) where o.order_ref = $1),
             'dispositions', (select jsonb_agg(jsonb_build_object('e', replace(external_id, $1, ''), 'd', disposition)
                              order by replace(external_id, $1, ''), disposition)
                              from event where external_id like $1 || '-%'))"#,
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    row
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn any_arrival_order_with_duplicates_gives_the_same_order(pool: PgPool) {
    let connectors = connectors(&pool).await;
    let natural = story("N");
    deliver(&pool, &connectors, &natural).await;
    let expected = snapshot(&pool, "N").await;
    assert_eq!(expected["order"]["status"], "delivered", "{expected}");
    assert!(expected["dispositions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["e"] == "-stale" && d["d"] == "superseded"));

    // Reversed (everything before its order), carrier first, and shuffled with repeats.
    let mut permutations: Vec<(String, Vec<usize>)> = vec![
        ("R".into(), (0..9).rev().collect()),
        ("C".into(), vec![4, 5, 6, 8, 3, 7, 2, 1, 0]),
        ("S".into(), vec![5, 0, 8, 5, 2, 6, 3, 1, 4, 7, 0]),
        ("T".into(), vec![7, 8, 6, 5, 4, 3, 3, 2, 1, 0, 6]),
    ];
    // And a dozen seeded random ones, each with up to three repeats.
    let mut rng = StdRng::seed_from_u64(42);
    for k in 0..12 {
        let mut order: Vec<usize> = (0..9).collect();
        for _ in 0..rng.random_range(0..=3) {
            order.push(rng.random_range(0..9));
        }
        order.shuffle(&mut rng);
        permutations.push((format!("P{k}"), order));
    }
    for (name, order) in permutations {
        let name = name.as_str();
        let events = story(name);
        let arrived: Vec<(usize, Value)> = order.iter().map(|&i| events[i].clone()).collect();
        deliver(&pool, &connectors, &arrived).await;
        let mut got = snapshot(&pool, name).await;
        // Repeats are stored as duplicates on top of the same verdicts; compare the rest.
        let dispositions: Vec<Value> = got["dispositions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["d"] != "duplicate")
            .cloned()
            .collect();
        got["dispositions"] = Value::Array(dispositions);
        assert_eq!(got, expected, "arrival order {name}: {order:?}");
    }
}
