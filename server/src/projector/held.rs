//! Releases that cannot go are kept, never skipped silently. A release is kept when the order's
//! customer is mapped to no account (Milepost would release an order nobody owns: no SLA, no
//! portal, no account manager) or when no WMS serves the order's warehouse. Its job is not
//! enqueued; the instruction waits in `held_release`, the order shows an open `release_held`
//! exception, /integrations lists it, and `sync::held::retry` sends it once the cause is fixed.
//! Only where Milepost releases orders at all (it calls a WMS).

use super::effects::Effects;
use super::fold::Folded;
use super::outbox::release_instruction;
use super::routes::Routes;
use crate::jobs::SendInstructionToWms;
use crate::store::held_releases::{self, HeldRelease, CUSTOMER_NOT_MAPPED, NO_WMS_FOR_WAREHOUSE};
use crate::store::jobs::queue::JobPayload;
use crate::store::projections;
use app::domain::event::EventType;
use app::domain::projection::{CustomerRef, ExceptionView, OrderProjection};
use app::domain::sla::ReleaseTimes;
use app::domain::status::{ExceptionDomain, OrderStatus, Severity};
use sqlx::PgConnection;
use std::collections::HashMap;

/// Decides which of the batch's releases are kept, takes their jobs out of `effects`, and adds
/// the `release_held` exception to every order with a release still kept (this batch's and
/// earlier ones). Returns the releases to keep.
pub async fn decide(
    conn: &mut PgConnection,
    folded: &mut Folded,
    effects: &mut Effects,
    routes: &Routes,
    release_times: &HashMap<String, ReleaseTimes>,
) -> sqlx::Result<Vec<HeldRelease>> {
    if !routes.releases() {
        return Ok(Vec::new());
    }
    let mut candidates = Vec::new();
    for order in &folded.orders {
        let Some(p) = order.projection.as_ref() else {
            continue;
        };
        if p.header.status == OrderStatus::Cancelled || !p.shipments.is_empty() {
            continue;
        }
        for e in order
            .applied_now()
            .filter(|e| e.event_type == EventType::OrderReleaseRequested.as_str())
        {
            candidates.push((p, e.event_id, e.recorded_at, &e.data));
        }
    }
    let customers: Vec<&CustomerRef> = candidates.iter().map(|c| &c.0.header.customer).collect();
    let accounts = projections::accounts_of(conn, &customers).await?;
    let mut held = Vec::new();
    for ((p, event_id, recorded_at, data), account) in candidates.into_iter().zip(accounts) {
        let warehouse = p.header.warehouse_code.clone();
        let reason = if account.is_none() {
            CUSTOMER_NOT_MAPPED
        } else if routes.wms_for(warehouse.as_deref()).is_none() {
            NO_WMS_FOR_WAREHOUSE
        } else {
            continue;
        };
        effects
            .jobs
            .retain(|j| !(j.caused_by == Some(event_id) && j.kind() == SendInstructionToWms::KIND));
        let times = release_times
            .get(&p.header.order_ref)
            .copied()
            .unwrap_or_default();
        let instruction = SendInstructionToWms(release_instruction(p, event_id, data, &times));
        held.push(HeldRelease {
            order_ref: p.header.order_ref.clone(),
            event_id,
            event_recorded_at: recorded_at,
            reason: reason.to_string(),
            warehouse_code: warehouse,
            customer: describe(&p.header.customer),
            customer_ref: serde_json::to_value(&p.header.customer).unwrap_or_default(),
            instruction: serde_json::to_value(&instruction).unwrap_or_default(),
            held_at: chrono::Utc::now(),
        });
    }
    let refs: Vec<String> = folded.orders.iter().map(|o| o.order_ref.clone()).collect();
    let mut open = held_releases::open(&mut *conn, Some(&refs)).await?;
    open.retain(|stored| !held.iter().any(|h| h.order_ref == stored.order_ref));
    for h in held.iter().chain(open.iter()) {
        if let Some(p) = folded
            .orders
            .iter_mut()
            .find(|o| o.order_ref == h.order_ref)
            .and_then(|o| o.projection.as_mut())
        {
            add_exception(p, h);
        }
    }
    Ok(held)
}

/// How the order names its customer, for the integrator who maps it.
fn describe(c: &CustomerRef) -> Option<String> {
    let id = match (&c.account_code, &c.system, &c.external_id) {
        (Some(code), _, _) => Some(format!("account code {code}")),
        (None, Some(system), Some(id)) => Some(format!("{system} customer {id}")),
        _ => None,
    };
    match (id, &c.name) {
        (Some(id), Some(name)) => Some(format!("{name} ({id})")),
        (id, name) => id.or(name.clone()),
    }
}

fn add_exception(p: &mut OrderProjection, h: &HeldRelease) {
    let summary = match h.reason.as_str() {
        CUSTOMER_NOT_MAPPED => format!(
            "Not released to the warehouse: {} is mapped to no account (milepost account map)",
            h.customer.as_deref().unwrap_or("the customer")
        ),
        _ => format!(
            "Not released: no WMS serves warehouse {}",
            h.warehouse_code.as_deref().unwrap_or("(none named)")
        ),
    };
    if p.exceptions
        .iter()
        .any(|x| x.opened_by_event == h.event_id && x.kind == "release_held")
    {
        return;
    }
    p.exceptions.push(ExceptionView {
        opened_by_event: h.event_id,
        kind: "release_held".into(),
        domain: ExceptionDomain::Fulfillment,
        severity: Severity::Warning,
        summary,
        opened_at: Some(h.held_at),
        closed_by_event: None,
        closed_at: None,
    });
}

/// What a retry did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Retried {
    /// Releases sent now.
    pub sent: Vec<String>,
    /// Releases still kept, each with why.
    pub still_held: Vec<(String, String)>,
}

/// Sends each kept release whose cause is gone (its customer maps to an account now and a WMS
/// serves its warehouse), once: the job names the release event as its cause, and the order is
/// folded again so its `release_held` exception closes. Run after `milepost account map` and
/// `milepost connector outbound`, and by `milepost release retry`.
pub async fn retry(pool: &sqlx::PgPool) -> sqlx::Result<Retried> {
    let mut tx = pool.begin().await?;
    let (endpoints, _) = crate::connectors::outbound::endpoints(
        &crate::store::connectors::outbound_all(&mut *tx).await?,
    );
    let routes = Routes::new(&endpoints);
    let open = held_releases::open(&mut *tx, None).await?;
    let customers: Vec<CustomerRef> = open
        .iter()
        .map(|h| serde_json::from_value(h.customer_ref.clone()).unwrap_or_default())
        .collect();
    let accounts = projections::accounts_of(&mut tx, &customers.iter().collect::<Vec<_>>()).await?;
    let mut done = Retried::default();
    for (h, account) in open.iter().zip(accounts) {
        let queue = routes.wms_for(h.warehouse_code.as_deref());
        let (Some(_), Some(queue)) = (account, queue) else {
            let why = if account.is_none() {
                CUSTOMER_NOT_MAPPED
            } else {
                NO_WMS_FOR_WAREHOUSE
            };
            done.still_held.push((h.order_ref.clone(), why.to_string()));
            continue;
        };
        let instruction: SendInstructionToWms = serde_json::from_value(h.instruction.clone())
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        let job = crate::store::jobs::queue::NewJob::new(queue.clone(), &instruction)
            .ordered_by(h.order_ref.clone())
            .caused_by(h.event_id);
        crate::store::jobs::queue::enqueue(&mut *tx, &job).await?;
        if held_releases::release(&mut tx, h).await? {
            done.sent.push(h.order_ref.clone());
        }
    }
    tx.commit().await?;
    Ok(done)
}
