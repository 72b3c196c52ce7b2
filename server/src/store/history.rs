//! The fold's input per order (`order_history`) and per parcel not yet dispatched
//! (`parcel_history`): the events as the fold reads them, kept beside the event store so folding
//! a new event reads one row instead of searching every monthly partition.

use app::domain::event::{Disposition, EventType};
use app::domain::projection::FoldEvent;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// One event in a history, with where it is stored and its current verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub event_id: Uuid,
    pub recorded_at: DateTime<Utc>,
    pub identity: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub data: Value,
    pub disposition: String,
    pub reason: Option<String>,
    /// The correlation id of the message it came in (`crate::correlation`); the jobs it causes
    /// carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

impl Entry {
    pub fn fold_event(&self) -> Option<FoldEvent> {
        Some(FoldEvent {
            event_id: self.event_id,
            identity: self.identity.clone(),
            event_type: self.event_type.parse::<EventType>().ok()?,
            occurred_at: self.occurred_at,
            data: self.data.clone(),
        })
    }

    pub fn set_verdict(&mut self, disposition: Disposition, reason: Option<String>) -> bool {
        let changed = self.disposition != disposition.as_str() || self.reason != reason;
        self.disposition = disposition.as_str().to_string();
        self.reason = reason;
        changed
    }
}

fn entries(value: Value) -> sqlx::Result<Vec<Entry>> {
    serde_json::from_value(value).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The histories of these orders (those that have one).
pub async fn of_orders(
    conn: &mut PgConnection,
    order_refs: &[String],
) -> sqlx::Result<Vec<(String, Vec<Entry>)>> {
    let rows = sqlx::query!(
        r#"select order_ref, events from order_history where order_ref = any($1)"#,
        order_refs
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|r| Ok((r.order_ref, entries(r.events)?)))
        .collect()
}

/// A parcel as its first dispatch claimed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub order_ref: String,
    /// The dispatch's carrier, normalized (`domain::carrier`); `None` when it named none.
    pub carrier: Option<String>,
}

/// The claims on these parcels, as far as dispatches have said.
pub async fn claims_on(
    conn: &mut PgConnection,
    tracking_numbers: &[String],
) -> sqlx::Result<HashMap<String, Claim>> {
    let rows = sqlx::query!(
        r#"select tracking_number, order_ref, carrier from parcel where tracking_number = any($1)"#,
        tracking_numbers
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let claim = Claim {
                order_ref: r.order_ref,
                carrier: r.carrier,
            };
            (r.tracking_number, claim)
        })
        .collect())
}

/// Records new claims. The caller has checked that none of these numbers is claimed yet; should
/// one be after all, the first claim stays.
pub async fn claim_parcels(
    conn: &mut PgConnection,
    parcels: &[(String, Claim)],
) -> sqlx::Result<()> {
    if parcels.is_empty() {
        return Ok(());
    }
    let numbers: Vec<&str> = parcels.iter().map(|(tn, _)| tn.as_str()).collect();
    let orders: Vec<&str> = parcels.iter().map(|(_, c)| c.order_ref.as_str()).collect();
    let carriers: Vec<Option<&str>> = parcels.iter().map(|(_, c)| c.carrier.as_deref()).collect();
    sqlx::query!(
        r#"insert into parcel (tracking_number, order_ref, carrier)
           select * from unnest($1::text[], $2::text[], $3::text[])
           on conflict (tracking_number) do nothing"#,
        &numbers as _,
        &orders as _,
        &carriers as _
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A dispatch that named a parcel another order had claimed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParcelConflict {
    pub tracking_number: String,
    /// The order that named it second, and the dispatch that did.
    pub order_ref: String,
    pub event_id: Uuid,
    pub claimed_by: String,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// Records conflicts (once per order and number).
pub async fn record_parcel_conflicts(
    conn: &mut PgConnection,
    conflicts: &[ParcelConflict],
) -> sqlx::Result<()> {
    if conflicts.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = conflicts
        .iter()
        .map(|c| {
            json!({"tracking_number": c.tracking_number, "order_ref": c.order_ref, "event_id": c.event_id,
                   "claimed_by": c.claimed_by, "occurred_at": c.occurred_at})
        })
        .collect();
    sqlx::query!(
        r#"insert into parcel_conflict (tracking_number, order_ref, event_id, claimed_by, occurred_at)
           select * from jsonb_to_recordset($1)
               as x(tracking_number text, order_ref text, event_id uuid, claimed_by text, occurred_at timestamptz)
           on conflict (order_ref, tracking_number) do nothing"#,
        Value::Array(rows)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The conflicts recorded for these orders (as the order that named the number second).
pub async fn parcel_conflicts_of(
    conn: &mut PgConnection,
    order_refs: &[String],
) -> sqlx::Result<Vec<ParcelConflict>> {
    sqlx::query_as!(
        ParcelConflict,
        r#"select tracking_number, order_ref, event_id, claimed_by, occurred_at as "occurred_at: DateTime<Utc>"
           from parcel_conflict where order_ref = any($1) order by detected_at, tracking_number"#,
        order_refs
    )
    .fetch_all(conn)
    .await
}

/// Takes the waiting carrier events of these parcels (they now belong to an order).
pub async fn take_parcels(
    conn: &mut PgConnection,
    tracking_numbers: &[String],
) -> sqlx::Result<Vec<(String, Vec<Entry>)>> {
    if tracking_numbers.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query!(
        r#"delete from parcel_history where tracking_number = any($1) returning tracking_number, events"#,
        tracking_numbers
    )
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|r| Ok((r.tracking_number, entries(r.events)?)))
        .collect()
}

/// Adds carrier events to the parcels' waiting lists.
pub async fn add_to_parcels(
    conn: &mut PgConnection,
    parcels: &[(String, Vec<Entry>)],
) -> sqlx::Result<()> {
    if parcels.is_empty() {
        return Ok(());
    }
    let numbers: Vec<&str> = parcels.iter().map(|(tn, _)| tn.as_str()).collect();
    let lists: Vec<Value> = parcels
        .iter()
        .map(|(_, e)| serde_json::to_value(e).unwrap_or_default())
        .collect();
    sqlx::query!(
        r#"insert into parcel_history (tracking_number, events)
           select * from unnest($1::text[], $2::jsonb[])
           on conflict (tracking_number) do update set events = parcel_history.events || excluded.events"#,
        &numbers as _,
        &lists
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the orders' histories whole.
pub async fn save_orders(
    conn: &mut PgConnection,
    orders: &[(String, Vec<Entry>)],
) -> sqlx::Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let refs: Vec<&str> = orders.iter().map(|(o, _)| o.as_str()).collect();
    let lists: Vec<Value> = orders
        .iter()
        .map(|(_, e)| serde_json::to_value(e).unwrap_or_default())
        .collect();
    sqlx::query!(
        r#"insert into order_history (order_ref, events) select * from unnest($1::text[], $2::jsonb[])
           on conflict (order_ref) do update set events = excluded.events"#,
        &refs as _,
        &lists
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An event waiting to be folded.
#[derive(Clone, Debug)]
pub struct Queued {
    pub queue_id: i64,
    pub entry: Entry,
    pub order_ref: Option<String>,
    pub tracking_number: Option<String>,
}

/// Takes up to `limit` queued events, oldest first, skipping those another projector holds,
/// each read from the event store as the fold reads it. They leave the queue when the caller's
/// transaction commits.
pub async fn take_queued(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Queued>> {
    let rows = sqlx::query!(
        r#"with taken as (
               delete from projection_queue where queue_id in (
                   select queue_id from projection_queue order by queue_id for update skip locked limit $1)
               returning queue_id, event_id, recorded_at, order_ref, tracking_number)
           select t.queue_id, t.order_ref, t.tracking_number, e.event_id, e.recorded_at as "recorded_at: DateTime<Utc>",
                  -- The identity the fold sorts ties by: stable however often the order is refolded.
                  e.connector_id || ':' || e.external_id as "identity!",
                  e.type, e.occurred_at as "occurred_at: DateTime<Utc>", e.data, e.disposition, e.disposition_reason,
                  e.correlation_id
           from taken t join event e on e.event_id = t.event_id and e.recorded_at = t.recorded_at"#,
        limit
    )
    .fetch_all(conn)
    .await?;
    let mut queued: Vec<Queued> = rows
        .into_iter()
        .map(|r| {
            Ok(Queued {
                queue_id: r.queue_id,
                entry: Entry {
                    event_id: r.event_id,
                    recorded_at: r.recorded_at,
                    identity: r.identity,
                    event_type: r.r#type,
                    occurred_at: r.occurred_at,
                    data: r.data,
                    disposition: r.disposition,
                    reason: r.disposition_reason,
                    correlation_id: r.correlation_id,
                },
                order_ref: r.order_ref,
                tracking_number: r.tracking_number,
            })
        })
        .collect::<sqlx::Result<_>>()?;
    queued.sort_by_key(|q| q.queue_id);
    Ok(queued)
}
