//! The group-commit writer: messages that arrive together share a statement, yet each sender
//! gets its own answer, repeats and shared events keep their rules, and one bad message fails
//! only its own sender.

use crate::support;

use serde_json::{json, Value};
use server::ingest::connector::Connector;
use server::ingest::pipeline::Receipt;
use server::ingest::writer::{AcceptedMessage, Writer};
use sqlx::PgPool;
use std::sync::Arc;

async fn erp(pool: &PgPool) -> Arc<Connector> {
    Arc::new(support::canonical_connector(pool, "erp", "erp").await)
}

fn created(order: &str, event_id: &str) -> Value {
    json!({"specversion": "1.0", "id": event_id, "source": "t", "type": "order.created",
           "subject": format!("order/{order}"), "time": "2026-03-01T08:00:00Z",
           "data": {"order": {"erp_order_id": order}, "lines": [{"line_ref": "L1", "sku": "A", "qty_ordered": 1}]}})
}

/// Sends every (message id, event) at once, each from its own task.
async fn send_together(
    writer: &Writer,
    connector: &Arc<Connector>,
    messages: Vec<(String, Value)>,
) -> Vec<Receipt> {
    let tasks: Vec<_> = messages
        .into_iter()
        .map(|(id, event)| {
            let (writer, connector) = (writer.clone(), connector.clone());
            tokio::spawn(
                async move { support::send_canonical(&writer, &connector, id, &event).await },
            )
        })
        .collect();
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.unwrap());
    }
    receipts
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn messages_sent_together_share_statements_and_each_gets_its_own_answer(pool: PgPool) {
    let connector = erp(&pool).await;
    let writer = Writer::start(pool.clone());
    let messages: Vec<_> = (0..200)
        .map(|n| (format!("m{n}"), created(&format!("O{n}"), &format!("e{n}"))))
        .collect();
    let receipts = send_together(&writer, &connector, messages).await;

    assert!(
        writer.statements() < 200,
        "200 concurrent messages took {} statements",
        writer.statements()
    );
    for (n, receipt) in receipts.iter().enumerate() {
        assert_eq!(
            (receipt.accepted, receipt.duplicates),
            (1, 0),
            "message {n}"
        );
        let (message_id, event_id): (String, String) = sqlx::query_as(
            "select m.message_id, e.external_id from event e join inbox_message m using (inbox_message_id)
             where e.event_id = $1",
        )
        .bind(receipt.event_ids[0])
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((message_id, event_id), (format!("m{n}"), format!("e{n}")));
    }
    assert_eq!(
        count(&pool, "select count(*) from inbox_message").await,
        200
    );
    assert_eq!(count(&pool, "select count(*) from event").await, 200);
    assert_eq!(
        count(&pool, "select count(*) from projection_queue").await,
        200
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn one_message_sent_many_times_at_once_is_stored_once(pool: PgPool) {
    let connector = erp(&pool).await;
    let writer = Writer::start(pool.clone());
    let messages = (0..30)
        .map(|_| ("same".to_string(), created("O1", "e1")))
        .collect();
    let receipts = send_together(&writer, &connector, messages).await;

    let first: Vec<_> = receipts.iter().filter(|r| !r.redelivery).collect();
    assert_eq!(first.len(), 1, "{receipts:?}");
    assert_eq!(first[0].accepted, 1);
    for r in receipts.iter().filter(|r| r.redelivery) {
        assert_eq!(
            (r.accepted, r.duplicates, &r.event_ids),
            (0, 1, &first[0].event_ids)
        );
    }
    assert_eq!(
        count(&pool, "select sum(delivery_count)::int8 from inbox_message").await,
        30
    );
    assert_eq!(count(&pool, "select count(*) from event").await, 1);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_same_event_in_messages_sent_together_is_stored_once(pool: PgPool) {
    let connector = erp(&pool).await;
    let writer = Writer::start(pool.clone());
    let messages = (0..20)
        .map(|n| (format!("m{n}"), created("O1", "e1")))
        .collect();
    let receipts = send_together(&writer, &connector, messages).await;

    assert_eq!(receipts.iter().filter(|r| r.accepted == 1).count(), 1);
    assert_eq!(receipts.iter().filter(|r| r.duplicates == 1).count(), 19);
    assert_eq!(count(&pool, "select count(*) from inbox_message").await, 20);
    assert_eq!(
        count(
            &pool,
            "select count(*) from event where disposition = 'duplicate'"
        )
        .await,
        19
    );
    assert_eq!(
        count(&pool, "select count(*) from projection_queue").await,
        1
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_message_the_database_refuses_fails_only_its_own_sender(pool: PgPool) {
    let connector = erp(&pool).await;
    let writer = Writer::start(pool.clone());
    // No such connector: the foreign key refuses this message, and the group it shares.
    let bad = AcceptedMessage {
        connector_id: -1,
        message_id: "bad".into(),
        message_id_derived: false,
        received_at: chrono::Utc::now(),
        content_type: None,
        headers: json!({}),
        body: b"{}".to_vec(),
        events: vec![],
        unknown_codes: vec![],
        follow_ups: vec![],
    };
    // Sent amid the good ones, so it shares a group with some of them.
    let mut tasks = Vec::new();
    for n in 0..50 {
        let (writer, connector) = (writer.clone(), connector.clone());
        let event = created(&format!("O{n}"), &format!("e{n}"));
        tasks.push(tokio::spawn(async move {
            support::send_canonical(&writer, &connector, format!("m{n}"), &event).await
        }));
    }
    let refused = {
        let writer = writer.clone();
        tokio::spawn(async move { writer.store(bad).await })
    };
    for n in 50..100 {
        let (writer, connector) = (writer.clone(), connector.clone());
        let event = created(&format!("O{n}"), &format!("e{n}"));
        tasks.push(tokio::spawn(async move {
            support::send_canonical(&writer, &connector, format!("m{n}"), &event).await
        }));
    }
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.push(task.await.unwrap());
    }

    let error = refused
        .await
        .unwrap()
        .err()
        .expect("the bad message is refused");
    assert!(error.to_string().contains("foreign key"), "{error}");
    assert!(receipts.iter().all(|r| r.accepted == 1));
    assert_eq!(
        count(&pool, "select count(*) from inbox_message").await,
        100
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_queue_is_bounded_in_bytes_and_a_large_body_holds_its_share_until_committed(
    pool: PgPool,
) {
    use server::ingest::writer::QUEUE_KIB;
    let connector = erp(&pool).await;
    let writer = Writer::start(pool.clone());
    assert_eq!(writer.room_kib(), QUEUE_KIB as usize);
    // Hold the inbox so the statement waits, as a slow database would.
    let mut blocker = pool.begin().await.unwrap();
    sqlx::query("lock table inbox_message in access exclusive mode")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let pending = {
        let writer = writer.clone();
        tokio::spawn(async move {
            writer
                .store(AcceptedMessage {
                    connector_id: connector.id,
                    message_id: "big".into(),
                    message_id_derived: false,
                    received_at: chrono::Utc::now(),
                    content_type: Some("application/json".into()),
                    headers: json!({}),
                    body: vec![b' '; 3 * 1024 * 1024],
                    events: vec![],
                    unknown_codes: vec![],
                    follow_ups: vec![],
                })
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        writer.room_kib(),
        QUEUE_KIB as usize - 3 * 1024,
        "3 MiB waiting counts against the budget"
    );
    blocker.rollback().await.unwrap();
    pending.await.unwrap().unwrap();
    assert_eq!(
        writer.room_kib(),
        QUEUE_KIB as usize,
        "given back once committed"
    );
}
