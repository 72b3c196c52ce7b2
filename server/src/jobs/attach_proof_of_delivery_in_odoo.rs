//! `AttachProofOfDeliveryInOdoo` (`odoo.pod`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::pod::{self, ProofOfDelivery};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A delivery with a signature or photo: the files attached to the delivery picking, the signer
/// and time noted on the sale order with a link to each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttachProofOfDeliveryInOdoo(pub ProofOfDelivery);

impl JobPayload for AttachProofOfDeliveryInOdoo {
    const KIND: &'static str = "odoo.pod";
}

impl BackgroundJob for AttachProofOfDeliveryInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        pod::attach(ctx.odoo()?.0, &self.0).await
    }
}
