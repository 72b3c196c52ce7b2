//! `sla_clock` and `order_kpi` as the projector writes them for each order it folds.

use app::domain::sla::cases::CaseFact;
use app::domain::sla::{Clock, OrderKpi};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::PgConnection;
use uuid::Uuid;

/// What the projector computed for one order.
pub struct OrderSla {
    pub order_id: i64,
    pub order_ref: String,
    pub account_id: Option<Uuid>,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    pub order_value: Option<f64>,
    pub clocks: Vec<Clock>,
    pub kpi: Option<OrderKpi>,
    pub cases: Vec<CaseFact>,
    pub next_due: Option<DateTime<Utc>>,
}

/// Replaces the orders' clocks.
pub async fn write_clocks(
    conn: &mut PgConnection,
    ids: &[i64],
    orders: &[OrderSla],
) -> sqlx::Result<()> {
    let rows: Vec<Value> = orders
        .iter()
        .flat_map(|o| {
            o.clocks.iter().map(move |c| {
                json!({
                    "order_id": o.order_id, "segment": c.segment.as_str(), "policy_id": c.policy_id,
                    "policy_version": c.policy_version, "started_at": c.started_at, "target_seconds": c.target_seconds,
                    "due_at": c.due_at, "at_risk_at": c.at_risk_at, "ended_at": c.ended_at,
                    "paused_seconds": c.paused_seconds, "paused_since": c.paused_since,
                    "predicted_late": c.predicted_late, "elapsed_seconds": c.elapsed_seconds, "failed": c.failed,
                    "calendar_version": c.calendar_version,
                    "account_id": o.account_id, "warehouse_code": o.warehouse_code, "carrier": o.carrier,
                    "service_level": o.service_level,
                })
            })
        })
        .collect();
    sqlx::query!("delete from sla_clock where order_id = any($1)", ids)
        .execute(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"insert into sla_clock (order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at,
               at_risk_at, ended_at, paused_seconds, paused_since, predicted_late, elapsed_seconds, failed,
               calendar_version, account_id, warehouse_code, carrier, service_level, ordered_at)
           select x.order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at, at_risk_at,
                  ended_at, paused_seconds, paused_since, predicted_late, elapsed_seconds, failed, calendar_version,
                  x.account_id, x.warehouse_code, x.carrier, x.service_level,
                  -- Copied like the dimensions, so a report reads clocks by account and month alone.
                  (select o.ordered_at from "order" o where o.order_id = x.order_id)
           from jsonb_to_recordset($1) as x(order_id bigint, segment text, policy_id bigint, policy_version integer,
                started_at timestamptz, target_seconds bigint, due_at timestamptz, at_risk_at timestamptz,
                ended_at timestamptz, paused_seconds bigint, paused_since timestamptz, predicted_late boolean,
                elapsed_seconds bigint, failed boolean, calendar_version integer, account_id uuid,
                warehouse_code text, carrier text, service_level text)"#,
        Value::Array(rows)
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
