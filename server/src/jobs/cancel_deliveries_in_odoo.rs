//! `CancelDeliveriesInOdoo` (`odoo.cancel_delivery`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::decisions::{self, CaseDecision};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A cancellation decided in Milepost: the order's open deliveries cancelled in Odoo, and noted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CancelDeliveriesInOdoo(pub CaseDecision);

impl JobPayload for CancelDeliveriesInOdoo {
    const KIND: &'static str = "odoo.cancel_delivery";
}

impl BackgroundJob for CancelDeliveriesInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        decisions::cancel_deliveries(ctx.odoo()?.0, &self.0).await
    }
}
