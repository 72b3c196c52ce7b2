//! `ReadOdooRecord` (`odoo.read`).

use super::{BackgroundJob, IntakeError, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::calls::Exchanges;
use crate::connectors::odoo::read;
use crate::connectors::odoo::RecordRef;
use crate::store::jobs::queue::{connector_queue, JobPayload, NewJob};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The order an Odoo record stands for, read as Odoo has it now and stored through intake as a
/// message of the Odoo connector (an automation-rule webhook only points at the record; a pull
/// finds it changed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReadOdooRecord(pub RecordRef);

impl JobPayload for ReadOdooRecord {
    const KIND: &'static str = "odoo.read";
}

impl ReadOdooRecord {
    /// The read of `record` on an Odoo queue, deduplicated: a storm of triggers for one record
    /// makes one read while it is unfinished.
    pub fn deduplicated(queue: impl Into<String>, record: RecordRef) -> NewJob {
        let key = format!("read:{}:{}", record.model, record.id);
        // A notice while the same read runs makes one more read, after it: the newer state.
        NewJob::new(queue, &ReadOdooRecord(record))
            .deduped_by(key.clone())
            .ordered_by(key)
    }

    /// The same, on the queue of the Odoo connector named `connector`.
    pub fn on_connector(connector: &str, record: RecordRef) -> NewJob {
        Self::deduplicated(connector_queue("odoo", connector), record)
    }
}

impl BackgroundJob for ReadOdooRecord {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        let (odoo, connector_id) = ctx.odoo()?;
        let record = &self.0;
        let mut x = Exchanges::default();
        let Some(order) = read::read_order(odoo, &mut x, record).await? else {
            let mut done = Done { record: x.record() };
            done.record.error = Some(format!(
                "{} {} is not an order Milepost follows (no sale order)",
                record.model, record.id
            ));
            return Ok(done);
        };
        let body = serde_json::to_vec(&order).expect("JSON values serialize");
        let stored = ctx
            .services
            .intake
            .store(connector_id, body, read::read_message_id(&order))
            .await;
        let mut done = Done { record: x.record() };
        match stored {
            Ok(receipt) => {
                done.record.response =
                    Some(json!({"odoo": done.record.response.take(), "stored": receipt}));
                Ok(done)
            }
            Err(IntakeError::Refused(error)) => Err(JobError {
                record: done.record,
                ..JobError::fatal(format!("the order Odoo returned was refused: {error}"))
            }),
            Err(IntakeError::Failed(error)) => Err(JobError {
                record: done.record,
                ..JobError::transient(format!("storing the order failed: {error}"))
            }),
        }
    }
}
