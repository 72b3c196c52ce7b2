//! What a batch's applied events cause outside Milepost's own tables: the sync jobs the outbox
//! asks for (`outbox`, routed to the connectors Milepost calls by `routes`) and one delivery per
//! customer webhook subscription of the order's account. Both are written in the projector's
//! transaction, so an event is never applied without its consequences, nor they without it.

use super::fold::Folded;
use super::outbox::{self, Applied, OrderContext};
use super::routes::Routes;
use crate::store::jobs::queue::NewJob;
use app::domain::event::EventType;
use app::domain::projection::OrderProjection;
use app::domain::sla::ReleaseTimes;
use std::collections::HashMap;
use uuid::Uuid;

/// The consequences of one batch.
#[derive(Debug, Default)]
pub struct Effects {
    /// Inventory comparisons first, then each order's jobs in history order.
    pub jobs: Vec<NewJob>,
    /// (event, order, type) of every event applied for the first time.
    /// (event, order, type, correlation id) of each applied event, for customer webhooks.
    pub deliveries: Vec<(Uuid, String, String, Option<String>)>,
}

/// The jobs and deliveries the batch's newly applied events ask for.
pub fn plan(
    folded: &Folded,
    routes: &Routes,
    release_times: &HashMap<String, ReleaseTimes>,
) -> Effects {
    let mut effects = Effects::default();
    for (event_id, data) in &folded.inventory {
        effects
            .jobs
            .extend(outbox::plan_inventory(*event_id, data, routes));
    }
    for order in &folded.orders {
        effects.deliveries.extend(order.applied_now().map(|e| {
            (
                e.event_id,
                order.order_ref.clone(),
                e.event_type.clone(),
                e.correlation_id.clone(),
            )
        }));
        let Some(projection) = order.projection.as_ref().filter(|_| !routes.is_empty()) else {
            continue;
        };
        let context = OrderContext {
            order: projection,
            erp_connector: order.erp_connector(),
            released_before: order.released_before,
            release_times: release_times
                .get(&order.order_ref)
                .copied()
                .unwrap_or_default(),
        };
        for e in order.applied_now() {
            if let Ok(event_type) = e.event_type.parse::<EventType>() {
                let applied = Applied {
                    event_id: e.event_id,
                    event_type,
                    occurred_at: e.occurred_at,
                    data: &e.data,
                };
                // Each job carries the correlation id of the message behind its event.
                effects.jobs.extend(
                    outbox::plan(&applied, &context, routes)
                        .into_iter()
                        .map(|job| job.correlated(e.correlation_id.clone())),
                );
            }
        }
    }
    effects
}

/// The orders of the batch that send their warehouse a release or an amend (which carry the
/// ship-by time and cut-off), where Milepost releases orders at all.
pub fn releasing<'a>(folded: &'a Folded, routes: &Routes) -> Vec<&'a OrderProjection> {
    if !routes.releases() {
        return Vec::new();
    }
    folded
        .orders
        .iter()
        .filter(|o| {
            o.applied_now().any(|e| {
                e.event_type == EventType::OrderReleaseRequested.as_str()
                    || (o.released_before
                        && (e.event_type == EventType::OrderConfirmed.as_str()
                            || e.event_type == EventType::OrderUpdated.as_str()))
            })
        })
        .filter_map(|o| o.projection.as_ref())
        .collect()
}
