//! Folds the orders a message touches: their stored events plus the new ones (not yet appended,
//! so each new event is written once, with its final verdict), then writes the projections and
//! any verdict a late event changed. The caller holds the orders' locks.

use app::domain::event::{Disposition, EventType};
use app::domain::projection::{fold, FoldEvent, OrderProjection};
use app::store::events::{self, NewEvent, VerdictChange};
use app::store::projections;
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::{BTreeMap, HashMap};

pub async fn project(
    conn: &mut PgConnection,
    connector_id: i64,
    new_events: &mut [NewEvent],
) -> sqlx::Result<()> {
    let live = |e: &NewEvent| e.disposition != Disposition::Duplicate;
    // Tracking numbers dispatched in this very message belong to its orders.
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
    for e in new_events
        .iter_mut()
        .filter(|e| live(e) && e.order_ref.is_none())
    {
        (e.disposition, e.disposition_reason) = match (&e.tracking_number, e.event_type) {
            (_, EventType::InventorySnapshot | EventType::InventoryAdjusted) => {
                (Disposition::Applied, None)
            }
            (Some(tn), _) => (
                Disposition::Pending,
                Some(format!("waiting for a dispatch with tracking number {tn}")),
            ),
            (None, _) => (
                Disposition::Pending,
                Some("names no order or shipment".into()),
            ),
        };
    }
    let mut order_refs: Vec<String> = new_events
        .iter()
        .filter(|e| live(e))
        .filter_map(|e| e.order_ref.clone())
        .collect();
    order_refs.sort();
    order_refs.dedup();
    if order_refs.is_empty() {
        return Ok(());
    }

    let arriving: Vec<String> = owner_of.keys().cloned().collect();
    let stored = events::load_for_orders(conn, &order_refs, &arriving).await?;
    for e in &stored {
        if let (Some(order), EventType::ShipmentDispatched) = (&e.order_ref, e.fold.event_type) {
            for tn in dispatched_numbers(&e.fold.data) {
                owner_of.entry(tn).or_insert_with(|| order.clone());
            }
        }
    }
    let mut by_order: BTreeMap<String, Vec<FoldEvent>> =
        order_refs.iter().map(|o| (o.clone(), vec![])).collect();
    let order_of = |order_ref: &Option<String>, tn: &Option<String>| {
        order_ref
            .clone()
            .or_else(|| tn.as_ref().and_then(|tn| owner_of.get(tn).cloned()))
    };
    for e in &stored {
        if let Some(list) =
            order_of(&e.order_ref, &e.tracking_number).and_then(|o| by_order.get_mut(&o))
        {
            list.push(e.fold.clone());
        }
    }
    for e in new_events.iter().filter(|e| live(e)) {
        if let Some(list) = e.order_ref.as_ref().and_then(|o| by_order.get_mut(o)) {
            list.push(FoldEvent {
                event_id: e.event_id,
                // The identity a stored event has, so a refold later sorts ties the same way.
                identity: format!("{connector_id}:{}", e.external_id),
                event_type: e.event_type,
                occurred_at: e.occurred_at,
                data: e.data.clone(),
            });
        }
    }

    let mut written: Vec<OrderProjection> = Vec::new();
    let mut verdicts = HashMap::new();
    for (order_ref, list) in &by_order {
        let outcome = fold(order_ref, list);
        written.extend(outcome.projection);
        verdicts.extend(outcome.verdicts);
    }
    for e in new_events
        .iter_mut()
        .filter(|e| live(e) && e.order_ref.is_some())
    {
        if let Some(v) = verdicts.get(&e.event_id) {
            e.disposition = v.disposition;
            e.disposition_reason = v.reason.clone();
        }
    }
    let changes: Vec<VerdictChange> = stored
        .iter()
        .filter_map(|e| {
            let v = verdicts.get(&e.fold.event_id)?;
            let same = v.disposition.as_str() == e.disposition && v.reason == e.disposition_reason;
            (!same).then(|| VerdictChange {
                event_id: e.fold.event_id,
                recorded_at: e.recorded_at,
                disposition: v.disposition,
                reason: v.reason.clone(),
            })
        })
        .collect();
    projections::write(conn, &written).await?;
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
