//! `case_action`: decisions on exception cases waiting to be sent to other systems.

use sqlx::PgConnection;
use uuid::Uuid;

/// A decision to send, with the name of who took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseAction {
    pub case_action_id: Uuid,
    pub case_key: String,
    pub order_ref: String,
    pub action: String,
    pub reason: String,
    pub decided_by: Option<String>,
}

/// The oldest decisions not sent yet, locked (another worker skips them), at most `limit`.
pub async fn waiting(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<CaseAction>> {
    let rows = sqlx::query!(
        r#"select c.case_action_id, c.case_key, c.order_ref, c.action, c.reason,
                  u.display_name as "decided_by?"
           from case_action c left join app_user u on u.user_id = c.actor_id
           where c.dispatched_at is null
           order by c.created_at
           limit $1
           for update of c skip locked"#,
        limit
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CaseAction {
            case_action_id: r.case_action_id,
            case_key: r.case_key,
            order_ref: r.order_ref,
            action: r.action,
            reason: r.reason,
            decided_by: r.decided_by,
        })
        .collect())
}

/// Marks a decision sent, saying what it caused.
pub async fn dispatched(conn: &mut PgConnection, id: Uuid, outcome: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update case_action set dispatched_at = now(), outcome = $2 where case_action_id = $1",
        id,
        outcome
    )
    .execute(conn)
    .await?;
    Ok(())
}
