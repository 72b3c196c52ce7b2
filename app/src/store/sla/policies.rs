//! `sla_policy` and `sla_policy_version`: versioned first-match policies; an edit closes the
//! current version and opens the next from now.

use crate::domain::sla::{PolicyVersion, Targets};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Every version of every policy, oldest first.
pub async fn policy_versions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<PolicyVersion>> {
    let rows = sqlx::query!(
        r#"select policy_id, version, name, position, account_id, service_level, priority,
                  warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent,
                  effective_from as "effective_from: DateTime<Utc>",
                  effective_to as "effective_to: DateTime<Utc>"
           from sla_policy_version order by position, policy_id, version"#
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PolicyVersion {
            policy_id: r.policy_id,
            version: r.version,
            name: r.name,
            position: r.position,
            account_id: r.account_id,
            service_level: r.service_level,
            priority: r.priority,
            warehouse_code: r.warehouse_code,
            targets: Targets {
                release_minutes: r.release_minutes,
                ship_minutes: r.ship_minutes,
                deliver_days: r.deliver_days,
                promise: r.promise,
            },
            at_risk_percent: r.at_risk_percent,
            effective_from: r.effective_from,
            effective_to: r.effective_to,
        })
        .collect())
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
            let closed: Option<i32> = sqlx::query_scalar!(
                r#"update sla_policy_version set effective_to = greatest(effective_from, coalesce($2, now()))
                   where policy_id = $1 and effective_to is null returning version"#,
                id,
                p.effective_from as _
            )
            .fetch_optional(&mut *conn)
            .await?;
            match closed {
                Some(v) => (id, v + 1),
                None => return Ok(None),
            }
        }
        None => (
            sqlx::query_scalar!(r#"select nextval('sla_policy_id_seq') as "id!""#)
                .fetch_one(&mut *conn)
                .await?,
            1,
        ),
    };
    sqlx::query!(
        r#"insert into sla_policy_version (policy_id, version, name, position, account_id, service_level, priority,
               warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent, effective_from,
               created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($15, now()), $14)"#,
        policy_id,
        version,
        p.name,
        p.position,
        p.account_id,
        p.service_level,
        p.priority,
        p.warehouse_code,
        p.targets.release_minutes,
        p.targets.ship_minutes,
        p.targets.deliver_days,
        p.targets.promise,
        p.at_risk_percent,
        p.created_by,
        p.effective_from as _
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some((policy_id, version)))
}

/// Retires a policy from now on; clocks that started under it keep it.
pub async fn retire_policy(db: impl PgExecutor<'_>, policy_id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query!(
        "update sla_policy_version set effective_to = now() where policy_id = $1 and effective_to is null",
        policy_id
    )
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}
