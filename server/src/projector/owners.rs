//! Which order each event of a batch belongs to. Most events name their order; a carrier event
//! often names only its parcel (a tracking number), whose order is known once a dispatch claims
//! that parcel, in this batch or before it. The orders and parcels a batch touches are locked
//! first (advisory locks, held until the transaction ends), so two projectors never fold the same
//! order at once.
//!
//! A parcel is claimed once: the first dispatch to name a number keeps it, and a later dispatch
//! of another order naming the same number is a conflict (recorded, and shown on that order as an
//! open exception), never a takeover. A carrier event joins a claim only when its carrier agrees
//! with the dispatch's (`domain::carrier`), so a reused number at another carrier waits for its
//! own dispatch. Whether the carrier may touch that order's account at all is the fold's check.

use crate::store::events;
use crate::store::history::{self, Claim, ParcelConflict, Queued};
use app::domain::carrier::{carrier_key, same_carrier};
use app::domain::event::EventType;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// What the batch's dispatches claim, and the carrier events that cannot join a claim.
#[derive(Debug, Default)]
pub struct Owners {
    /// Claims made by this batch's dispatches: tracking number → claim.
    pub claims: HashMap<String, Claim>,
    /// Claims made before this batch, on the numbers it names.
    pub stored: HashMap<String, Claim>,
    /// Dispatches that named a number another order holds.
    pub conflicts: Vec<ParcelConflict>,
    /// Carrier events whose number is claimed by another carrier's parcel: event → why it waits.
    pub waits: HashMap<Uuid, String>,
}

impl Owners {
    /// The parcels whose waiting events may join their order in this batch.
    pub fn arriving(&self) -> Vec<String> {
        self.claims.keys().cloned().collect()
    }

    /// New (tracking number, claim) pairs to record.
    pub fn claimed(&self) -> Vec<(String, Claim)> {
        self.claims
            .iter()
            .map(|(tn, claim)| (tn.clone(), claim.clone()))
            .collect()
    }

    /// The claim on a number, made before this batch or by it.
    pub fn claim_on(&self, tracking_number: &str) -> Option<&Claim> {
        self.stored
            .get(tracking_number)
            .or_else(|| self.claims.get(tracking_number))
    }
}

/// One parcel a dispatch of the batch names.
struct Named {
    tracking_number: String,
    order_ref: String,
    carrier: Option<String>,
    event_id: Uuid,
    occurred_at: Option<DateTime<Utc>>,
}

/// Locks what the batch touches, settles the claims its dispatches make, and sets the order of
/// every carrier event that names only a claimed parcel of its carrier.
pub async fn resolve(conn: &mut PgConnection, queued: &mut [Queued]) -> sqlx::Result<Owners> {
    let keys: Vec<String> = queued
        .iter()
        .flat_map(|q| q.order_ref.iter().chain(q.tracking_number.iter()).cloned())
        .collect();
    events::lock_keys(conn, &keys).await?;

    let named = dispatched_in(queued);
    let mut numbers: Vec<String> = named.iter().map(|n| n.tracking_number.clone()).collect();
    numbers.extend(
        queued
            .iter()
            .filter(|q| q.order_ref.is_none())
            .filter_map(|q| q.tracking_number.clone()),
    );
    let mut owners = Owners {
        stored: history::claims_on(conn, &numbers).await?,
        ..Owners::default()
    };
    settle_claims(&mut owners, named);

    let extra: Vec<String> = owners
        .stored
        .values()
        .map(|c| c.order_ref.clone())
        .collect();
    events::lock_keys(conn, &extra).await?;
    for q in queued.iter_mut().filter(|q| q.order_ref.is_none()) {
        let Some(tn) = q.tracking_number.as_deref() else {
            continue;
        };
        let Some(claim) = owners.claim_on(tn) else {
            continue;
        };
        let carrier = event_carrier(&q.entry.data);
        if same_carrier(claim.carrier.as_deref(), carrier.as_deref()) {
            q.order_ref = Some(claim.order_ref.clone());
        } else {
            let why = format!(
                "tracking number {tn} is a {} parcel; this {} event waits for its own dispatch",
                claim.carrier.as_deref().unwrap_or("?"),
                carrier.as_deref().unwrap_or("?"),
            );
            owners.waits.insert(q.entry.event_id, why);
        }
    }
    Ok(owners)
}

/// The first order to name a number keeps it; any other order naming it is a conflict.
fn settle_claims(owners: &mut Owners, named: Vec<Named>) {
    for n in named {
        match owners.claim_on(&n.tracking_number) {
            Some(claim) if claim.order_ref == n.order_ref => {}
            Some(claim) => owners.conflicts.push(ParcelConflict {
                tracking_number: n.tracking_number,
                order_ref: n.order_ref,
                event_id: n.event_id,
                claimed_by: claim.order_ref.clone(),
                occurred_at: n.occurred_at,
            }),
            None => {
                let claim = Claim {
                    order_ref: n.order_ref,
                    carrier: n.carrier,
                };
                owners.claims.insert(n.tracking_number, claim);
            }
        }
    }
}

/// The carrier a carrier event names (its `carrier`), as a key.
pub fn event_carrier(data: &Value) -> Option<String> {
    data.get("carrier")
        .and_then(Value::as_str)
        .and_then(carrier_key)
}

/// Every parcel a dispatch in the batch names, in the order the batch holds them.
fn dispatched_in(queued: &[Queued]) -> Vec<Named> {
    let mut named = Vec::new();
    for q in queued
        .iter()
        .filter(|q| q.entry.event_type == EventType::ShipmentDispatched.as_str())
    {
        let Some(order) = &q.order_ref else { continue };
        let carrier = ["/shipment/carrier", "/shipment/carrier_scac"]
            .iter()
            .find_map(|p| q.entry.data.pointer(p).and_then(Value::as_str))
            .and_then(carrier_key);
        for tn in dispatched_numbers(&q.entry.data) {
            named.push(Named {
                tracking_number: tn,
                order_ref: order.clone(),
                carrier: carrier.clone(),
                event_id: q.entry.event_id,
                occurred_at: q.entry.occurred_at,
            });
        }
    }
    named
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

#[cfg(test)]
mod tests {
    use super::*;

    fn named(tn: &str, order: &str, carrier: Option<&str>) -> Named {
        Named {
            tracking_number: tn.into(),
            order_ref: order.into(),
            carrier: carrier.map(str::to_string),
            event_id: Uuid::new_v4(),
            occurred_at: None,
        }
    }

    #[test]
    fn the_first_claim_stays_and_a_second_order_is_a_conflict() {
        let mut owners = Owners::default();
        owners.stored.insert(
            "1Z1".into(),
            Claim {
                order_ref: "S1".into(),
                carrier: Some("ups".into()),
            },
        );
        settle_claims(
            &mut owners,
            vec![
                named("1Z1", "S1", Some("ups")),
                named("1Z1", "S3", Some("ups")),
                named("1Z2", "S4", None),
                named("1Z2", "S5", None),
            ],
        );
        assert_eq!(
            owners.claims.len(),
            1,
            "only 1Z2 is new: {:?}",
            owners.claims
        );
        assert_eq!(
            owners.claims["1Z2"].order_ref, "S4",
            "first in the batch wins"
        );
        let conflicts: Vec<(&str, &str, &str)> = owners
            .conflicts
            .iter()
            .map(|c| {
                (
                    c.tracking_number.as_str(),
                    c.order_ref.as_str(),
                    c.claimed_by.as_str(),
                )
            })
            .collect();
        assert_eq!(conflicts, vec![("1Z1", "S3", "S1"), ("1Z2", "S5", "S4")]);
    }

    #[test]
    fn a_carrier_events_carrier_is_read_as_a_key() {
        assert_eq!(
            event_carrier(&serde_json::json!({"carrier": "UPSN"})).as_deref(),
            Some("ups")
        );
        assert_eq!(event_carrier(&serde_json::json!({"carrier": null})), None);
    }
}
