//! Alerts: the banner (integrators and admins), the alerts page, and the rules (admins change
//! them, audited).

use crate::domain::alerts::{AlertKind, AlertsOverview, FiringAlerts};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
const WATCHERS: &[crate::domain::Role] = {
    use crate::domain::Role::*;
    &[Admin, Integrator]
};

#[server(prefix = "/fn", endpoint = "alerts/open")]
pub async fn open_alerts() -> Result<FiringAlerts, AppError> {
    use crate::auth::{ctx, require_role};
    require_role(WATCHERS).await?;
    crate::services::alerts::banner(&ctx()?.pool).await
}

#[server(prefix = "/fn", endpoint = "alerts/overview")]
pub async fn get_alerts() -> Result<AlertsOverview, AppError> {
    use crate::auth::{ctx, require_role};
    let user = require_role(WATCHERS).await?;
    let can_edit = user.role == crate::domain::Role::Admin;
    crate::services::alerts::overview(&ctx()?.pool, can_edit).await
}

/// Changes one rule (threshold, window, on or off); admins only, with a reason for the audit log.
#[server(prefix = "/fn", endpoint = "alerts/rule")]
pub async fn update_alert_rule(
    kind: AlertKind,
    #[server(default)] enabled: bool,
    threshold: f64,
    window_minutes: i32,
    reason: String,
) -> Result<(), AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    let user = require_role(&[Role::Admin]).await?;
    let change = crate::domain::alerts::RuleChange {
        kind,
        enabled,
        threshold,
        window_minutes,
    };
    crate::services::alerts::update_rule(&ctx()?.pool, user.user_id, &change, &reason).await
}
