//! `sla_policy` and `sla_policy_version`: versioned first-match policies; an edit closes the
//! current version and opens the next from now.

use crate::domain::sla::{PolicyVersion, Targets};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Row};
use uuid::Uuid;

const POLICY_COLUMNS: &str = r#"select policy_id, version, name, position, account_id, service_level, priority,
    warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent, effective_from,
    effective_to from sla_policy_version"#;

fn policy_from(r: &sqlx::postgres::PgRow) -> sqlx::Result<PolicyVersion> {
    Ok(PolicyVersion {
        policy_id: r.try_get("policy_id")?,
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        position: r.try_get("position")?,
        account_id: r.try_get("account_id")?,
        service_level: r.try_get("service_level")?,
        priority: r.try_get("priority")?,
        warehouse_code: r.try_get("warehouse_code")?,
        targets: Targets {
            release_minutes: r.try_get("release_minutes")?,
            ship_minutes: r.try_get("ship_minutes")?,
            deliver_days: r.try_get("deliver_days")?,
            promise: r.try_get("promise")?,
        },
        at_risk_percent: r.try_get("at_risk_percent")?,
        effective_from: r.try_get("effective_from")?,
        effective_to: r.try_get("effective_to")?,
    })
}

/// Every version of every policy, oldest first.
pub async fn policy_versions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<PolicyVersion>> {
    let rows = sqlx::query(&format!(
        "{POLICY_COLUMNS} order by position, policy_id, version"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(policy_from).collect()
}

/// A policy's new version, as the admin page saves it.
pub struct NewPolicyVersion<'a> {
    /// `None` for a new policy.
    pub policy_id: Option<i64>,
    pub name: &'a str,
    pub position: i32,
    pub account_id: Option<Uuid>,
    pub service_level: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub warehouse_code: Option<&'a str>,
    pub targets: &'a Targets,
    pub at_risk_percent: i32,
    pub created_by: Option<Uuid>,
    /// When it takes over; `None` is now (what the admin page does). The demo and tests date
    /// policies back so history is measured.
    pub effective_from: Option<DateTime<Utc>>,
}

/// Closes the policy's current version (if any) and opens the next one from now; returns
/// `(policy_id, version)`. `None` when the policy does not exist or was retired.
pub async fn save_policy(
    conn: &mut PgConnection,
    p: &NewPolicyVersion<'_>,
) -> sqlx::Result<Option<(i64, i32)>> {
    let (policy_id, version) = match p.policy_id {
        Some(id) => {
            let closed: Option<i32> = sqlx::query_scalar(
                r#"update sla_policy_version set effective_to = greatest(effective_from, coalesce($2, now()))
                   where policy_id = $1 and effective_to is null returning version"#,
            )
            .bind(id)
            .bind(p.effective_from)
            .fetch_optional(&mut *conn)
            .await?;
            match closed {
                Some(v) => (id, v + 1),
                None => return Ok(None),
            }
        }
        None => (
            sqlx::query_scalar("select nextval('sla_policy_id_seq')")
                .fetch_one(&mut *conn)
                .await?,
            1,
        ),
    };
    sqlx::query(
        r#"insert into sla_policy_version (policy_id, version, name, position, account_id, service_level, priority,
               warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent, effective_from,
               created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($15, now()), $14)"#,
    )
    .bind(policy_id)
    .bind(version)
    .bind(p.name)
    .bind(p.position)
    .bind(p.account_id)
    .bind(p.service_level)
    .bind(p.priority)
    .bind(p.warehouse_code)
    .bind(p.targets.release_minutes)
    .bind(p.targets.ship_minutes)
    .bind(p.targets.deliver_days)
    .bind(p.targets.promise)
    .bind(p.at_risk_percent)
    .bind(p.created_by)
    .bind(p.effective_from)
    .execute(&mut *conn)
    .await?;
    Ok(Some((policy_id, version)))
}

/// Retires a policy from now on; clocks that started under it keep it.
pub async fn retire_policy(db: impl PgExecutor<'_>, policy_id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "update sla_policy_version set effective_to = now() where policy_id = $1 and effective_to is null",
    )
    .bind(policy_id)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}
