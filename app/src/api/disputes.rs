//! Disputes of breached clocks: opened by account managers and customers (their accounts),
//! decided by agents and admins. Outside the caller's scope, a dispute or order is not found.

use crate::domain::disputes::DisputeView;
use crate::error::AppError;
use leptos::prelude::*;

/// Opens a dispute of one breached clock of an order.
#[server(prefix = "/fn", endpoint = "disputes/open")]
pub async fn open_dispute(
    order_ref: String,
    segment: String,
    reason: String,
    comment: String,
) -> Result<DisputeView, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::*;
    let user = require_role(&[Admin, AccountManager, Customer]).await?;
    let scope = order_scope(&user).await?;
    let request = crate::domain::disputes::DisputeRequest {
        order_ref,
        segment,
        reason,
        comment,
    };
    crate::services::disputes::open(
        &ctx()?.pool,
        &scope,
        user.user_id,
        &request,
        chrono::Utc::now(),
    )
    .await
}

/// Decides an open dispute: `upheld`, `excused` (with `excuse_reason`) or `corrected` (with
/// `stopped_at`, when the clock's stop really happened).
#[server(prefix = "/fn", endpoint = "disputes/decide")]
pub async fn decide_dispute(
    dispute_id: i64,
    decision: String,
    #[server(default)] excuse_reason: String,
    #[server(default)] stopped_at: String,
    note: String,
) -> Result<DisputeView, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::*;
    use crate::services::disputes;
    let user = require_role(&[Admin, Agent]).await?;
    let decision = disputes::decision(&decision, &excuse_reason, &stopped_at, &note)?;
    disputes::decide(
        &ctx()?.pool,
        user.user_id,
        dispute_id,
        &decision,
        chrono::Utc::now(),
    )
    .await
}

/// The disputes of one order, newest first.
#[server(prefix = "/fn", endpoint = "disputes/of_order")]
pub async fn order_disputes(order_ref: String) -> Result<Vec<DisputeView>, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::domain::Role::*;
    let user = require_role(&[Admin, Agent, AccountManager, Customer]).await?;
    let scope = order_scope(&user).await?;
    crate::services::disputes::of_order(&ctx()?.pool, &scope, &order_ref, chrono::Utc::now()).await
}
