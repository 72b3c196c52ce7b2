//! Folds the orders a message touches: each order's history (`store::history`) plus the new
//! events (not yet appended, so each new event is written once, with its final verdict), then
//! writes the projections, the histories, and any verdict a late event changed. Carrier events
//! naming a parcel no dispatch has named yet wait in the parcel's history and join the order when
//! its dispatch arrives. The caller holds the orders' and parcels' locks.

use app::domain::event::{Disposition, EventType};
use app::domain::projection::{fold, FoldEvent, OrderProjection};
use app::store::events::{self, NewEvent, VerdictChange};
use app::store::history::{self, Entry};
use app::store::projections;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub async fn project(
    conn: &mut PgConnection,
    connector_id: i64,
    recorded_at: DateTime<Utc>,
    new_events: &mut [NewEvent],
) -> sqlx::Result<()> {
    let live = |e: &NewEvent| e.disposition != Disposition::Duplicate;
    // Parcels dispatched in this very message belong to its orders.
    let mut owner_of: HashMap<String, String> = HashMap::new();
    for e in new_events
        .iter()
        .filter(|e| live(e) && e.event_type == EventType::ShipmentDispatched)
    {
        if let Some(order) = &e.order_ref {
            for tn in dispatched_numbers(&e.data) {
                owner_of.insert(tn, order.clone());
            }
        }
    }
    for e in new_events.iter_mut().filter(|e| e.order_ref.is_none()) {
        e.order_ref = e
            .tracking_number
            .as_ref()
            .and_then(|tn| owner_of.get(tn).cloned());
    }
    let entry = |e: &NewEvent| Entry {
        event_id: e.event_id,
        recorded_at,
        // The identity a stored event has, so every later fold sorts ties the same way.
        identity: format!("{connector_id}:{}", e.external_id),
        event_type: e.event_type.as_str().to_string(),
        occurred_at: e.occurred_at,
        data: e.data.clone(),
        disposition: Disposition::Pending.as_str().to_string(),
        reason: None,
    };

    let order_refs: BTreeSet<String> = new_events
        .iter()
        .filter(|e| live(e))
        .filter_map(|e| e.order_ref.clone())
        .collect();
    let order_refs: Vec<String> = order_refs.into_iter().collect();
    let mut histories: BTreeMap<String, Vec<Entry>> =
        order_refs.iter().map(|o| (o.clone(), Vec::new())).collect();
    for (order, entries) in history::of_orders(conn, &order_refs).await? {
        histories.insert(order, entries);
    }
    let arriving: Vec<String> = owner_of.keys().cloned().collect();
    for (tn, waiting) in history::take_parcels(conn, &arriving).await? {
        if let Some(list) = owner_of.get(&tn).and_then(|o| histories.get_mut(o)) {
            list.extend(waiting);
        }
    }
    let stored: HashSet<uuid::Uuid> = histories.values().flatten().map(|e| e.event_id).collect();

    let mut parcels: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for e in new_events.iter_mut().filter(|e| live(e)) {
        match (&e.order_ref, &e.tracking_number) {
            (Some(order), _) => histories
                .get_mut(order)
                .expect("every order has a list")
                .push(entry(e)),
            (None, Some(tn)) => {
                e.disposition = Disposition::Pending;
                e.disposition_reason =
                    Some(format!("waiting for a dispatch with tracking number {tn}"));
                let mut waiting = entry(e);
                waiting.reason = e.disposition_reason.clone();
                parcels.entry(tn.clone()).or_default().push(waiting);
            }
            (None, None)
                if matches!(
                    e.event_type,
                    EventType::InventorySnapshot | EventType::InventoryAdjusted
                ) =>
            {
                e.disposition = Disposition::Applied;
            }
            (None, None) => {
                e.disposition = Disposition::Pending;
                e.disposition_reason = Some("names no order or shipment".into());
            }
        }
    }

    let mut written: Vec<OrderProjection> = Vec::new();
    let mut changes: Vec<VerdictChange> = Vec::new();
    let mut verdict_of: HashMap<uuid::Uuid, (Disposition, Option<String>)> = HashMap::new();
    let mut saved = Vec::new();
    for (order, mut list) in histories {
        let inputs: Vec<FoldEvent> = list.iter().filter_map(Entry::fold_event).collect();
        let outcome = fold(&order, &inputs);
        for e in list.iter_mut() {
            let Some(v) = outcome.verdicts.get(&e.event_id) else {
                continue;
            };
            let changed = e.set_verdict(v.disposition, v.reason.clone());
            if stored.contains(&e.event_id) {
                if changed {
                    changes.push(VerdictChange {
                        event_id: e.event_id,
                        recorded_at: e.recorded_at,
                        disposition: v.disposition,
                        reason: v.reason.clone(),
                    });
                }
            } else {
                verdict_of.insert(e.event_id, (v.disposition, v.reason.clone()));
            }
        }
        written.extend(outcome.projection);
        saved.push((order, list));
    }
    for e in new_events.iter_mut() {
        if let Some((disposition, reason)) = verdict_of.remove(&e.event_id) {
            e.disposition = disposition;
            e.disposition_reason = reason;
        }
    }
    let claimed: Vec<(String, String)> = owner_of.into_iter().collect();
    history::claim_parcels(conn, &claimed).await?;
    projections::write(conn, &written).await?;
    history::save_orders(conn, &saved).await?;
    history::add_to_parcels(conn, &parcels.into_iter().collect::<Vec<_>>()).await?;
    events::set_verdicts(conn, &changes).await?;
    Ok(())
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
