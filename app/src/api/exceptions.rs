//! The exception queue (agents, admins): list by urgency, decide on one case or many, comment.

use crate::domain::exceptions::{ActionResult, CommentView, QueueFilter, QueuePage};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const WORKERS: &[crate::domain::Role] = {
    use crate::domain::Role::*;
    &[Admin, Agent]
};

#[server(prefix = "/fn", endpoint = "exceptions/list")]
pub async fn list_cases(#[server(default)] filter: QueueFilter) -> Result<QueuePage, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::exceptions;
    let user = require_role(WORKERS).await?;
    exceptions::page(&ctx()?.pool, user.user_id, &filter).await
}

#[server(prefix = "/fn", endpoint = "exceptions/comments")]
pub async fn case_comments(case_id: i64) -> Result<Vec<CommentView>, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::exceptions;
    require_role(WORKERS).await?;
    exceptions::comments(&ctx()?.pool, case_id).await
}

/// One action on the cases in `ids` (comma-separated): `assign` (to `assignee`: a user id,
/// `me`, or empty to unassign), `acknowledge`, `snooze` (until `until`, UTC, with a reason),
/// `resolve` (with a reason) or `reopen`.
#[server(prefix = "/fn", endpoint = "exceptions/act")]
pub async fn act_on_cases(
    ids: String,
    action: String,
    #[server(default)] assignee: String,
    #[server(default)] until: String,
    #[server(default)] reason: String,
) -> Result<ActionResult, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::exceptions;
    let user = require_role(WORKERS).await?;
    let ids = exceptions::parse_ids(&ids)?;
    let decision = exceptions::decision(
        &action,
        &assignee,
        &until,
        &reason,
        user.user_id,
        chrono::Utc::now(),
    )?;
    exceptions::decide(&ctx()?.pool, user.user_id, &ids, &decision).await
}

#[server(prefix = "/fn", endpoint = "exceptions/comment")]
pub async fn comment_case(case_id: i64, body: String) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::services::exceptions;
    let user = require_role(WORKERS).await?;
    exceptions::comment(&ctx()?.pool, user.user_id, case_id, &body).await
}
