//! Customer webhook subscriptions and their deliveries. A delivery is a `DeliverWebhook` job (its
//! kind given by the caller, its payload built here in SQL: `{subscription_id, event_id}`) on
//! the subscription's own queue, caused by the event it delivers: the job table is the delivery
//! log, and one event is delivered once per subscription unless replayed.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};
use uuid::Uuid;

use super::jobs::queue::subscription_queue;

#[derive(Clone, Debug, FromRow)]
pub struct SubscriptionRow {
    pub subscription_id: i64,
    pub account_code: String,
    pub url: String,
    pub event_types: Vec<String>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    url: &str,
    secret: &str,
    event_types: &[String],
    allow_private_network: bool,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into webhook_subscription (account_id, url, secret, event_types, allow_private_network)
           values ($1, $2, $3, $4, $5) returning subscription_id"#,
        account_id,
        url,
        secret,
        event_types,
        allow_private_network
    )
    .fetch_one(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<SubscriptionRow>> {
    sqlx::query_as!(
        SubscriptionRow,
        r#"select s.subscription_id, a.code as account_code, s.url, s.event_types,
                  s.paused_at as "paused_at: DateTime<Utc>", s.paused_reason,
                  s.created_at as "created_at: DateTime<Utc>"
           from webhook_subscription s join account a using (account_id)
           order by s.subscription_id"#
    )
    .fetch_all(db)
    .await
}

/// Where and how to deliver (server only).
pub struct Target {
    pub account_id: Uuid,
    pub url: String,
    pub secret: String,
    pub allow_private_network: bool,
}

pub async fn target(db: impl PgExecutor<'_>, subscription_id: i64) -> sqlx::Result<Option<Target>> {
    sqlx::query_as!(
        Target,
        "select account_id, url, secret, allow_private_network from webhook_subscription where subscription_id = $1",
        subscription_id
    )
    .fetch_optional(db)
    .await
}

/// Enqueues a delivery of each applied event to every subscription of its order's account that
/// wants its type (the projector calls this in its transaction, after writing the orders).
pub async fn enqueue_deliveries(
    conn: &mut PgConnection,
    kind: &str,
    events: &[(Uuid, String, String, Option<String>)],
) -> sqlx::Result<u64> {
    if events.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query!(
        r#"insert into job (queue, kind, payload, ordering_key, correlation_id, caused_by)
           select 'webhooks:' || s.subscription_id, $4,
                  jsonb_build_object('subscription_id', s.subscription_id, 'event_id', e.event_id),
                  e.order_ref, coalesce(e.correlation_id, e.event_id::text), e.event_id
           from unnest($1::uuid[], $2::text[], $3::text[], $5::text[])
                with ordinality as e(event_id, order_ref, type, correlation_id, n)
           join "order" o on o.order_ref = e.order_ref
           join webhook_subscription s on s.account_id = o.account_id
                and (cardinality(s.event_types) = 0 or e.type = any(s.event_types))
           order by e.n, s.subscription_id
           on conflict do nothing"#,
        &events.iter().map(|e| e.0).collect::<Vec<_>>(),
        &events.iter().map(|e| e.1.clone()).collect::<Vec<_>>(),
        &events.iter().map(|e| e.2.clone()).collect::<Vec<_>>(),
        kind,
        &events.iter().map(|e| e.3.clone()).collect::<Vec<_>>() as _
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// An event as a delivery carries it.
#[derive(Clone, Debug, FromRow)]
pub struct DeliveredEvent {
    /// The account of the order the event is about, when it is about a known order.
    pub account_id: Option<Uuid>,
    pub event_id: Uuid,
    pub event_type: String,
    pub order_ref: Option<String>,
    pub tracking_number: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
    pub data: Value,
}

pub async fn event(
    db: impl PgExecutor<'_>,
    event_id: Uuid,
) -> sqlx::Result<Option<DeliveredEvent>> {
    sqlx::query_as!(
        DeliveredEvent,
        r#"select o.account_id as "account_id?", e.event_id, e.type as event_type, e.order_ref, e.tracking_number,
                  e.occurred_at as "occurred_at: DateTime<Utc>", e.recorded_at as "recorded_at: DateTime<Utc>", e.data
           from event e left join "order" o on o.order_ref = e.order_ref
           where e.event_id = $1"#,
        event_id
    )
    .fetch_optional(db)
    .await
}

/// Pauses the subscription and its queue, with the notice operators and the account see.
pub async fn pause(
    conn: &mut PgConnection,
    subscription_id: i64,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update webhook_subscription set paused_at = now(), paused_reason = $2 where subscription_id = $1",
        subscription_id,
        reason
    )
    .execute(&mut *conn)
    .await?;
    app::store::jobs::set_paused(
        conn,
        &subscription_queue(subscription_id),
        true,
        Some(reason),
    )
    .await?;
    Ok(())
}

pub async fn resume(conn: &mut PgConnection, subscription_id: i64) -> sqlx::Result<bool> {
    let found = sqlx::query!(
        "update webhook_subscription set paused_at = null, paused_reason = null where subscription_id = $1",
        subscription_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    app::store::jobs::set_paused(conn, &subscription_queue(subscription_id), false, None).await?;
    Ok(found > 0)
}

/// Delivers again every event of the account's orders recorded since `since` that the
/// subscription wants: deliveries made before go back in line, missing ones are added.
/// Returns how many deliveries are queued.
pub async fn replay_since(
    conn: &mut PgConnection,
    kind: &str,
    subscription_id: i64,
    since: DateTime<Utc>,
) -> sqlx::Result<u64> {
    let events: Vec<(Uuid, String, String)> = sqlx::query!(
        r#"select e.event_id, e.order_ref as "order_ref!", e.type
           from webhook_subscription s
           join "order" o on o.account_id = s.account_id
           join event e on e.order_ref = o.order_ref
           where s.subscription_id = $1 and e.recorded_at >= $2 and e.disposition = 'applied'
             and (cardinality(s.event_types) = 0 or e.type = any(s.event_types))
           order by e.recorded_at, e.event_id"#,
        subscription_id,
        since as _
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.event_id, r.order_ref, r.r#type))
    .collect();
    let again = sqlx::query!(
        r#"update job set state = 'pending', attempts = 0, replays = replays + 1, run_at = now(),
                          finished_at = null, last_error = null, updated_at = now()
           where queue = $1 and kind = $2 and caused_by = any($3) and state in ('succeeded', 'dead', 'cancelled')"#,
        subscription_queue(subscription_id),
        kind,
        &events.iter().map(|e| e.0).collect::<Vec<_>>()
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let added = enqueue_deliveries_to(conn, kind, subscription_id, &events).await?;
    Ok(again + added)
}

async fn enqueue_deliveries_to(
    conn: &mut PgConnection,
    kind: &str,
    subscription_id: i64,
    events: &[(Uuid, String, String)],
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"insert into job (queue, kind, payload, ordering_key, correlation_id, caused_by)
           select $1, $2, jsonb_build_object('subscription_id', $3::bigint, 'event_id', e.event_id),
                  e.order_ref, e.event_id::text, e.event_id
           from unnest($4::uuid[], $5::text[]) with ordinality as e(event_id, order_ref, n)
           order by e.n
           on conflict do nothing"#,
        subscription_queue(subscription_id),
        kind,
        subscription_id,
        &events.iter().map(|e| e.0).collect::<Vec<_>>(),
        &events.iter().map(|e| e.1.clone()).collect::<Vec<_>>()
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Every subscription's secret (for sealing them, `crate::secrets`).
pub async fn all_secrets(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select subscription_id, secret from webhook_subscription order by subscription_id for update"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.subscription_id, r.secret))
        .collect())
}

/// Replaces one subscription's secret (sealed by the caller).
pub async fn replace_secret(
    db: impl PgExecutor<'_>,
    subscription_id: i64,
    secret: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update webhook_subscription set secret = $2 where subscription_id = $1"#,
        subscription_id,
        secret
    )
    .execute(db)
    .await?;
    Ok(())
}
