//! `PullOdooChanges` (`odoo.pull`).

use super::{BackgroundJob, JobContext, ReadOdooRecord};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::calls::Exchanges;
use crate::connectors::odoo::{read, RecordRef};
use crate::store::jobs::queue::{self, JobPayload, NewJob};
use crate::store::jobs::schedules;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The catch-up poll of one Odoo (scheduled): a deduplicated `ReadOdooRecord` per order changed
/// since the cursor, and the cursor moved, in one transaction.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PullOdooChanges {}

impl JobPayload for PullOdooChanges {
    const KIND: &'static str = "odoo.pull";
}

impl BackgroundJob for PullOdooChanges {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        let (odoo, connector_id) = ctx.odoo()?;
        let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
        let cursor = schedules::cursor(ctx.pool(), connector_id, "sale.order")
            .await
            .map_err(db)?
            .unwrap_or_else(|| {
                Utc::now() - chrono::Duration::from_std(read::FIRST_PULL_LOOKBACK).expect("a day")
            });
        let mut x = Exchanges::default();
        let (ids, newest) = read::changed_orders(odoo, &mut x, cursor).await?;
        let reads: Vec<NewJob> = ids
            .iter()
            .map(|id| {
                let record = RecordRef {
                    model: "sale.order".into(),
                    id: *id,
                };
                ReadOdooRecord::deduplicated(ctx.queue, record)
            })
            .collect();
        let mut tx = ctx.pool().begin().await.map_err(db)?;
        let enqueued = queue::enqueue_many(&mut tx, &reads).await.map_err(db)?;
        schedules::save_cursor(&mut *tx, connector_id, "sale.order", newest)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let mut done = Done { record: x.record() };
        done.record.error = None;
        done.record.response = Some(json!({"changed": ids.len(), "reads_enqueued": enqueued,
                                           "cursor": newest.to_rfc3339(), "odoo": done.record.response.take()}));
        Ok(done)
    }
}
