//! Assembling the order pages' data from the store, in the caller's scope.

use crate::auth::scope::may_read_raw;
use crate::domain::display::{in_offset, utc_minute_opt as utc, utc_second};
use crate::domain::orders::*;
use crate::domain::Role;
use crate::error::AppError;
use crate::store::inbox;
use crate::store::orders::{self as store, Scope};
use sqlx::PgPool;

fn row(r: &store::OrderListRow) -> OrderRow {
    OrderRow {
        order_ref: r.order_ref.clone(),
        account: r.account.clone(),
        customer: r.customer_name.clone(),
        customer_po: r.customer_po.clone(),
        status: r.status,
        on_hold: r.on_hold,
        warehouse: r.warehouse_code.clone(),
        carrier: r.carrier.clone(),
        ordered_at: utc(r.ordered_at),
        promised_deliver_by: utc(r.promised_deliver_by),
        tracking_numbers: r.tracking_numbers.clone(),
        open_exceptions: r.open_exceptions,
        last_event_at: utc(r.last_event_at),
    }
}

pub async fn list(
    pool: &PgPool,
    scope: &Scope,
    filter: &OrderFilter,
) -> Result<OrderPage, AppError> {
    let (rows, total) = store::list(pool, scope, filter).await?;
    Ok(OrderPage {
        rows: rows.iter().map(row).collect(),
        total,
        page: filter.page.max(1),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        warehouses: store::choices(pool, scope, "warehouse").await?,
        carriers: store::choices(pool, scope, "carrier").await?,
    })
}

/// Who sent an event, in words a customer understands; staff also see the connector.
fn source_label(kind: &str, connector: &str, staff: bool) -> String {
    let system = match kind {
        "erp" => "Order system",
        "wms" => "Warehouse",
        _ => "Carrier",
    };
    if staff {
        format!("{system} · {connector}")
    } else {
        system.to_string()
    }
}

pub async fn detail(
    pool: &PgPool,
    scope: &Scope,
    role: Role,
    order_ref: &str,
) -> Result<OrderDetail, AppError> {
    let order = store::find(pool, scope, order_ref)
        .await?
        .ok_or(AppError::NotFound)?;
    let staff = !matches!(role, Role::Customer);
    let raw_allowed = may_read_raw(role);
    let timeline = store::timeline(pool, &order.order_ref)
        .await?
        .into_iter()
        // Customers see what happened, not how the integration sorted it.
        .filter(|e| staff || e.disposition == "applied")
        .map(|e| TimelineEntry {
            event_type: e.event_type.clone(),
            source: source_label(&e.connector_kind, &e.connector, staff),
            occurred_at: e.occurred_local().map(in_offset),
            time_provenance: e.time_provenance.clone(),
            recorded_at: utc_second(e.recorded_at),
            disposition: e.disposition.clone(),
            disposition_reason: e.disposition_reason.clone().filter(|_| staff),
            source_status: e
                .source_status
                .as_ref()
                .filter(|_| staff)
                .and_then(|s| s.get("code").and_then(|c| c.as_str()).map(str::to_string)),
            inbox_message_id: raw_allowed.then_some(e.inbox_message_id),
        })
        .collect();
    let mut clocks = super::sla::order_clocks(pool, order.order_id, chrono::Utc::now()).await?;
    let delayed = store::delayed_since(pool, &order.order_ref).await?;
    if !staff {
        // Customers see their promise kept or not, not the internal policy behind it; and while
        // the data may be stale, not a confident status that may be wrong.
        for clock in &mut clocks {
            clock.policy.clear();
            clock.state_label = match delayed {
                Some(since) if clock.ended_at.is_none() => {
                    format!(
                        "Data delayed since {}",
                        crate::domain::display::utc_minute(since)
                    )
                }
                _ => customer_words(clock.state).into(),
            };
        }
    }
    let eta = store::latest_eta(pool, order.order_id).await?;
    Ok(OrderDetail {
        latest_eta: utc(eta.map(|e| e.0)),
        eta_as_of: utc(eta.map(|e| e.1)),
        data_delayed_since: utc(delayed),
        clocks,
        header: row(&order),
        service_level: order.service_level.clone(),
        promised_ship_by: utc(order.promised_ship_by),
        lines: store::lines(pool, order.order_id).await?,
        shipments: store::shipments(pool, order.order_id)
            .await?
            .into_iter()
            .map(|s| ShipmentDetail {
                tracking_number: s.tracking_number,
                carrier: s.carrier,
                status: s.status,
                dispatched_at: utc(s.dispatched_at),
                delivered_at: utc(s.delivered_at),
                eta: utc(s.eta),
                signed_by: s.signed_by,
                delivery_attempts: s.delivery_attempts,
                packages: s.packages,
            })
            .collect(),
        exceptions: store::exceptions(pool, order.order_id)
            .await?
            .into_iter()
            .map(|x| ExceptionDetail {
                kind: x.kind,
                domain: x.domain,
                severity: x.severity,
                summary: x.summary,
                opened_at: utc(x.opened_at),
                closed_at: utc(x.closed_at),
                open: x.open,
            })
            .collect(),
        timeline,
        raw_allowed,
        replay_allowed: matches!(role, Role::Admin | Role::Integrator),
    })
}

pub async fn raw(pool: &PgPool, inbox_message_id: i64) -> Result<RawMessage, AppError> {
    let m = inbox::find(pool, inbox_message_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(RawMessage {
        inbox_message_id: m.inbox_message_id,
        connector: m.connector,
        message_id: m.message_id,
        received_at: utc_second(m.received_at),
        content_type: m.content_type,
        headers: serde_json::to_string_pretty(&m.headers).unwrap_or_default(),
        body: String::from_utf8_lossy(&m.body).into_owned(),
        outcome: m.outcome,
        delivery_count: m.delivery_count,
    })
}

/// A clock's state as a customer is told it: whether their promise is on track, at risk, late
/// or met; never how Milepost measures it.
pub fn customer_words(state: crate::domain::sla::ClockState) -> &'static str {
    use crate::domain::sla::ClockState::*;
    match state {
        Running | Paused => "On track",
        AtRisk => "At risk",
        Breached => "Late",
        Met => "Met",
    }
}
