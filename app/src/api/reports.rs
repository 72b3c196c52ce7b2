//! SLA reports: the evidence pack of one clock.

use crate::domain::reports::EvidencePack;
use crate::error::AppError;
use leptos::prelude::*;

/// The evidence of one order's clock: account managers (their accounts), agents and admins
/// reviewing a breach, customers (their own orders). An order outside the caller's scope is
/// not found.
#[server(prefix = "/fn", endpoint = "reports/evidence")]
pub async fn get_evidence(order_ref: String, segment: String) -> Result<EvidencePack, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::*;
    use crate::services::reports;
    let user = require_role(&[Admin, Agent, AccountManager, Customer]).await?;
    let scope = order_scope(&user).await?;
    reports::evidence(
        &ctx()?.pool,
        &scope,
        order_ref.trim(),
        segment.trim(),
        chrono::Utc::now(),
    )
    .await
}

/// An account's SLA report for a month: account managers (their accounts) and admins.
#[server(prefix = "/fn", endpoint = "reports/month")]
pub async fn get_report(
    #[server(default)] filter: crate::domain::reports::ReportFilter,
) -> Result<crate::domain::reports::ReportView, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::*;
    use crate::services::reports;
    let user = require_role(&[Admin, AccountManager]).await?;
    let scope = order_scope(&user).await?;
    reports::month(ctx()?.reads.pool(), &scope, &filter, chrono::Utc::now()).await
}

/// The customer portal's summary of their own account's month.
#[server(prefix = "/fn", endpoint = "portal/summary")]
pub async fn get_portal_summary() -> Result<crate::domain::reports::PortalSummary, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::Customer;
    use crate::services::reports;
    let user = require_role(&[Customer]).await?;
    let scope = order_scope(&user).await?;
    reports::portal_summary(ctx()?.reads.pool(), &scope, chrono::Utc::now()).await
}

/// A published monthly report of the customer's own account (`version` empty: the latest).
#[server(prefix = "/fn", endpoint = "portal/report")]
pub async fn get_portal_report(
    month: String,
    #[server(default)] version: String,
) -> Result<crate::domain::reports::ReportView, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::Customer;
    use crate::services::reports;
    let user = require_role(&[Customer]).await?;
    let scope = order_scope(&user).await?;
    reports::portal_report(
        ctx()?.reads.pool(),
        &scope,
        &month,
        &version,
        chrono::Utc::now(),
    )
    .await
}
