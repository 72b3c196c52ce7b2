//! `ReceiveReturnInOdoo` (`odoo.return_receipt`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::returns::{self, ReturnReceipt};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A return the warehouse received: the return picking validated with what came back, its
/// condition noted (an activity when goods are damaged or the return was refused).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceiveReturnInOdoo(pub ReturnReceipt);

impl JobPayload for ReceiveReturnInOdoo {
    const KIND: &'static str = "odoo.return_receipt";
}

impl BackgroundJob for ReceiveReturnInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        returns::receive_return(ctx.odoo()?.0, &self.0).await
    }
}
