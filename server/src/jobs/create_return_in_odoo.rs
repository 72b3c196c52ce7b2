//! `CreateReturnInOdoo` (`odoo.return`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::returns::{self, ReturnRequest};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// An authorized return: the return picking created through Odoo's own return wizard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CreateReturnInOdoo(pub ReturnRequest);

impl JobPayload for CreateReturnInOdoo {
    const KIND: &'static str = "odoo.return";
}

impl BackgroundJob for CreateReturnInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        returns::create_return(ctx.odoo()?.0, &self.0).await
    }
}
