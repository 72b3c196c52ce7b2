//! The alerts page, the banner, and admins' changes to the rules (audited in the transaction of
//! the change).

use crate::domain::alerts::*;
use crate::domain::display::utc_second as utc;
use crate::error::{AppError, FieldErrors};
use crate::store::{alerts, audit};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Alerts listed per part of the page.
pub const LIST_LIMIT: i64 = 200;
/// Digests listed.
pub const DIGEST_LIMIT: i64 = 50;
/// Sentences the banner shows.
pub const BANNER_LIMIT: i64 = 3;

fn view(r: alerts::AlertRow) -> Option<AlertView> {
    Some(AlertView {
        kind: AlertKind::parse(&r.kind)?,
        alert_id: r.alert_id,
        subject: r.subject,
        message: r.message,
        fired_at: utc(r.fired_at),
        resolved_at: r.resolved_at.map(utc),
        fired_value: r.fired_value,
        last_value: r.last_value,
        fired_digest: r.fired_digest_id,
        resolved_digest: r.resolved_digest_id,
    })
}

pub async fn overview(pool: &PgPool, can_edit: bool) -> Result<AlertsOverview, AppError> {
    let open = alerts::list(pool, false, LIST_LIMIT).await?;
    let history = alerts::list(pool, true, LIST_LIMIT).await?;
    let digests = alerts::digests(pool, DIGEST_LIMIT)
        .await?
        .into_iter()
        .map(|d| DigestView {
            digest_id: d.digest_id,
            created_at: utc(d.created_at),
            fired: d.fired,
            resolved: d.resolved,
            deliveries: serde_json::from_value(d.deliveries).unwrap_or_default(),
        })
        .collect();
    let rules = alerts::rules(pool)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(AlertRuleView {
                kind: AlertKind::parse(&r.kind)?,
                enabled: r.enabled,
                threshold: r.threshold,
                window_minutes: r.window_minutes,
                updated_at: utc(r.updated_at),
                updated_by: r.updated_by,
            })
        })
        .collect();
    Ok(AlertsOverview {
        open: open.into_iter().filter_map(view).collect(),
        history: history.into_iter().filter_map(view).collect(),
        digests,
        rules,
        can_edit,
    })
}

pub async fn banner(pool: &PgPool) -> Result<FiringAlerts, AppError> {
    Ok(FiringAlerts {
        count: alerts::open_count(pool).await?,
        newest: alerts::list(pool, false, BANNER_LIMIT)
            .await?
            .into_iter()
            .map(|a| a.message)
            .collect(),
    })
}

/// Checks a rule change: a positive threshold (at most 100 for a percentage) and a window from
/// a minute to a week.
pub fn validate(change: &RuleChange) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    if !change.threshold.is_finite() || change.threshold <= 0.0 {
        errors.add("threshold", "give a number above 0");
    } else if change.kind == AlertKind::BreachRate && change.threshold > 100.0 {
        errors.add("threshold", "a percentage is at most 100");
    }
    if !(1..=10080).contains(&change.window_minutes) {
        errors.add("window_minutes", "give minutes from 1 to 10080 (a week)");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Changes a rule, audited as `alert_rule.update` with the settings before and after. The
/// evaluator reads rules each round, so the change holds from its next round (an alert that no
/// longer meets the rule resolves then).
pub async fn update_rule(
    pool: &PgPool,
    actor: Uuid,
    change: &RuleChange,
    reason: &str,
) -> Result<(), AppError> {
    validate(change)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "reason",
            "say why (it is kept in the audit log)",
        )));
    }
    let after = alerts::RuleSettings {
        enabled: change.enabled,
        threshold: change.threshold,
        window_minutes: change.window_minutes,
    };
    let mut tx = pool.begin().await?;
    let before = alerts::update_rule(&mut tx, change.kind.as_str(), &after, actor)
        .await?
        .ok_or(AppError::NotFound)?;
    let settings = |s: &alerts::RuleSettings| json!({"enabled": s.enabled, "threshold": s.threshold, "window_minutes": s.window_minutes});
    audit::record(
        &mut *tx,
        Some(actor),
        "alert_rule.update",
        &format!("alert_rule:{}", change.kind.as_str()),
        json!({"why": reason, "before": settings(&before), "after": settings(&after)}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: AlertKind, threshold: f64, window_minutes: i32) -> RuleChange {
        RuleChange {
            kind,
            enabled: true,
            threshold,
            window_minutes,
        }
    }

    #[test]
    fn a_rule_needs_a_positive_threshold_and_a_window_within_a_week() {
        assert!(validate(&change(AlertKind::DeadLetters, 1.0, 60)).is_ok());
        let Err(AppError::Validation(e)) = validate(&change(AlertKind::DeadLetters, 0.0, 0)) else {
            panic!("a zero threshold and window must be refused");
        };
        assert!(e.0.contains_key("threshold") && e.0.contains_key("window_minutes"));
        let Err(AppError::Validation(e)) = validate(&change(AlertKind::BreachRate, 101.0, 60))
        else {
            panic!("a rate above 100% must be refused");
        };
        assert_eq!(e.0["threshold"], "a percentage is at most 100");
        assert!(validate(&change(AlertKind::ProjectorLag, f64::NAN, 60)).is_err());
    }
}
