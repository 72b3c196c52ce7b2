//! Fold and verdicts: every event of a batch goes to its order's history (or waits in its
//! parcel's), each touched order is folded again from its history (`app::domain::projection`, a
//! pure function of the set of events), and every event gets its verdict: applied, superseded,
//! or pending with the reason it waits. Events are stored with a provisional verdict; only the
//! ones whose verdict changes are written back.

use super::owners::{event_carrier, Owners};
use crate::store::events::VerdictChange;
use crate::store::history::{self, Entry, ParcelConflict, Queued};
use crate::store::{connectors, projections};
use app::domain::carrier::same_carrier;
use app::domain::event::{Disposition, EventType, SourceKind};
use app::domain::projection::{fold, CustomerRef, ExceptionView, FoldEvent, OrderProjection};
use app::domain::status::{ExceptionDomain, Severity};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// A batch's orders with their histories, before the fold.
#[derive(Debug, Default)]
pub struct Batch {
    histories: BTreeMap<String, Vec<Entry>>,
    /// Orders released before this batch: a later change amends the release instead of waiting.
    released_before: BTreeSet<String>,
    /// Carrier events waiting for the dispatch that names their parcel.
    waiting: BTreeMap<String, Vec<Entry>>,
    /// Inventory snapshots applied for the first time: (event, data).
    inventory: Vec<(Uuid, Value)>,
    changes: Vec<VerdictChange>,
    /// Why carrier events that cannot join a claimed parcel wait (from `owners`).
    waits: HashMap<Uuid, String>,
    /// Dispatches that named another order's parcel, by the order that named it.
    conflicts: BTreeMap<String, Vec<ParcelConflict>>,
    /// Events of connectors that do not serve their order's account, with the reason.
    out_of_scope: HashMap<Uuid, String>,
}

/// One order after the fold.
#[derive(Debug)]
pub struct FoldedOrder {
    pub order_ref: String,
    /// Its history with every verdict as now given.
    pub history: Vec<Entry>,
    /// `None` while the order itself has not arrived (its events wait as `pending`).
    pub projection: Option<OrderProjection>,
    /// Events applied for the first time in this batch.
    pub newly_applied: Vec<Uuid>,
    /// An event of this batch happened before one already applied: the order's KPI rollups are
    /// marked recomputed, and the dashboard says so.
    pub changed_past: bool,
    pub released_before: bool,
}

impl FoldedOrder {
    /// The events applied for the first time, in history order.
    pub fn applied_now(&self) -> impl Iterator<Item = &Entry> {
        self.history
            .iter()
            .filter(|e| self.newly_applied.contains(&e.event_id))
    }

    /// The connector its commercial events came from (identities are `connector_id:id`).
    pub fn erp_connector(&self) -> Option<i64> {
        erp_connector_of(&self.history)
    }
}

/// The connector an order's commercial events came from: the first ERP-owned event not
/// rejected (identities are `connector_id:id`).
pub(super) fn erp_connector_of(history: &[Entry]) -> Option<i64> {
    history
        .iter()
        .filter(|e| e.disposition != Disposition::Rejected.as_str())
        .find(|e| {
            e.event_type
                .parse::<EventType>()
                .is_ok_and(|t| t.owner() == SourceKind::Erp)
        })
        .and_then(connector_of)
}

/// Everything the fold decided for a batch.
#[derive(Debug, Default)]
pub struct Folded {
    pub orders: Vec<FoldedOrder>,
    pub waiting: BTreeMap<String, Vec<Entry>>,
    pub inventory: Vec<(Uuid, Value)>,
    pub changes: Vec<VerdictChange>,
}

impl Batch {
    /// Reads the histories of the batch's orders, and the events that waited for the parcels
    /// its dispatches name.
    pub async fn gather(
        conn: &mut PgConnection,
        queued: &[Queued],
        owners: &Owners,
    ) -> sqlx::Result<Batch> {
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
        let released_before = histories
            .iter()
            .filter(|(_, list)| list.iter().any(was_released))
            .map(|(order, _)| order.clone())
            .collect();
        // Waiting carrier events join a new claim when their carrier agrees; the rest wait on.
        let mut still_waiting: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for (tn, waiting) in history::take_parcels(conn, &owners.arriving()).await? {
            let Some(claim) = owners.claims.get(&tn) else {
                continue;
            };
            let (joining, other): (Vec<Entry>, Vec<Entry>) = waiting.into_iter().partition(|e| {
                same_carrier(claim.carrier.as_deref(), event_carrier(&e.data).as_deref())
            });
            if let Some(list) = histories.get_mut(&claim.order_ref) {
                list.extend(joining);
            }
            if !other.is_empty() {
                still_waiting.insert(tn, other);
            }
        }
        let mut conflicts: BTreeMap<String, Vec<ParcelConflict>> = BTreeMap::new();
        let stored_conflicts = history::parcel_conflicts_of(conn, &order_refs).await?;
        for c in stored_conflicts
            .into_iter()
            .chain(owners.conflicts.iter().cloned())
        {
            let list = conflicts.entry(c.order_ref.clone()).or_default();
            if !list
                .iter()
                .any(|known| known.tracking_number == c.tracking_number)
            {
                list.push(c);
            }
        }
        Ok(Batch {
            histories,
            released_before,
            waiting: still_waiting,
            waits: owners.waits.clone(),
            conflicts,
            ..Batch::default()
        })
    }

    /// Rejects, in every order of the batch, the events of connectors that serve other accounts
    /// (`connector.account_ids`). The order's account is the one its customer names once folded;
    /// until the order has arrived its events wait anyway, and the check runs when it does.
    /// Run again on every refold, so a changed scope applies to an order's next event.
    pub async fn check_scope(&mut self, conn: &mut PgConnection) -> sqlx::Result<()> {
        let scopes = connectors::scopes(&mut *conn).await?;
        if scopes.is_empty() {
            return Ok(());
        }
        let mut scoped_orders = Vec::new();
        for (order_ref, history) in &self.histories {
            if !history
                .iter()
                .any(|e| connector_of(e).is_some_and(|c| scopes.contains_key(&c)))
            {
                continue;
            }
            let inputs: Vec<FoldEvent> = history.iter().filter_map(Entry::fold_event).collect();
            if let Some(projection) = fold(order_ref, &inputs).projection {
                scoped_orders.push((order_ref.clone(), projection.header.customer));
            }
        }
        let customers: Vec<&CustomerRef> = scoped_orders.iter().map(|(_, c)| c).collect();
        let accounts = projections::accounts_of(conn, &customers).await?;
        for ((order_ref, customer), account) in scoped_orders.iter().zip(accounts) {
            for e in &self.histories[order_ref] {
                let Some(allowed) = connector_of(e).and_then(|c| scopes.get(&c)) else {
                    continue;
                };
                if account.is_some_and(|a| allowed.contains(&a)) {
                    continue;
                }
                let whose = customer
                    .account_code
                    .clone()
                    .or_else(|| customer.name.clone())
                    .unwrap_or_else(|| "an unknown account".into());
                self.out_of_scope.insert(
                    e.event_id,
                    format!(
                        "its connector does not serve {whose}, the account of order {order_ref}"
                    ),
                );
            }
        }
        Ok(())
    }

    /// Puts each queued event in its order's history; an event with no order waits in its
    /// parcel's, an inventory snapshot is applied on its own, anything else waits for an order.
    pub fn route(&mut self, queued: Vec<Queued>) {
        for q in queued {
            let mut entry = q.entry;
            match (&q.order_ref, &q.tracking_number) {
                (Some(order), _) => self
                    .histories
                    .get_mut(order)
                    .expect("every order has a list")
                    .push(entry),
                (None, Some(tn)) => {
                    let reason =
                        Some(self.waits.get(&entry.event_id).cloned().unwrap_or_else(|| {
                            format!("waiting for a dispatch with tracking number {tn}")
                        }));
                    self.verdict(&mut entry, Disposition::Pending, reason);
                    self.waiting.entry(tn.clone()).or_default().push(entry);
                }
                (None, None) => {
                    let (disposition, reason) = if is_inventory(&entry) {
                        if entry.event_type == EventType::InventorySnapshot.as_str()
                            && entry.disposition != Disposition::Applied.as_str()
                        {
                            self.inventory.push((entry.event_id, entry.data.clone()));
                        }
                        (Disposition::Applied, None)
                    } else {
                        let reason = "names no order or shipment".to_string();
                        (Disposition::Pending, Some(reason))
                    };
                    self.verdict(&mut entry, disposition, reason);
                }
            }
        }
    }

    /// Folds every order of the batch and gives each of its events its verdict.
    pub fn fold(mut self) -> Folded {
        let histories = std::mem::take(&mut self.histories);
        let mut orders = Vec::with_capacity(histories.len());
        for (order_ref, history) in histories {
            let released_before = self.released_before.contains(&order_ref);
            orders.push(self.fold_order(order_ref, history, released_before));
        }
        Folded {
            orders,
            waiting: self.waiting,
            inventory: self.inventory,
            changes: self.changes,
        }
    }

    fn fold_order(
        &mut self,
        order_ref: String,
        mut history: Vec<Entry>,
        released_before: bool,
    ) -> FoldedOrder {
        let inputs: Vec<FoldEvent> = history
            .iter()
            .filter(|e| !self.out_of_scope.contains_key(&e.event_id))
            .filter_map(Entry::fold_event)
            .collect();
        let latest_before = history
            .iter()
            .filter(|e| e.disposition == Disposition::Applied.as_str())
            .filter_map(|e| e.occurred_at)
            .max();
        let mut outcome = fold(&order_ref, &inputs);
        if let Some(projection) = outcome.projection.as_mut() {
            for c in self.conflicts.get(&order_ref).into_iter().flatten() {
                projection.exceptions.push(conflict_exception(c));
            }
        }
        let mut newly_applied = Vec::new();
        for e in history.iter_mut() {
            if let Some(why) = self.out_of_scope.get(&e.event_id).cloned() {
                self.verdict(e, Disposition::Rejected, Some(why));
            } else if let Some(v) = outcome.verdicts.get(&e.event_id) {
                if self.verdict(e, v.disposition, v.reason.clone())
                    && v.disposition == Disposition::Applied
                {
                    newly_applied.push(e.event_id);
                }
            }
        }
        let changed_past = history.iter().any(|e| {
            newly_applied.contains(&e.event_id)
                && matches!((e.occurred_at, latest_before), (Some(t), Some(latest)) if t < latest)
        });
        FoldedOrder {
            order_ref,
            history,
            projection: outcome.projection,
            newly_applied,
            changed_past,
            released_before,
        }
    }

    /// Gives `entry` its verdict; remembers it to write when it changed.
    fn verdict(&mut self, entry: &mut Entry, d: Disposition, reason: Option<String>) -> bool {
        let changed = entry.set_verdict(d, reason);
        if changed {
            self.changes.push(VerdictChange {
                event_id: entry.event_id,
                recorded_at: entry.recorded_at,
                disposition: Disposition::parse(&entry.disposition).unwrap_or(Disposition::Pending),
                reason: entry.reason.clone(),
            });
        }
        changed
    }
}

/// The connector an event came from (identities are `connector_id:external id`).
fn connector_of(e: &Entry) -> Option<i64> {
    e.identity.split_once(':').and_then(|(c, _)| c.parse().ok())
}

/// A dispatch named a parcel another order holds: the order shows it until someone sorts out
/// which order the number belongs to (the first claim keeps the carrier's events meanwhile).
fn conflict_exception(c: &ParcelConflict) -> ExceptionView {
    ExceptionView {
        opened_by_event: c.event_id,
        kind: "parcel_conflict".into(),
        domain: ExceptionDomain::Transport,
        severity: Severity::Warning,
        summary: format!(
            "Tracking number {} is already a parcel of order {}; its carrier events stay there",
            c.tracking_number, c.claimed_by
        ),
        opened_at: c.occurred_at,
        closed_by_event: None,
        closed_at: None,
    }
}

fn was_released(e: &Entry) -> bool {
    e.event_type == EventType::OrderReleaseRequested.as_str()
        && e.disposition == Disposition::Applied.as_str()
}

fn is_inventory(e: &Entry) -> bool {
    e.event_type == EventType::InventorySnapshot.as_str()
        || e.event_type == EventType::InventoryAdjusted.as_str()
}
