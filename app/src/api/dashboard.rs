//! The dashboard (agents, account managers for their accounts, admins).

use crate::domain::dashboard::{DashboardFilter, DashboardView};
use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "dashboard")]
pub async fn get_dashboard(
    #[server(default)] filter: DashboardFilter,
) -> Result<DashboardView, AppError> {
    use crate::auth::{ctx, require_role, scope::order_scope};
    use crate::domain::Role::*;
    use crate::services::dashboard;
    let user = require_role(&[Admin, Agent, AccountManager]).await?;
    let scope = order_scope(&user).await?;
    dashboard::view(ctx()?.reads.pool(), &scope, &filter, chrono::Utc::now()).await
}

/// The dashboard's carrier view (ETA scorecards), loaded after the page.
#[server(prefix = "/fn", endpoint = "dashboard/carriers")]
pub async fn get_carriers(
    #[server(default)] filter: DashboardFilter,
) -> Result<crate::domain::scorecards::Scorecards, AppError> {
    use crate::auth::{ctx, require_role, scope::order_scope};
    use crate::domain::Role::*;
    use crate::services::dashboard;
    let user = require_role(&[Admin, Agent, AccountManager]).await?;
    let scope = order_scope(&user).await?;
    dashboard::carriers(ctx()?.reads.pool(), &scope, &filter, chrono::Utc::now()).await
}
