//! SLA settings (admins): policies and calendars, each change audited.

use crate::domain::sla::calendar::CalendarDraft;
use crate::domain::sla::views::{CalendarView, PolicyView, SlaSettings};
use crate::domain::sla::PolicyDraft;
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "sla/settings")]
pub async fn get_sla_settings() -> Result<SlaSettings, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::sla;
    require_role(&[crate::domain::Role::Admin]).await?;
    sla::settings(&ctx()?.pool).await
}

/// Adds a policy (`policy_id` empty) or changes one from now on (a new version).
#[server(prefix = "/fn", endpoint = "sla/policy")]
pub async fn save_sla_policy(
    #[server(default)] policy_id: Option<i64>,
    #[server(default)] draft: PolicyDraft,
) -> Result<PolicyView, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::sla;
    let user = require_role(&[crate::domain::Role::Admin]).await?;
    sla::save_policy(&ctx()?.pool, user.user_id, policy_id, &draft).await
}

#[server(prefix = "/fn", endpoint = "sla/policy/retire")]
pub async fn retire_sla_policy(
    policy_id: i64,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::sla;
    let user = require_role(&[crate::domain::Role::Admin]).await?;
    sla::retire_policy(&ctx()?.pool, user.user_id, policy_id, &reason).await
}

#[server(prefix = "/fn", endpoint = "sla/calendar")]
pub async fn save_sla_calendar(
    #[server(default)] draft: CalendarDraft,
) -> Result<CalendarView, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::sla;
    let user = require_role(&[crate::domain::Role::Admin]).await?;
    sla::save_calendar(&ctx()?.pool, user.user_id, &draft).await
}

#[server(prefix = "/fn", endpoint = "sla/calendar/delete")]
pub async fn delete_sla_calendar(calendar_id: i64) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::sla;
    let user = require_role(&[crate::domain::Role::Admin]).await?;
    sla::delete_calendar(&ctx()?.pool, user.user_id, calendar_id).await
}
