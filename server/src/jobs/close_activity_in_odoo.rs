//! `CloseActivityInOdoo` (`odoo.activity_done`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::decisions::{self, CaseDecision};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A resolved case: the activity Milepost scheduled for it marked done in Odoo, with the resolution as feedback.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CloseActivityInOdoo(pub CaseDecision);

impl JobPayload for CloseActivityInOdoo {
    const KIND: &'static str = "odoo.activity_done";
}

impl BackgroundJob for CloseActivityInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        decisions::close_activity(ctx.odoo()?.0, &self.0).await
    }
}
