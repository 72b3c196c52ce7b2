//! `ReshipInOdoo` (`odoo.reship`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::decisions::{self, CaseDecision};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A reship decision: the replacement delivery created, confirmed and reserved in Odoo, and noted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReshipInOdoo(pub CaseDecision);

impl JobPayload for ReshipInOdoo {
    const KIND: &'static str = "odoo.reship";
}

impl BackgroundJob for ReshipInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        decisions::reship(ctx.odoo()?.0, &self.0).await
    }
}
