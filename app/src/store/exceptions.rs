//! The exception queue: listing cases by urgency, the decisions people take on them (each
//! returns the case before and after, for the audit log), comments, and the sweep that files
//! and clears cases no event announces (dead sync jobs, quiet sources).

pub use crate::domain::exceptions::QueueFilter;
use crate::domain::status::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor, QueryBuilder};
use uuid::Uuid;

pub const PAGE_SIZE: i64 = 50;

/// A case as the queue lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CaseRow {
    pub exception_case_id: i64,
    pub case_key: String,
    pub category: String,
    pub kind: String,
    pub severity: Severity,
    pub summary: String,
    pub order_id: Option<i64>,
    pub order_ref: Option<String>,
    pub account_name: Option<String>,
    pub order_value: Option<f64>,
    pub due_at: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub snooze_reason: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
    pub comments: i64,
}

const CASE_COLUMNS: &str = r#"select c.exception_case_id, c.case_key, c.category, c.kind, c.severity, c.summary,
    c.order_id, c.order_ref, a.name as account_name, c.order_value::float8 as order_value, c.due_at, c.opened_at,
    c.cleared_at, c.assignee_id, u.display_name as assignee_name, c.acknowledged_at, c.snoozed_until,
    c.snooze_reason, c.resolved_at, c.resolution,
    (select count(*) from exception_comment m where m.exception_case_id = c.exception_case_id) as comments
    from exception_case c
    left join account a on a.account_id = c.account_id
    left join app_user u on u.user_id = c.assignee_id
    where true"#;

fn push_filters(
    q: &mut QueryBuilder<'_, sqlx::Postgres>,
    f: &QueueFilter,
    me: Uuid,
    now: DateTime<Utc>,
) {
    match f.status.as_str() {
        "all" => {}
        "closed" => {
            q.push(" and (c.cleared_at is not null or c.resolved_at is not null)");
        }
        "snoozed" => {
            q.push(" and c.cleared_at is null and c.resolved_at is null and c.snoozed_until > ")
                .push_bind(now);
        }
        _ => {
            q.push(" and c.cleared_at is null and c.resolved_at is null and (c.snoozed_until is null or c.snoozed_until <= ")
                .push_bind(now)
                .push(")");
        }
    }
    if !f.category.is_empty() {
        q.push(" and c.category = ").push_bind(f.category.clone());
    }
    match f.assignee.as_str() {
        "me" => {
            q.push(" and c.assignee_id = ").push_bind(me);
        }
        "unassigned" => {
            q.push(" and c.assignee_id is null");
        }
        _ => {}
    }
    let order = f.order.trim();
    if !order.is_empty() {
        q.push(" and c.order_ref ilike ")
            .push_bind(format!("%{}%", order.replace(['%', '_'], "")));
    }
}

/// One page of cases, most urgent first: soonest due (breached first), then highest order
/// value; cases with no due time after those, newest first. Returns the rows and the total.
pub async fn list(
    db: &sqlx::PgPool,
    f: &QueueFilter,
    me: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<(Vec<CaseRow>, i64)> {
    let mut count = QueryBuilder::new("select count(*) from exception_case c where true");
    push_filters(&mut count, f, me, now);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut q = QueryBuilder::new(CASE_COLUMNS);
    push_filters(&mut q, f, me, now);
    q.push(" order by c.due_at asc nulls last, c.order_value desc nulls last, c.opened_at desc, c.exception_case_id limit ")
        .push_bind(PAGE_SIZE)
        .push(" offset ")
        .push_bind((f.page.max(1) - 1) * PAGE_SIZE);
    Ok((q.build_query_as().fetch_all(db).await?, total))
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<CaseRow>> {
    let mut q = QueryBuilder::new(CASE_COLUMNS);
    q.push(" and c.exception_case_id = ").push_bind(id);
    q.build_query_as().fetch_optional(db).await
}

/// Open cases of one order, for its page.
pub async fn of_order(db: impl PgExecutor<'_>, order_id: i64) -> sqlx::Result<Vec<CaseRow>> {
    let mut q = QueryBuilder::new(CASE_COLUMNS);
    q.push(" and c.order_id = ")
        .push_bind(order_id)
        .push(" order by c.opened_at desc");
    q.build_query_as().fetch_all(db).await
}

/// A decision on a case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Decision {
    /// `None` unassigns.
    Assign {
        user_id: Option<Uuid>,
    },
    Acknowledge,
    Snooze {
        until: DateTime<Utc>,
        reason: String,
    },
    Resolve {
        reason: String,
    },
    /// Resolves the case by sending the goods again: Odoo gets a replacement delivery.
    Reship {
        reason: String,
    },
    /// Resolves the case by cancelling what is left of the order: the warehouse's release and
    /// Odoo's open delivery are cancelled.
    CancelOrder {
        reason: String,
    },
    /// Opens a resolved case again (a cleared one reopens only when its condition returns).
    Reopen,
}

impl Decision {
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Assign { .. } => "exception.assign",
            Decision::Acknowledge => "exception.acknowledge",
            Decision::Snooze { .. } => "exception.snooze",
            Decision::Resolve { .. } => "exception.resolve",
            Decision::Reship { .. } => "exception.reship",
            Decision::CancelOrder { .. } => "exception.cancel_order",
            Decision::Reopen => "exception.reopen",
        }
    }

    /// What the decision asks of the systems around Milepost (`case_action.action`), if anything.
    pub fn outward(&self) -> Option<(&'static str, &str)> {
        match self {
            Decision::Resolve { reason } => Some(("resolve", reason)),
            Decision::Reship { reason } => Some(("reship", reason)),
            Decision::CancelOrder { reason } => Some(("cancel", reason)),
            _ => None,
        }
    }
}

/// Applies a decision to one case; returns the case before and after, or `None` if no such case.
pub async fn decide(
    conn: &mut PgConnection,
    id: i64,
    decision: &Decision,
    actor: Uuid,
) -> sqlx::Result<Option<(CaseRow, CaseRow)>> {
    let Some(before) = lock(conn, id).await? else {
        return Ok(None);
    };
    let mut q = QueryBuilder::new("update exception_case set updated_at = now()");
    match decision {
        Decision::Assign { user_id } => {
            q.push(", assignee_id = ").push_bind(*user_id);
        }
        Decision::Acknowledge => {
            q.push(", acknowledged_at = coalesce(acknowledged_at, now()), acknowledged_by = coalesce(acknowledged_by, ")
                .push_bind(actor)
                .push(")");
        }
        Decision::Snooze { until, reason } => {
            q.push(", snoozed_until = ")
                .push_bind(*until)
                .push(", snooze_reason = ")
                .push_bind(reason.clone());
        }
        Decision::Resolve { reason } => {
            q.push(", resolved_at = now(), resolved_by = ")
                .push_bind(actor)
                .push(", resolution = ")
                .push_bind(reason.clone());
        }
        Decision::Reship { reason } | Decision::CancelOrder { reason } => {
            let how = if matches!(decision, Decision::Reship { .. }) {
                "reship"
            } else {
                "order cancelled"
            };
            q.push(", resolved_at = now(), resolved_by = ")
                .push_bind(actor)
                .push(", resolution = ")
                .push_bind(format!("{how}: {reason}"));
        }
        Decision::Reopen => {
            q.push(", resolved_at = null, resolved_by = null, resolution = null, snoozed_until = null, snooze_reason = null");
        }
    }
    q.push(" where exception_case_id = ").push_bind(id);
    q.build().execute(&mut *conn).await?;
    let after = get(&mut *conn, id).await?.expect("the case was locked");
    Ok(Some((before, after)))
}

/// Records what a decision asks of other systems, for `sync::decisions` to send; in the
/// decision's transaction. Cases of no order ask nothing.
pub async fn record_action(
    conn: &mut PgConnection,
    case: &CaseRow,
    action: &str,
    reason: &str,
    actor: Uuid,
) -> sqlx::Result<()> {
    let Some(order_ref) = &case.order_ref else {
        return Ok(());
    };
    sqlx::query!(
        r#"insert into case_action (exception_case_id, case_key, order_ref, action, reason, actor_id)
           values ($1, $2, $3, $4, $5, $6)"#,
        case.exception_case_id,
        case.case_key,
        order_ref,
        action,
        reason,
        actor
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn lock(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<CaseRow>> {
    let found: Option<i64> = sqlx::query_scalar!(
        "select exception_case_id from exception_case where exception_case_id = $1 for update",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => get(&mut *conn, id).await,
        None => Ok(None),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CommentRow {
    pub author_name: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn comment(
    db: impl PgExecutor<'_>,
    id: i64,
    author: Uuid,
    body: &str,
) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        r#"insert into exception_comment (exception_case_id, author_id, body)
           select exception_case_id, $2, $3 from exception_case where exception_case_id = $1"#,
        id,
        author,
        body
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

pub async fn comments(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as!(
        CommentRow,
        r#"select u.display_name as author_name, m.body, m.created_at as "created_at: DateTime<Utc>"
           from exception_comment m left join app_user u on u.user_id = m.author_id
           where m.exception_case_id = $1 order by m.created_at, m.exception_comment_id"#,
        id
    )
    .fetch_all(db)
    .await
}

/// Files a case for every dead sync job about a known order, and clears those whose job is
/// no longer dead (replayed and done, or cancelled). Returns (filed, cleared).
pub async fn sweep_dead_jobs(db: &sqlx::PgPool) -> sqlx::Result<(u64, u64)> {
    let filed = sqlx::query!(
        r#"insert into exception_case (case_key, category, kind, severity, summary, order_id, order_ref, account_id,
               order_value, due_at, opened_at)
           select 'job:' || j.job_id, 'sync', j.kind, 'critical',
                  'Sync job ' || j.kind || ' on ' || j.queue || ' gave up: ' || coalesce(left(j.last_error, 300), 'no error text'),
                  o.order_id, o.order_ref, o.account_id, o.order_value,
                  (select min(k.due_at) from sla_clock k where k.order_id = o.order_id and k.ended_at is null),
                  coalesce(j.finished_at, j.updated_at)
           from job j join "order" o on o.order_ref = j.ordering_key
           where j.state = 'dead' and j.ordering_key is not null
           on conflict (case_key) do update set cleared_at = null, updated_at = now()
           where exception_case.cleared_at is not null"#
    )
    .execute(db)
    .await?
    .rows_affected();
    let cleared = sqlx::query!(
        r#"update exception_case c set cleared_at = now(), updated_at = now()
           where c.case_key like 'job:%' and c.cleared_at is null
             and not exists (select 1 from job j where j.job_id = substr(c.case_key, 5)::bigint and j.state = 'dead')"#
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok((filed, cleared))
}

/// Files a case for each enabled connector that has sent messages before but none for
/// `quiet_for`, and clears it when the source speaks again. Returns (filed, cleared).
pub async fn sweep_stale_sources(
    db: &sqlx::PgPool,
    quiet_for: chrono::Duration,
) -> sqlx::Result<(u64, u64)> {
    let seconds = quiet_for.num_seconds() as f64;
    let filed = sqlx::query!(
        r#"with last as (
               select c.connector_id, c.name,
                      (select max(m.received_at) from inbox_message m where m.connector_id = c.connector_id) as at
               from connector c where c.enabled)
           insert into exception_case (case_key, category, kind, severity, summary, opened_at)
           select 'stale:' || connector_id, 'stale', 'stale_source', 'warning',
                  'No message from ' || name || ' since ' || to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                  now()
           from last where at is not null and at < now() - make_interval(secs => $1)
           on conflict (case_key) do update set summary = excluded.summary,
               cleared_at = null, resolved_at = null, resolved_by = null, resolution = null,
               opened_at = case when exception_case.cleared_at is null then exception_case.opened_at else now() end,
               updated_at = now()
           where exception_case.cleared_at is not null or exception_case.summary <> excluded.summary"#,
        seconds
    )
    .execute(db)
    .await?
    .rows_affected();
    let cleared = sqlx::query!(
        r#"update exception_case c set cleared_at = now(), updated_at = now()
           where c.case_key like 'stale:%' and c.cleared_at is null
             and exists (select 1 from inbox_message m where m.connector_id = substr(c.case_key, 7)::bigint
                         and m.received_at >= now() - make_interval(secs => $1))"#,
        seconds
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok((filed, cleared))
}
