//! Decisions on the exception queue that act in other systems. The decision's transaction
//! writes a `case_action` (`app::store::exceptions::record_action`); here each becomes the sync
//! jobs it asks for, routed as the outbox routes an event's consequences, and is marked sent in
//! the transaction that enqueues them (so it is sent once, by one worker):
//!
//! | decision | jobs |
//! |---|---|
//! | resolve | `CloseActivityInOdoo`: the activity scheduled for the case marked done |
//! | reship | `ReshipInOdoo`: the replacement delivery in Odoo |
//! | cancel | `SendInstructionToWms` cancel (released, not shipped) and `CancelDeliveriesInOdoo` |

use super::fold::erp_connector_of;
use super::routes::Routes;
use crate::connectors::odoo::decisions::CaseDecision;
use crate::connectors::outbound;
use crate::connectors::wms::release::{Action, Instruction};
use crate::jobs::{
    CancelDeliveriesInOdoo, CloseActivityInOdoo, ReshipInOdoo, SendInstructionToWms,
};
use crate::store::case_actions::{self, CaseAction};
use crate::store::jobs::queue::{self, NewJob};
use crate::store::{connectors, history};
use app::domain::event::Disposition;
use app::domain::projection::OrderProjection;
use app::domain::status::OrderStatus;
use serde_json::json;
use sqlx::PgPool;

/// Decisions sent per transaction.
const BATCH: i64 = 100;

/// What one order is, as far as a decision needs: its projection and its ERP connector.
pub struct OrderNow {
    pub projection: Option<OrderProjection>,
    pub erp_connector: Option<i64>,
}

/// Sends every waiting decision; returns how many were sent.
pub async fn dispatch(pool: &PgPool) -> sqlx::Result<usize> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let waiting = case_actions::waiting(&mut tx, BATCH).await?;
        if waiting.is_empty() {
            tx.commit().await?;
            return Ok(total);
        }
        let (endpoints, _) = outbound::endpoints(&connectors::outbound_all(&mut *tx).await?);
        let routes = Routes::new(&endpoints);
        let mut refs: Vec<String> = waiting.iter().map(|a| a.order_ref.clone()).collect();
        refs.sort();
        refs.dedup();
        let histories = history::of_orders(&mut tx, &refs).await?;
        for action in &waiting {
            let entries = histories
                .iter()
                .find(|(order, _)| *order == action.order_ref)
                .map(|(_, entries)| entries.as_slice())
                .unwrap_or_default();
            let order = order_now(&action.order_ref, entries);
            let (jobs, outcome) = plan(action, &order, &routes);
            queue::enqueue_many(&mut tx, &jobs).await?;
            case_actions::dispatched(&mut tx, action.case_action_id, &outcome).await?;
        }
        total += waiting.len();
        tx.commit().await?;
    }
}

/// The order as its stored history folds now, and the connector its commercial events came from.
fn order_now(order_ref: &str, entries: &[history::Entry]) -> OrderNow {
    let events: Vec<_> = entries
        .iter()
        .filter(|e| e.disposition != Disposition::Rejected.as_str())
        .filter_map(history::Entry::fold_event)
        .collect();
    OrderNow {
        projection: app::domain::projection::fold(order_ref, &events).projection,
        erp_connector: erp_connector_of(entries),
    }
}

/// The jobs one decision asks for, and what to record about it.
pub fn plan(action: &CaseAction, order: &OrderNow, routes: &Routes) -> (Vec<NewJob>, String) {
    let decision = CaseDecision {
        order_ref: action.order_ref.clone(),
        marker: action.case_action_id.to_string(),
        opened_by: action.case_key.strip_prefix("event:").map(str::to_string),
        reason: action.reason.clone(),
        decided_by: action.decided_by.clone(),
    };
    let erp = order.erp_connector.and_then(|c| routes.erp(c));
    let job = |new: NewJob| {
        new.ordered_by(&action.order_ref)
            .caused_by(action.case_action_id)
    };
    let mut jobs = Vec::new();
    match action.action.as_str() {
        "resolve" => {
            if let (Some(queue), Some(_)) = (erp, &decision.opened_by) {
                jobs.push(job(NewJob::new(queue, &CloseActivityInOdoo(decision))));
            }
        }
        "reship" => {
            if let Some(queue) = erp {
                jobs.push(job(NewJob::new(queue, &ReshipInOdoo(decision))));
            }
        }
        "cancel" => {
            if let Some(p) = &order.projection {
                let released = p.milestones.iter().any(|m| m.milestone == "released");
                let shipped = !p.shipments.is_empty();
                let warehouse = p.header.warehouse_code.as_deref();
                if let Some(queue) = routes
                    .wms_for(warehouse)
                    .filter(|_| released && !shipped && p.header.status != OrderStatus::Cancelled)
                {
                    let cancel = Instruction {
                        instruction_id: format!("cnl-{}", action.case_action_id),
                        action: Action::Cancel,
                        order_ref: action.order_ref.clone(),
                        order: json!({}),
                    };
                    jobs.push(job(NewJob::new(queue, &SendInstructionToWms(cancel))));
                }
            }
            if let Some(queue) = erp {
                jobs.push(job(NewJob::new(queue, &CancelDeliveriesInOdoo(decision))));
            }
        }
        other => {
            return (
                Vec::new(),
                format!("nothing: {other} is not a decision Milepost sends"),
            );
        }
    }
    let outcome = if jobs.is_empty() {
        "nothing: no connector Milepost calls serves this order".to_string()
    } else {
        let kinds: Vec<&str> = jobs.iter().map(NewJob::kind).collect();
        format!("enqueued {}", kinds.join(", "))
    };
    (jobs, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::projector::outbox::tests::{order, routes};
    use crate::store::jobs::queue::JobPayload;
    use app::domain::projection::{MilestoneView, ShipmentView};
    use uuid::Uuid;

    fn action(kind: &str, case_key: &str) -> CaseAction {
        CaseAction {
            case_action_id: Uuid::from_u128(9),
            case_key: case_key.into(),
            order_ref: "S00042".into(),
            action: kind.into(),
            reason: "customer called".into(),
            decided_by: Some("Ada Agent".into()),
        }
    }

    fn released(status: OrderStatus) -> OrderProjection {
        let mut o = order(status, "RNO");
        o.milestones.push(MilestoneView {
            milestone: "released".into(),
            occurred_at: None,
            event_id: Uuid::nil(),
        });
        o
    }

    fn now(projection: OrderProjection) -> OrderNow {
        OrderNow {
            projection: Some(projection),
            erp_connector: Some(1),
        }
    }

    #[test]
    fn resolving_a_case_closes_its_odoo_activity_and_says_so() {
        let event = Uuid::from_u128(5);
        let (jobs, outcome) = plan(
            &action("resolve", &format!("event:{event}")),
            &now(released(OrderStatus::Shipped)),
            &routes(),
        );
        assert_eq!(outcome, "enqueued odoo.activity_done");
        assert_eq!(jobs[0].queue, "odoo:odoo");
        assert_eq!(jobs[0].caused_by, Some(Uuid::from_u128(9)));
        assert_eq!(jobs[0].ordering_key.as_deref(), Some("S00042"));
        let d: CaseDecision = serde_json::from_value(jobs[0].payload().clone()).unwrap();
        assert_eq!(d.opened_by, Some(event.to_string()));
        // A case no event opened (a stale source, a dead job) has no activity in Odoo.
        let (jobs, _) = plan(
            &action("resolve", "stale:3"),
            &now(released(OrderStatus::Shipped)),
            &routes(),
        );
        assert!(jobs.is_empty());
    }

    #[test]
    fn a_reship_asks_odoo_for_the_replacement_delivery() {
        let (jobs, _) = plan(
            &action("reship", "event:x"),
            &now(released(OrderStatus::Shipped)),
            &routes(),
        );
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].kind(), ReshipInOdoo::KIND);
    }

    #[test]
    fn a_cancellation_cancels_the_release_before_shipping_and_odoos_delivery_always() {
        let (jobs, _) = plan(
            &action("cancel", "event:x"),
            &now(released(OrderStatus::Allocated)),
            &routes(),
        );
        let kinds: Vec<&str> = jobs.iter().map(NewJob::kind).collect();
        assert_eq!(
            kinds,
            [SendInstructionToWms::KIND, CancelDeliveriesInOdoo::KIND]
        );
        assert_eq!(jobs[0].queue, "wms:reno");
        assert_eq!(jobs[0].payload()["action"], "cancel");

        let mut shipped = released(OrderStatus::Shipped);
        shipped.shipments.push(ShipmentView {
            tracking_number: "1Z1".into(),
            ..ShipmentView::default()
        });
        let (jobs, _) = plan(&action("cancel", "event:x"), &now(shipped), &routes());
        let kinds: Vec<&str> = jobs.iter().map(NewJob::kind).collect();
        assert_eq!(
            kinds,
            [CancelDeliveriesInOdoo::KIND],
            "what left cannot be called back"
        );

        let (jobs, _) = plan(
            &action("cancel", "event:x"),
            &now(order(OrderStatus::Confirmed, "RNO")),
            &routes(),
        );
        assert_eq!(
            jobs.len(),
            1,
            "never released: nothing to tell the warehouse"
        );
    }

    #[test]
    fn an_order_no_connector_serves_records_why_nothing_was_sent() {
        let (jobs, outcome) = plan(
            &action("reship", "event:x"),
            &OrderNow {
                projection: None,
                erp_connector: None,
            },
            &routes(),
        );
        assert!(jobs.is_empty());
        assert_eq!(
            outcome,
            "nothing: no connector Milepost calls serves this order"
        );
    }
}
