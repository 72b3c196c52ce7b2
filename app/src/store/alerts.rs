//! Alerts as the pages read them (`alert`, `alert_digest`, `alert_delivery`, written by
//! `server::store::alerts`), and the rules admins edit (`alert_rule`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub struct RuleRow {
    pub kind: String,
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
}

pub async fn rules(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RuleRow>> {
    sqlx::query_as!(
        RuleRow,
        r#"select r.kind, r.enabled, r.threshold, r.window_minutes,
                  r.updated_at as "updated_at: DateTime<Utc>", u.email as "updated_by?"
           from alert_rule r left join app_user u on u.user_id = r.updated_by
           order by r.kind"#
    )
    .fetch_all(db)
    .await
}

/// A rule's settings before a change, for the audit entry.
pub struct RuleSettings {
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
}

/// Changes a rule and returns its settings before, or `None` when there is no such rule.
pub async fn update_rule(
    conn: &mut PgConnection,
    kind: &str,
    after: &RuleSettings,
    actor: Uuid,
) -> sqlx::Result<Option<RuleSettings>> {
    let before = sqlx::query_as!(
        RuleSettings,
        "select enabled, threshold, window_minutes from alert_rule where kind = $1 for update",
        kind
    )
    .fetch_optional(&mut *conn)
    .await?;
    if before.is_some() {
        sqlx::query!(
            "update alert_rule set enabled = $2, threshold = $3, window_minutes = $4,
                    updated_at = now(), updated_by = $5
             where kind = $1",
            kind,
            after.enabled,
            after.threshold,
            after.window_minutes,
            actor
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(before)
}

pub struct AlertRow {
    pub alert_id: i64,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub fired_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub fired_value: f64,
    pub last_value: f64,
    pub fired_digest_id: Option<i64>,
    pub resolved_digest_id: Option<i64>,
}

/// Alerts firing now (`resolved` false) or resolved, the latest change first.
pub async fn list(
    db: impl PgExecutor<'_>,
    resolved: bool,
    limit: i64,
) -> sqlx::Result<Vec<AlertRow>> {
    sqlx::query_as!(
        AlertRow,
        r#"select alert_id, kind, subject, message, fired_at as "fired_at: DateTime<Utc>",
                  resolved_at as "resolved_at: DateTime<Utc>", fired_value, last_value,
                  fired_digest_id, resolved_digest_id
           from alert where (resolved_at is not null) = $1
           order by coalesce(resolved_at, fired_at) desc, alert_id desc limit $2"#,
        resolved,
        limit
    )
    .fetch_all(db)
    .await
}

/// The number of alerts firing now.
pub async fn open_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from alert where resolved_at is null"#)
        .fetch_one(db)
        .await
}

pub struct DigestRow {
    pub digest_id: i64,
    pub created_at: DateTime<Utc>,
    pub fired: i64,
    pub resolved: i64,
    /// `[{channel, state, attempts, last_error}]`.
    pub deliveries: serde_json::Value,
}

/// The latest digests with their deliveries.
pub async fn digests(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<DigestRow>> {
    sqlx::query_as!(
        DigestRow,
        r#"select d.digest_id, d.created_at as "created_at: DateTime<Utc>",
                  (select count(*) from jsonb_array_elements(d.notices) n
                    where n->>'state' = 'firing') as "fired!",
                  (select count(*) from jsonb_array_elements(d.notices) n
                    where n->>'state' = 'resolved') as "resolved!",
                  coalesce((select jsonb_agg(jsonb_build_object('channel', x.channel,
                                'state', x.state, 'attempts', x.attempts,
                                'last_error', x.last_error) order by x.channel)
                            from alert_delivery x where x.digest_id = d.digest_id),
                           '[]'::jsonb) as "deliveries!"
           from alert_digest d order by d.digest_id desc limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}
