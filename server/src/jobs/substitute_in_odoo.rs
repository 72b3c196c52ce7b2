//! `SubstituteInOdoo` (`odoo.substitution`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::odoo::substitutions::{self, Substitution};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// A warehouse's substitution: the substitute added to Odoo's open delivery, the original
/// reduced, a note on the sale order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubstituteInOdoo(pub Substitution);

impl JobPayload for SubstituteInOdoo {
    const KIND: &'static str = "odoo.substitution";
}

impl BackgroundJob for SubstituteInOdoo {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        substitutions::substitute(ctx.odoo()?.0, &self.0).await
    }
}
