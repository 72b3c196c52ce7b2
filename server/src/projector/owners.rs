//! Which order each event of a batch belongs to. Most events name their order; a carrier event
//! often names only its parcel (a tracking number), whose order is known once a dispatch names
//! that parcel, in this batch or before it. The orders and parcels a batch touches are locked
//! first (advisory locks, held until the transaction ends), so two projectors never fold the same
//! order at once.

use crate::store::events;
use crate::store::history::{self, Queued};
use app::domain::event::EventType;
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::HashMap;

/// The parcels the batch's dispatches name, each with its order.
#[derive(Debug, Default)]
pub struct Owners {
    /// Tracking number → order, from the dispatches in this batch.
    pub dispatched: HashMap<String, String>,
}

impl Owners {
    /// The parcels whose waiting events join their order in this batch.
    pub fn arriving(&self) -> Vec<String> {
        self.dispatched.keys().cloned().collect()
    }

    /// (tracking number, order) pairs to record as claimed.
    pub fn claimed(&self) -> Vec<(String, String)> {
        self.dispatched
            .iter()
            .map(|(tn, order)| (tn.clone(), order.clone()))
            .collect()
    }

    pub fn order_of(&self, tracking_number: &str) -> Option<&String> {
        self.dispatched.get(tracking_number)
    }
}

/// Locks what the batch touches and sets the order of every event that names only a parcel
/// whose dispatch is known (in this batch first, then among those stored before).
pub async fn resolve(conn: &mut PgConnection, queued: &mut [Queued]) -> sqlx::Result<Owners> {
    let keys: Vec<String> = queued
        .iter()
        .flat_map(|q| q.order_ref.iter().chain(q.tracking_number.iter()).cloned())
        .collect();
    events::lock_keys(conn, &keys).await?;

    let owners = Owners {
        dispatched: dispatched_in(queued),
    };
    let unresolved: Vec<String> = queued
        .iter()
        .filter(|q| q.order_ref.is_none())
        .filter_map(|q| q.tracking_number.clone())
        .filter(|tn| !owners.dispatched.contains_key(tn))
        .collect();
    let known: HashMap<String, String> = history::owners_of_parcels(conn, &unresolved)
        .await?
        .into_iter()
        .collect();
    let extra: Vec<String> = known.values().cloned().collect();
    events::lock_keys(conn, &extra).await?;
    for q in queued.iter_mut().filter(|q| q.order_ref.is_none()) {
        q.order_ref = q
            .tracking_number
            .as_ref()
            .and_then(|tn| owners.order_of(tn).or(known.get(tn)).cloned());
    }
    Ok(owners)
}

/// Tracking number → order, for every parcel a dispatch in the batch names.
fn dispatched_in(queued: &[Queued]) -> HashMap<String, String> {
    let mut owner_of = HashMap::new();
    for q in queued
        .iter()
        .filter(|q| q.entry.event_type == EventType::ShipmentDispatched.as_str())
    {
        if let Some(order) = &q.order_ref {
            for tn in dispatched_numbers(&q.entry.data) {
                owner_of.insert(tn, order.clone());
            }
        }
    }
    owner_of
}

fn dispatched_numbers(data: &Value) -> Vec<String> {
    data.pointer("/shipment/tracking_numbers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
