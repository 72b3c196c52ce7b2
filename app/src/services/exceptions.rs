//! The exception queue's data and the decisions agents take on cases. Every decision is
//! audited (who, when, why, before and after) in the transaction that makes it.

use crate::domain::display::{due_in, utc_minute as utc};
use crate::domain::exceptions::*;
use crate::domain::sla::cases::CATEGORIES;
use crate::domain::status::CaseStatus;
use crate::domain::Role;
use crate::error::{AppError, FieldErrors};
use crate::store::exceptions::{self as store, CaseRow, Decision};
use crate::store::{audit, users};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Cases acted on at once, at most.
pub const BULK_LIMIT: usize = 200;

pub fn view(r: &CaseRow, now: DateTime<Utc>) -> CaseView {
    let status = if r.cleared_at.is_some() {
        CaseStatus::Cleared
    } else if r.resolved_at.is_some() {
        CaseStatus::Resolved
    } else if r.snoozed_until.is_some_and(|t| t > now) {
        CaseStatus::Snoozed
    } else if r.acknowledged_at.is_some() {
        CaseStatus::Acknowledged
    } else {
        CaseStatus::Open
    };
    CaseView {
        case_id: r.exception_case_id,
        category_label: CATEGORIES
            .iter()
            .find(|(c, _)| *c == r.category)
            .map(|(_, l)| l.to_string())
            .unwrap_or_else(|| r.category.clone()),
        category: r.category.clone(),
        kind: r.kind.replace('_', " "),
        severity: r.severity,
        summary: r.summary.clone(),
        order_id: r.order_id,
        order_ref: r.order_ref.clone(),
        account: r.account_name.clone(),
        order_value: r.order_value.map(|v| format!("{v:.2}")),
        due_at: r.due_at.map(utc),
        due_in: r.due_at.map(|d| due_in((d - now).num_seconds())),
        overdue: r.due_at.is_some_and(|d| d <= now),
        opened_at: utc(r.opened_at),
        status,
        assignee: r.assignee_name.clone(),
        snoozed_until: r.snoozed_until.filter(|t| *t > now).map(utc),
        snooze_reason: r.snooze_reason.clone(),
        resolution: r.resolution.clone(),
        comments: r.comments,
    }
}

pub async fn page(pool: &PgPool, me: Uuid, filter: &QueueFilter) -> Result<QueuePage, AppError> {
    let now = Utc::now();
    let (rows, total) = store::list(pool, filter, me, now).await?;
    let assignees = users::list(pool)
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Agent | Role::Admin))
        .map(|u| Assignee {
            user_id: u.user_id.to_string(),
            name: u.display_name,
        })
        .collect();
    Ok(QueuePage {
        cases: rows.iter().map(|r| view(r, now)).collect(),
        total,
        page: filter.page.max(1),
        pages: ((total + store::PAGE_SIZE - 1) / store::PAGE_SIZE).max(1),
        assignees,
    })
}

pub async fn comments(pool: &PgPool, case_id: i64) -> Result<Vec<CommentView>, AppError> {
    store::get(pool, case_id).await?.ok_or(AppError::NotFound)?;
    Ok(store::comments(pool, case_id)
        .await?
        .into_iter()
        .map(|c| CommentView {
            author: c.author_name.unwrap_or_else(|| "—".into()),
            body: c.body,
            at: utc(c.created_at),
        })
        .collect())
}

/// Parses the selected case ids (`"3,7,12"`).
pub fn parse_ids(ids: &str) -> Result<Vec<i64>, AppError> {
    let parsed: Result<Vec<i64>, _> = ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect();
    match parsed {
        Ok(list) if list.is_empty() => {
            Err(FieldErrors::single("ids", "select at least one case").into())
        }
        Ok(list) if list.len() > BULK_LIMIT => Err(FieldErrors::single(
            "ids",
            format!("act on at most {BULK_LIMIT} cases at once"),
        )
        .into()),
        Ok(list) => Ok(list),
        Err(_) => Err(FieldErrors::single("ids", "case ids are numbers").into()),
    }
}

/// Turns the form's action into a decision, checking what each needs. `until` is a
/// `datetime-local` value, read as UTC (the page says so).
pub fn decision(
    action: &str,
    assignee: &str,
    until: &str,
    reason: &str,
    me: Uuid,
    now: DateTime<Utc>,
) -> Result<Decision, AppError> {
    let reason = reason.trim().to_string();
    let need_reason = || -> Result<(), AppError> {
        if reason.is_empty() {
            Err(FieldErrors::single("reason", "say why").into())
        } else if reason.len() > 2000 {
            Err(FieldErrors::single("reason", "keep the reason under 2000 characters").into())
        } else {
            Ok(())
        }
    };
    Ok(match action {
        "assign" => Decision::Assign {
            user_id: match assignee.trim() {
                "" => None,
                "me" => Some(me),
                id => Some(
                    id.parse()
                        .map_err(|_| FieldErrors::single("assignee", "choose a person"))?,
                ),
            },
        },
        "acknowledge" => Decision::Acknowledge,
        "snooze" => {
            need_reason()?;
            let until = NaiveDateTime::parse_from_str(until.trim(), "%Y-%m-%dT%H:%M")
                .map(|t| t.and_utc())
                .map_err(|_| {
                    FieldErrors::single("until", "give a date and time to snooze until")
                })?;
            if until <= now {
                return Err(
                    FieldErrors::single("until", "snooze until a time in the future").into(),
                );
            }
            Decision::Snooze { until, reason }
        }
        "resolve" => {
            need_reason()?;
            Decision::Resolve { reason }
        }
        "reship" => {
            need_reason()?;
            Decision::Reship { reason }
        }
        "cancel_order" => {
            need_reason()?;
            Decision::CancelOrder { reason }
        }
        "reopen" => Decision::Reopen,
        _ => return Err(FieldErrors::single("action", "choose an action").into()),
    })
}

/// Applies one decision to each case, audited per case; all or nothing.
pub async fn decide(
    pool: &PgPool,
    actor: Uuid,
    ids: &[i64],
    decision: &Decision,
) -> Result<ActionResult, AppError> {
    if let Decision::Assign { user_id: Some(id) } = decision {
        let ok = users::find_by_id(pool, *id)
            .await?
            .is_some_and(|u| matches!(u.role, Role::Agent | Role::Admin));
        if !ok {
            return Err(FieldErrors::single("assignee", "cases go to agents or admins").into());
        }
    }
    let mut tx = pool.begin().await?;
    let mut changed = 0;
    for id in ids {
        // A dispute is decided as a dispute (upheld, excused, corrected), not resolved here.
        if decision.outward().is_some() || matches!(decision, Decision::Reopen) {
            if let Some(case) = store::get(&mut *tx, *id).await? {
                if case.category == "dispute" {
                    return Err(FieldErrors::single(
                        "action",
                        format!("case {id} is a dispute: decide it on its evidence page"),
                    )
                    .into());
                }
            }
        }
        let Some((before, after)) = store::decide(&mut tx, *id, decision, actor).await? else {
            return Err(AppError::NotFound);
        };
        // Resolving in Milepost acts where the work is: Odoo's activity, its deliveries, the
        // warehouse (sent by the sync engine; a case already resolved asks nothing again).
        if let Some((action, reason)) = decision.outward() {
            if before.resolved_at.is_none() {
                store::record_action(&mut tx, &after, action, reason, actor).await?;
            }
        }
        audit::record(
            &mut *tx,
            Some(actor),
            decision.name(),
            &format!("exception:{id}"),
            json!({"decision": decision, "before": before, "after": after}),
        )
        .await?;
        changed += 1;
    }
    tx.commit().await?;
    Ok(ActionResult { changed })
}

pub async fn comment(pool: &PgPool, actor: Uuid, case_id: i64, body: &str) -> Result<(), AppError> {
    let body = body.trim();
    if body.is_empty() || body.len() > 4000 {
        return Err(FieldErrors::single("body", "write a comment of up to 4000 characters").into());
    }
    let mut tx = pool.begin().await?;
    if !store::comment(&mut *tx, case_id, actor, body).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        Some(actor),
        "exception.comment",
        &format!("exception:{case_id}"),
        json!({"body": body}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
