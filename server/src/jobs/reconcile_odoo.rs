//! `ReconcileOdoo` (`odoo.reconcile`): the nightly check of one Odoo against Milepost.
//!
//! Real time is for what is critical (webhooks, the catch-up pull); this is the batch that
//! finds what slipped through anyway, and repairs it through the normal paths:
//!
//! - **Open deliveries vs orders.** Every open outgoing picking in Odoo whose order Milepost does
//!   not know, or knows in another state (ready in Odoo but never released, open in Odoo but
//!   cancelled in Milepost), gets a deduplicated `ReadOdooRecord` of its order: the same read a
//!   webhook causes, so the repair is stored, folded and released like any change.
//! - **Stock.** The newest inventory snapshot of each warehouse (last week) is compared with
//!   Odoo's again (`ReconcileInventoryInOdoo`, reported or applied as the connector says).
//! - **Quiet shipments.** Shipments on their way with no carrier news for longer than the
//!   connector's `quiet_shipment_hours` are listed. No carrier tracking API is configured in
//!   Milepost (carriers push), so none is re-polled; the report says so.
//!
//! Each run keeps a report with its counts (`reconciliation_run`), shown on `/integrations`.

use super::{BackgroundJob, JobContext, ReadOdooRecord, ReconcileInventoryInOdoo};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::calls::Exchanges;
use crate::connectors::odoo::inventory::{counted, Snapshot};
use crate::connectors::odoo::read::{open_deliveries, OpenDelivery, OPEN_DELIVERY_LIMIT};
use crate::connectors::odoo::RecordRef;
use crate::store::jobs::queue::{self, JobPayload, NewJob};
use crate::store::reconciliation::{self, Known};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReconcileOdoo {
    /// Hours without carrier news after which a shipment is reported as quiet.
    pub quiet_hours: u32,
    /// Apply the stock differences found (the connector's `inventory: apply`), or report them.
    #[serde(default)]
    pub apply_inventory: bool,
}

impl JobPayload for ReconcileOdoo {
    const KIND: &'static str = "odoo.reconcile";
}

/// Why an open delivery's order is read again, if it must be.
pub fn needs_read(delivery: &OpenDelivery, known: Option<&Known>) -> Option<&'static str> {
    let Some(known) = known else {
        return Some("unknown to Milepost");
    };
    match (delivery.state.as_str(), known.status.as_str()) {
        (_, "cancelled") => Some("open in Odoo, cancelled in Milepost"),
        ("assigned", _) if !known.released_or_held => {
            Some("ready in Odoo, never released by Milepost")
        }
        _ => None,
    }
}

/// Quiet shipments listed in a report at most.
const QUIET_LISTED: i64 = 50;

impl BackgroundJob for ReconcileOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        let started = Utc::now();
        let (odoo, connector_id) = ctx.odoo()?;
        let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
        let mut x = Exchanges::default();

        let open = open_deliveries(odoo, &mut x).await?;
        let mut refs: Vec<String> = open.iter().filter_map(|d| d.order_ref.clone()).collect();
        refs.sort();
        refs.dedup();
        let known = reconciliation::orders(ctx.pool(), &refs)
            .await
            .map_err(db)?;
        let mut repairs = Vec::new();
        let mut reads = Vec::new();
        for d in &open {
            let Some(why) = needs_read(d, d.order_ref.as_ref().and_then(|r| known.get(r))) else {
                continue;
            };
            let record = match d.sale_id {
                Some(id) => RecordRef {
                    model: "sale.order".into(),
                    id,
                },
                None => RecordRef {
                    model: "stock.picking".into(),
                    id: d.picking_id,
                },
            };
            if !reads.iter().any(|j: &(RecordRef, NewJob)| j.0 == record) {
                reads.push((
                    record.clone(),
                    ReadOdooRecord::deduplicated(ctx.queue, record),
                ));
            }
            repairs.push(json!({"delivery": d.name, "order": d.order_ref, "why": why}));
        }

        let snapshots = reconciliation::latest_snapshots(ctx.pool(), 7)
            .await
            .map_err(db)?;
        let apply = self.apply_inventory;
        let comparisons: Vec<NewJob> = snapshots
            .iter()
            .filter_map(|(event_id, data)| {
                let items = counted(data);
                (!items.is_empty()).then(|| {
                    let warehouse = data
                        .pointer("/warehouse/code")
                        .or(data.get("warehouse"))
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_string);
                    NewJob::new(
                        ctx.queue,
                        &ReconcileInventoryInOdoo(Snapshot {
                            warehouse,
                            items,
                            apply,
                        }),
                    )
                    .deduped_by(format!("reconcile:{}:{event_id}", started.date_naive()))
                })
            })
            .collect();

        let since = started - chrono::Duration::hours(i64::from(self.quiet_hours));
        let (quiet, listed) = reconciliation::quiet_shipments(ctx.pool(), since, QUIET_LISTED)
            .await
            .map_err(db)?;

        let mut tx = ctx.pool().begin().await.map_err(db)?;
        let jobs: Vec<NewJob> = reads.into_iter().map(|(_, j)| j).collect();
        let reads_enqueued = queue::enqueue_many(&mut tx, &jobs).await.map_err(db)?;
        let comparisons_enqueued = queue::enqueue_many(&mut tx, &comparisons)
            .await
            .map_err(db)?;
        let report = json!({
            "open_deliveries": open.len(),
            "open_deliveries_capped": open.len() as i64 >= OPEN_DELIVERY_LIMIT,
            "orders_checked": refs.len(),
            "out_of_step": repairs.len(),
            "reads_enqueued": reads_enqueued,
            "repairs": repairs,
            "inventory_comparisons": comparisons_enqueued,
            "inventory_mode": if apply { "apply" } else { "report" },
            "quiet_shipments": quiet,
            "quiet_after_hours": self.quiet_hours,
            "quiet_listed": listed,
            "re_polled": 0,
            "re_poll_note": "no carrier tracking API is configured: carriers push their events",
        });
        reconciliation::record(&mut *tx, connector_id, started, &report)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut done = Done { record: x.record() };
        done.record.response = Some(json!({"report": report, "odoo": done.record.response.take()}));
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(state: &str) -> OpenDelivery {
        OpenDelivery {
            picking_id: 1,
            name: "WH/OUT/00001".into(),
            state: state.into(),
            order_ref: Some("S00001".into()),
            sale_id: Some(1),
        }
    }

    fn known(status: &str, released: bool) -> Known {
        Known {
            status: status.into(),
            released_or_held: released,
        }
    }

    #[test]
    fn an_order_out_of_step_with_its_open_delivery_is_read_again() {
        assert_eq!(
            needs_read(&delivery("assigned"), None),
            Some("unknown to Milepost")
        );
        assert_eq!(
            needs_read(&delivery("assigned"), Some(&known("confirmed", false))),
            Some("ready in Odoo, never released by Milepost")
        );
        assert_eq!(
            needs_read(&delivery("confirmed"), Some(&known("cancelled", false))),
            Some("open in Odoo, cancelled in Milepost")
        );
        // In step: waiting for stock and known as confirmed; ready and released (or held).
        assert_eq!(
            needs_read(&delivery("confirmed"), Some(&known("confirmed", false))),
            None
        );
        assert_eq!(
            needs_read(&delivery("assigned"), Some(&known("allocated", true))),
            None
        );
    }
}
