//! `dispute` and `sla_correction`: disputes of breached clocks, the queue case each is worked
//! as, and the corrections a decision records.

use crate::domain::disputes::{DisputeReason, DisputeState, ExcuseReason};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// A dispute with the names and the case it is worked as.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct DisputeRow {
    pub dispute_id: i64,
    pub order_id: i64,
    pub order_ref: String,
    pub account_id: Option<Uuid>,
    pub account: Option<String>,
    pub segment: String,
    pub reason: DisputeReason,
    pub comment: String,
    pub state: DisputeState,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub exception_case_id: Option<i64>,
    pub owner: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub excuse_reason: Option<ExcuseReason>,
    pub decision_note: Option<String>,
    pub corrected_to: Option<DateTime<Utc>>,
    pub correction_applied_at: Option<DateTime<Utc>>,
}

/// What opening a dispute needs.
pub struct NewDispute<'a> {
    pub order_id: i64,
    pub order_ref: &'a str,
    pub account_id: Option<Uuid>,
    pub segment: &'a str,
    pub reason: DisputeReason,
    pub comment: &'a str,
    pub opened_by: Uuid,
    /// The queue case's one-line summary.
    pub summary: &'a str,
}

/// Opens a dispute and the queue case it is worked as; returns its id. A second open dispute
/// of the same clock violates `dispute_one_open`.
pub async fn open(conn: &mut PgConnection, new: NewDispute<'_>) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        r#"insert into dispute (order_id, order_ref, account_id, segment, reason, comment, opened_by)
           values ($1, $2, $3, $4, $5, $6, $7) returning dispute_id"#,
        new.order_id,
        new.order_ref,
        new.account_id,
        new.segment,
        new.reason.as_str(),
        new.comment,
        new.opened_by
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        r#"with case_row as (
               insert into exception_case (case_key, category, kind, severity, summary, order_id, order_ref,
                    account_id, order_value, due_at, opened_at)
               select 'dispute:' || $1::int8, 'dispute', $2, 'warning', $3, o.order_id, o.order_ref,
                      o.account_id, o.order_value, now(), now()
               from "order" o where o.order_id = $4
               returning exception_case_id)
           update dispute set exception_case_id = (select exception_case_id from case_row)
           where dispute_id = $1"#,
        id,
        new.segment,
        new.summary,
        new.order_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

const SELECT: &str = r#"
    select d.dispute_id, d.order_id, d.order_ref, d.account_id, a.code as account, d.segment, d.reason,
           d.comment, d.state, coalesce(ou.display_name, ou.email) as opened_by, d.opened_at,
           d.exception_case_id, coalesce(au.display_name, au.email) as owner,
           coalesce(du.display_name, du.email) as decided_by, d.decided_at, d.excuse_reason,
           d.decision_note,
           (select c.corrected_at from sla_correction c where c.dispute_id = d.dispute_id
            order by c.sla_correction_id desc limit 1) as corrected_to,
           d.correction_applied_at
    from dispute d
    left join account a on a.account_id = d.account_id
    join app_user ou on ou.user_id = d.opened_by
    left join exception_case ec on ec.exception_case_id = d.exception_case_id
    left join app_user au on au.user_id = ec.assignee_id
    left join app_user du on du.user_id = d.decided_by
"#;

// The reads below differ only in their `where`; the select list is one constant, so they are
// built at run time (see `store`'s note on checked SQL) with bound values only.

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<DisputeRow>> {
    sqlx::query_as(&format!("{SELECT} where d.dispute_id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The disputes of an order, newest first.
pub async fn of_order(db: impl PgExecutor<'_>, order_id: i64) -> sqlx::Result<Vec<DisputeRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where d.order_id = $1 order by d.opened_at desc, d.dispute_id desc"
    ))
    .bind(order_id)
    .fetch_all(db)
    .await
}

/// An account's disputes: the open ones and those decided since `since`, newest first.
pub async fn of_account(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    since: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DisputeRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where d.account_id = $1 and (d.state = 'open' or d.decided_at >= $2)
         order by d.opened_at desc, d.dispute_id desc limit $3"
    ))
    .bind(account_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Locks an open dispute for deciding; `None` when there is none or it is decided.
pub async fn lock_open(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<DisputeRow>> {
    let found = sqlx::query_scalar!(
        "select dispute_id from dispute where dispute_id = $1 and state = 'open' for update",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => get(&mut *conn, id).await,
        None => Ok(None),
    }
}

/// Records the decision and resolves the queue case with it.
pub async fn decide(
    conn: &mut PgConnection,
    id: i64,
    state: DisputeState,
    excuse: Option<ExcuseReason>,
    note: &str,
    actor: Uuid,
) -> sqlx::Result<()> {
    let case_id = sqlx::query_scalar!(
        r#"update dispute set state = $2, excuse_reason = $3, decision_note = $4, decided_by = $5,
                  decided_at = now()
           where dispute_id = $1 returning exception_case_id"#,
        id,
        state.as_str(),
        excuse.map(|e| e.as_str()),
        note,
        actor
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        r#"update exception_case set resolved_at = now(), resolved_by = $2, resolution = $3,
                  updated_at = now()
           where exception_case_id = $1"#,
        case_id,
        actor,
        format!("dispute {}: {note}", state.as_str())
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a correction of when `milestone` happened.
pub async fn record_correction(
    conn: &mut PgConnection,
    dispute: &DisputeRow,
    milestone: &str,
    at: DateTime<Utc>,
    actor: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into sla_correction (dispute_id, order_id, milestone, corrected_at, recorded_by)
           values ($1, $2, $3, $4, $5)"#,
        dispute.dispute_id,
        dispute.order_id,
        milestone,
        at as _,
        actor
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Per segment, the excused clocks among the orders a report counts: (segment, ended, ended
/// in time). The report takes them out of its counts for "after excusals".
pub async fn excused_counts(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    dims: [&str; 3],
) -> sqlx::Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query!(
        r#"select k.segment,
                  count(*) filter (where k.ended_at is not null) as "ended!",
                  count(*) filter (where k.ended_at is not null and not k.failed
                                   and (k.due_at is null or k.ended_at <= k.due_at)) as "in_time!"
           from dispute d
           join sla_clock k on k.order_id = d.order_id and k.segment = d.segment
           join "order" o on o.order_id = d.order_id
           where d.state = 'excused' and o.account_id = $1
             and o.ordered_at >= $2 and o.ordered_at < $3
             and ($4 = '' or o.warehouse_code = $4) and ($5 = '' or o.carrier = $5)
             and ($6 = '' or o.service_level = $6)
           group by k.segment"#,
        account_id,
        from.and_hms_opt(0, 0, 0).expect("midnight").and_utc() as _,
        to.and_hms_opt(0, 0, 0).expect("midnight").and_utc() as _,
        dims[0],
        dims[1],
        dims[2]
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.segment, r.ended, r.in_time))
        .collect())
}

/// The excused breaches among the orders a report counts, as listed on it.
pub async fn excusals(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    dims: [&str; 3],
) -> sqlx::Result<Vec<DisputeRow>> {
    sqlx::query_as(&format!(
        r#"{SELECT} join "order" o on o.order_id = d.order_id
           where d.state = 'excused' and o.account_id = $1 and o.ordered_at >= $2 and o.ordered_at < $3
             and ($4 = '' or o.warehouse_code = $4) and ($5 = '' or o.carrier = $5)
             and ($6 = '' or o.service_level = $6)
           order by d.decided_at, d.dispute_id"#
    ))
    .bind(account_id)
    .bind(from.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    .bind(to.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    .bind(dims[0])
    .bind(dims[1])
    .bind(dims[2])
    .fetch_all(db)
    .await
}

/// A recorded correction, as the evidence pack shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CorrectionRow {
    pub dispute_id: i64,
    pub milestone: String,
    pub corrected_at: DateTime<Utc>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    pub note: Option<String>,
}

/// The corrections of an order, oldest first (the order the SLA engine applies them in).
pub async fn corrections(
    db: impl PgExecutor<'_>,
    order_id: i64,
) -> sqlx::Result<Vec<CorrectionRow>> {
    let rows = sqlx::query!(
        r#"select c.dispute_id, c.milestone, c.corrected_at as "corrected_at: DateTime<Utc>",
                  coalesce(u.display_name, u.email) as "recorded_by!",
                  c.recorded_at as "recorded_at: DateTime<Utc>", d.decision_note
           from sla_correction c join app_user u on u.user_id = c.recorded_by
           join dispute d on d.dispute_id = c.dispute_id
           where c.order_id = $1 order by c.sla_correction_id"#,
        order_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CorrectionRow {
            dispute_id: r.dispute_id,
            milestone: r.milestone,
            corrected_at: r.corrected_at,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
            note: r.decision_note,
        })
        .collect())
}
