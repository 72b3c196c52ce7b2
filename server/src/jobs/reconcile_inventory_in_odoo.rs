//! `ReconcileInventoryInOdoo` (`odoo.inventory`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::inventory::{self, Snapshot};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A warehouse's inventory snapshot compared with Odoo's `stock.quant`; the differences are
/// applied when the connector is configured to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReconcileInventoryInOdoo(pub Snapshot);

impl JobPayload for ReconcileInventoryInOdoo {
    const KIND: &'static str = "odoo.inventory";
}

impl BackgroundJob for ReconcileInventoryInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        inventory::reconcile(ctx.odoo()?.0, &self.0).await
    }
}
