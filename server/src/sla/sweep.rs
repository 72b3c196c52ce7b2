//! What no event announces, checked on a timer: dead sync jobs about an order and sources gone
//! quiet become cases (and clear by themselves when that changes), the observed stage
//! durations behind the at-risk prediction are refreshed, and the open clocks of a warehouse or
//! carrier whose calendar was edited, and the order of a dispute decided `corrected`, are
//! recomputed; monthly reports are published and revised (`publish`). Each step is idempotent,
//! so any number of workers may run it.

use crate::store::sla::{calendar_changes, corrections, rollups};
use app::store::exceptions;
use sqlx::PgPool;
use std::time::Duration;

/// How the sweep runs; tests shorten the waits.
#[derive(Clone, Debug)]
pub struct SweepSettings {
    pub every: Duration,
    /// A source silent this long is stale.
    pub quiet_for: chrono::Duration,
    /// The window and the least number of ended clocks the p80 durations are taken over.
    pub observe_days: i32,
    pub observe_min_samples: i64,
    /// A published month is compared with the live figures at most this often.
    pub report_revision_gap: chrono::Duration,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(60),
            quiet_for: chrono::Duration::hours(4),
            observe_days: 28,
            observe_min_samples: 20,
            report_revision_gap: chrono::Duration::hours(6),
        }
    }
}

/// One sweep.
pub async fn once(pool: &PgPool, s: &SweepSettings) -> sqlx::Result<()> {
    let (filed, cleared) = exceptions::sweep_dead_jobs(pool).await?;
    let (stale, fresh) = exceptions::sweep_stale_sources(pool, s.quiet_for).await?;
    rollups::refresh_observed(pool, s.observe_days, s.observe_min_samples).await?;
    // A calendar edited since: its open clocks get the new hours.
    for (id, scope, code, changed_at) in calendar_changes::calendars_to_apply(pool).await? {
        let orders = calendar_changes::open_orders_for(pool, &scope, &code).await?;
        let done = crate::sla::engine::recompute_orders(pool, &orders).await?;
        calendar_changes::mark_calendar_applied(pool, id, changed_at).await?;
        tracing::info!(%scope, %code, orders = done, "open clocks recomputed for a changed calendar");
    }
    // A dispute decided `corrected`: its order's clocks are recomputed with the correction.
    for (dispute, order) in corrections::waiting(pool).await? {
        crate::sla::engine::recompute_orders(pool, std::slice::from_ref(&order)).await?;
        corrections::mark_applied(pool, dispute).await?;
        tracing::info!(dispute, %order, "clocks recomputed after a correction");
    }
    // Monthly reports: last month's on the first business day, revisions when data changed them.
    match crate::sla::publish::publish_due(pool, chrono::Utc::now(), s.report_revision_gap).await {
        Ok(p) if p.first_versions + p.revisions > 0 => {
            tracing::info!(
                published = p.first_versions,
                revised = p.revisions,
                "monthly reports"
            )
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "monthly reports not published; retrying next round"),
    }
    if filed + cleared + stale + fresh > 0 {
        tracing::info!(filed, cleared, stale, fresh, "exception sweep");
    }
    Ok(())
}
