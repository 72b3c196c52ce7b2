//! `PostNoteInOdoo` (`odoo.note`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::notes::{self, Note};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// Carrier or warehouse news posted on the order's chatter in Odoo; an exception also gets an
/// activity for the salesperson.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PostNoteInOdoo(pub Note);

impl JobPayload for PostNoteInOdoo {
    const KIND: &'static str = "odoo.note";
}

impl BackgroundJob for PostNoteInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        notes::post(ctx.odoo()?.0, &self.0).await
    }
}
