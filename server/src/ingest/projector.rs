//! The projector: folds stored events into their orders, in batches, after the ingest
//! transaction has committed them (the sender's 202 waits only for the store, not for this).
//!
//! Each run takes a batch from `projection_queue` (skipping rows another projector holds), locks
//! the orders and parcels it touches, folds each order's history (`store::history`) with the new
//! events, and writes the projections, the histories and every verdict that changed, then commits;
//! a crash leaves the batch queued for the next run. Carrier events naming a parcel no dispatch
//! has named yet wait in the parcel's history and join the order when its dispatch arrives.
//!
//! The same transaction is the outbox: each event applied for the first time is shown to
//! `sync::outbox::plan`, and the jobs it asks for (a release to the WMS, a write-back to Odoo)
//! are enqueued before the commit, so an applied event and its consequences are never apart;
//! so are the deliveries to customer webhook subscriptions of the order's account, and the
//! orders' SLA clocks, KPI shares and exception cases (`sla::engine`).

use crate::sync::connectors::outbound;
use crate::sync::outbox::{self, Applied, OrderContext, Routes};
use app::domain::event::{Disposition, EventType, SourceKind};
use app::domain::projection::{fold, FoldEvent, OrderProjection};
use app::store::events::{self, VerdictChange};
use app::store::history::{self, Entry, Queued};
use app::store::{connectors, jobs, projections, webhooks};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Events folded per transaction.
pub const BATCH: i64 = 2000;

/// Folds queued events until none are left; returns how many were folded.
pub async fn drain(pool: &PgPool) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let done = run_once(pool, BATCH).await?;
        if done == 0 {
            return Ok(total);
        }
        total += done;
    }
}

/// Folds one batch of queued events in one transaction; returns how many.
pub async fn run_once(pool: &PgPool, limit: i64) -> sqlx::Result<usize> {
    let mut tx = pool.begin().await?;
    let queued = history::take_queued(&mut tx, limit).await?;
    if queued.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let count = queued.len();
    let (endpoints, bad) = outbound::endpoints(&connectors::outbound_all(&mut *tx).await?);
    for error in bad {
        tracing::warn!(%error, "a connector's outbound settings are unusable; nothing is sent to it");
    }
    project(&mut tx, queued, &Routes::new(&endpoints)).await?;
    tx.commit().await?;
    Ok(count)
}

async fn project(
    conn: &mut PgConnection,
    mut queued: Vec<Queued>,
    routes: &Routes,
) -> sqlx::Result<()> {
    let keys: Vec<String> = queued
        .iter()
        .flat_map(|q| q.order_ref.iter().chain(q.tracking_number.iter()).cloned())
        .collect();
    events::lock_keys(conn, &keys).await?;

    // Which order each parcel belongs to: dispatches in this batch, then those stored before.
    let mut owner_of: HashMap<String, String> = HashMap::new();
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
    let arriving: Vec<String> = owner_of.keys().cloned().collect();
    let unresolved: Vec<String> = queued
        .iter()
        .filter(|q| q.order_ref.is_none())
        .filter_map(|q| q.tracking_number.clone())
        .filter(|tn| !owner_of.contains_key(tn))
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
            .and_then(|tn| owner_of.get(tn).or(known.get(tn)).cloned());
    }

    let order_refs: Vec<String> = queued
        .iter()
        .filter_map(|q| q.order_ref.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut histories: BTreeMap<String, Vec<Entry>> =
        order_refs.iter().map(|o| (o.clone(), Vec::new())).collect();
    for (order, entries) in history::of_orders(conn, &order_refs).await? {
        histories.insert(order, entries);
    }
    // Orders released before this batch: a later change amends the release instead of waiting.
    let released_before: BTreeSet<String> = histories
        .iter()
        .filter(|(_, list)| {
            list.iter().any(|e| {
                e.event_type == EventType::OrderReleaseRequested.as_str()
                    && e.disposition == Disposition::Applied.as_str()
            })
        })
        .map(|(order, _)| order.clone())
        .collect();
    for (tn, waiting) in history::take_parcels(conn, &arriving).await? {
        if let Some(list) = owner_of.get(&tn).and_then(|o| histories.get_mut(o)) {
            list.extend(waiting);
        }
    }

    // Every queued event is stored with a provisional verdict; each gets its real one now.
    let mut changes: Vec<VerdictChange> = Vec::new();
    let mut inventory_jobs = Vec::new();
    let mut parcels: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for q in queued {
        let mut entry = q.entry;
        match (&q.order_ref, &q.tracking_number) {
            (Some(order), _) => histories
                .get_mut(order)
                .expect("every order has a list")
                .push(entry),
            (None, Some(tn)) => {
                let reason = Some(format!("waiting for a dispatch with tracking number {tn}"));
                if entry.set_verdict(Disposition::Pending, reason.clone()) {
                    changes.push(change(&entry));
                }
                parcels.entry(tn.clone()).or_default().push(entry);
            }
            (None, None) => {
                let inventory = matches!(
                    entry.event_type.as_str(),
                    "inventory.snapshot" | "inventory.adjusted"
                );
                let (disposition, reason) = if inventory {
                    if entry.event_type == EventType::InventorySnapshot.as_str()
                        && entry.disposition != Disposition::Applied.as_str()
                    {
                        inventory_jobs.extend(outbox::plan_inventory(
                            entry.event_id,
                            &entry.data,
                            routes,
                        ));
                    }
                    (Disposition::Applied, None)
                } else {
                    (
                        Disposition::Pending,
                        Some("names no order or shipment".to_string()),
                    )
                };
                if entry.set_verdict(disposition, reason) {
                    changes.push(change(&entry));
                }
            }
        }
    }

    let mut written: Vec<OrderProjection> = Vec::new();
    let mut saved = Vec::new();
    let mut outbox_jobs = inventory_jobs;
    // (event, order, type) of every event applied for the first time: customer webhooks.
    let mut deliveries: Vec<(uuid::Uuid, String, String)> = Vec::new();
    // Orders an event of this batch changed in the past (it happened before something already
    // applied): their KPI rollups are marked recomputed, and the dashboard says so.
    let mut changed_past: Vec<String> = Vec::new();
    for (order, mut list) in histories {
        let inputs: Vec<FoldEvent> = list.iter().filter_map(Entry::fold_event).collect();
        let latest_before = list
            .iter()
            .filter(|e| e.disposition == Disposition::Applied.as_str())
            .filter_map(|e| e.occurred_at)
            .max();
        let outcome = fold(&order, &inputs);
        let mut newly_applied = Vec::new();
        for e in list.iter_mut() {
            if let Some(v) = outcome.verdicts.get(&e.event_id) {
                if e.set_verdict(v.disposition, v.reason.clone()) {
                    changes.push(change(e));
                    if v.disposition == Disposition::Applied {
                        newly_applied.push(e.event_id);
                    }
                }
            }
        }
        if list.iter().any(|e| {
            newly_applied.contains(&e.event_id)
                && matches!((e.occurred_at, latest_before), (Some(t), Some(latest)) if t < latest)
        }) {
            changed_past.push(order.clone());
        }
        deliveries.extend(
            list.iter()
                .filter(|e| newly_applied.contains(&e.event_id))
                .map(|e| (e.event_id, order.clone(), e.event_type.clone())),
        );
        if let (Some(projection), false) = (&outcome.projection, routes.is_empty()) {
            let context = OrderContext {
                order: projection,
                erp_connector: erp_connector(&list),
                released_before: released_before.contains(&order),
            };
            for e in list.iter().filter(|e| newly_applied.contains(&e.event_id)) {
                if let Ok(event_type) = e.event_type.parse::<EventType>() {
                    let applied = Applied {
                        event_id: e.event_id,
                        event_type,
                        data: &e.data,
                    };
                    outbox_jobs.extend(outbox::plan(&applied, &context, routes));
                }
            }
        }
        written.extend(outcome.projection);
        saved.push((order, list));
    }
    let claimed: Vec<(String, String)> = owner_of.into_iter().collect();
    history::claim_parcels(conn, &claimed).await?;
    projections::write(conn, &written).await?;
    crate::sla::engine::recompute(conn, &written, &changed_past, chrono::Utc::now()).await?;
    history::save_orders(conn, &saved).await?;
    history::add_to_parcels(conn, &parcels.into_iter().collect::<Vec<_>>()).await?;
    events::set_verdicts(conn, &changes).await?;
    jobs::enqueue_many(conn, &outbox_jobs).await?;
    // After the orders are written: a delivery goes to the subscriptions of the order's account.
    webhooks::enqueue_deliveries(conn, &deliveries).await?;
    Ok(())
}

/// The connector an order's commercial events came from (identities are `connector_id:id`).
fn erp_connector(list: &[Entry]) -> Option<i64> {
    list.iter()
        .find(|e| {
            e.event_type
                .parse::<EventType>()
                .is_ok_and(|t| t.owner() == SourceKind::Erp)
        })
        .and_then(|e| e.identity.split_once(':'))
        .and_then(|(connector, _)| connector.parse().ok())
}

fn change(e: &Entry) -> VerdictChange {
    VerdictChange {
        event_id: e.event_id,
        recorded_at: e.recorded_at,
        disposition: Disposition::parse(&e.disposition).unwrap_or(Disposition::Pending),
        reason: e.reason.clone(),
    }
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
