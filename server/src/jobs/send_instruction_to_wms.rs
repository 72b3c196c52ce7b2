//! `SendInstructionToWms` (`wms.instruction`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::wms::release::Instruction;
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// An instruction to the WMS of the order's warehouse: release, amend or cancel (the contract in
/// `docs/wms-release.md`), posted to its API or written as an X12 940 into its drop folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SendInstructionToWms(pub Instruction);

impl JobPayload for SendInstructionToWms {
    const KIND: &'static str = "wms.instruction";
}

impl BackgroundJob for SendInstructionToWms {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        ctx.wms()?.send(&self.0).await
    }
}
