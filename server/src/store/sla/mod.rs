//! What the projector and the SLA sweep write of the SLA, one module per table group: the
//! `rules` clocks are computed with, the `clocks` and KPI shares of each folded order, the daily
//! `rollups` kept as sums of those shares, the exception `cases`, and `calendar_changes` (open
//! clocks to refold after a calendar edit), the `corrections` disputes recorded, and the published
//! monthly report `snapshots`. The rules themselves are edited through
//! `app::store::sla`.

pub mod calendar_changes;
pub mod cases;
pub mod clocks;
pub mod corrections;
pub mod rollups;
pub mod rules;
pub mod snapshots;

use clocks::OrderSla;
use sqlx::PgConnection;

/// Replaces the orders' clocks, moves their KPI shares in the rollups, and files their cases.
pub async fn write(conn: &mut PgConnection, orders: &[OrderSla]) -> sqlx::Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = orders.iter().map(|o| o.order_id).collect();
    clocks::write_clocks(conn, &ids, orders).await?;
    rollups::move_kpis(conn, &ids, orders).await?;
    cases::file_cases(conn, &ids, orders).await
}
