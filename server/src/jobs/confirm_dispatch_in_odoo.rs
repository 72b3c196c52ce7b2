//! `ConfirmDispatchInOdoo` (`odoo.dispatch`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::writeback::{self, Dispatch};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A dispatch written onto the order's delivery picking in Odoo: tracking number, shipped
/// quantities, validation (and a backorder unless the WMS said the shipment was final).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConfirmDispatchInOdoo(pub Dispatch);

impl JobPayload for ConfirmDispatchInOdoo {
    const KIND: &'static str = "odoo.dispatch";
}

impl BackgroundJob for ConfirmDispatchInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        writeback::dispatch(ctx.odoo()?.0, &self.0).await
    }
}
