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

/// The cursor's name: orders and their deliveries move it.
pub const CURSOR: &str = "sale.order";

/// Places an Odoo connector's pull cursor when its settings are saved: at `pull_from` when the
/// integrator gives one (earlier or later than before), else at `now` unless a cursor is already
/// there (saving the settings again does not skip what was not pulled yet).
pub async fn place_cursor(
    db: &mut sqlx::PgConnection,
    connector_id: i64,
    pull_from: Option<chrono::DateTime<Utc>>,
    now: chrono::DateTime<Utc>,
) -> sqlx::Result<chrono::DateTime<Utc>> {
    if let Some(from) = pull_from {
        schedules::set_cursor(&mut *db, connector_id, CURSOR, from).await?;
        return Ok(from);
    }
    match schedules::cursor(&mut *db, connector_id, CURSOR).await? {
        Some(at) => Ok(at),
        None => {
            schedules::set_cursor(&mut *db, connector_id, CURSOR, now).await?;
            Ok(now)
        }
    }
}

impl JobPayload for PullOdooChanges {
    const KIND: &'static str = "odoo.pull";
}

impl BackgroundJob for PullOdooChanges {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        let (odoo, connector_id) = ctx.odoo()?;
        let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
        // No cursor: settings saved before cursors were placed. Start now, never in the past:
        // an order from before the connection is the integrator's call (`pull_from`).
        let cursor = schedules::cursor(ctx.pool(), connector_id, CURSOR)
            .await
            .map_err(db)?
            .unwrap_or_else(Utc::now);
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
        schedules::save_cursor(&mut *tx, connector_id, CURSOR, newest)
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
