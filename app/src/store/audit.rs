//! The append-only audit log (the table refuses updates and deletes).

use sqlx::PgExecutor;
use uuid::Uuid;

/// Appends one entry. `subject` names what was acted on, e.g. `user:<id>`.
pub async fn record(
    db: impl PgExecutor<'_>,
    actor_user_id: Option<Uuid>,
    action: &str,
    subject: &str,
    detail: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into audit_log (actor_user_id, action, subject, detail) values ($1, $2, $3, $4)"#,
        actor_user_id,
        action,
        subject,
        detail
    )
    .execute(db)
    .await?;
    Ok(())
}
