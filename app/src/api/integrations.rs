//! The integrations page: queue health, jobs and their attempts, replay (one, many, edited),
//! pause and resume. Integrators and admins act; agents may read an order's jobs.

use crate::domain::integrations::{
    BulkReplay, Chain, IntegrationsOverview, JobDetail, JobFilter, JobView,
};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const OPERATORS: &[crate::domain::Role] = {
    use crate::domain::Role::*;
    &[Admin, Integrator]
};

/// Who may read jobs (the order page shows an order's jobs to agents too).
#[cfg(feature = "ssr")]
const READERS: &[crate::domain::Role] = {
    use crate::domain::Role::*;
    &[Admin, Integrator, Agent]
};

#[server(prefix = "/fn", endpoint = "integrations/overview")]
pub async fn get_integrations() -> Result<IntegrationsOverview, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    require_role(OPERATORS).await?;
    integrations::overview(&ctx()?.pool).await
}

#[server(prefix = "/fn", endpoint = "integrations/jobs")]
pub async fn list_jobs(#[server(default)] filter: JobFilter) -> Result<Vec<JobView>, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    require_role(READERS).await?;
    integrations::list(&ctx()?.pool, &filter, integrations::LIST_LIMIT).await
}

#[server(prefix = "/fn", endpoint = "integrations/job")]
pub async fn get_job(job_id: i64) -> Result<JobDetail, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    require_role(READERS).await?;
    integrations::detail(&ctx()?.pool, job_id).await
}

/// Replays a dead job; with `payload`, replaced by it first (edit-then-replay).
#[server(prefix = "/fn", endpoint = "integrations/replay")]
pub async fn replay_job(
    job_id: i64,
    reason: String,
    payload: Option<String>,
) -> Result<JobView, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    let user = require_role(OPERATORS).await?;
    integrations::replay(
        &ctx()?.pool,
        user.user_id,
        job_id,
        &reason,
        payload.as_deref(),
    )
    .await
}

#[server(prefix = "/fn", endpoint = "integrations/replay-many")]
pub async fn replay_jobs(
    #[server(default)] filter: JobFilter,
    reason: String,
) -> Result<BulkReplay, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    let user = require_role(OPERATORS).await?;
    integrations::replay_many(&ctx()?.pool, user.user_id, &filter, &reason).await
}

/// Pauses the queue (`paused` = true) or resumes it.
#[server(prefix = "/fn", endpoint = "integrations/pause")]
pub async fn pause_queue(queue: String, paused: bool, reason: String) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    let user = require_role(OPERATORS).await?;
    integrations::set_paused(&ctx()?.pool, user.user_id, &queue, paused, &reason).await
}

/// Puts an event the projector set aside back in its queue.
#[server(prefix = "/fn", endpoint = "integrations/release-quarantined")]
pub async fn release_quarantined(quarantine_id: i64, reason: String) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    let user = require_role(OPERATORS).await?;
    integrations::release_quarantined(&ctx()?.pool, user.user_id, quarantine_id, &reason).await
}

/// A message's chain across systems: by correlation id, order or message id.
#[server(prefix = "/fn", endpoint = "integrations/chain")]
pub async fn follow_chain(q: String) -> Result<Chain, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::integrations;
    require_role(OPERATORS).await?;
    integrations::chain(&ctx()?.pool, &q).await
}
