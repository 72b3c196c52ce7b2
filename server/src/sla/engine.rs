//! Clocks, KPI shares and exception cases for freshly folded orders. Called by the projector in
//! the transaction that writes the orders, so the dashboard, the at-risk list and the queue
//! never disagree with the order page; a late event refolds its order, and so recomputes all
//! three from the whole history.

use crate::store::sla::clocks::OrderSla;
use crate::store::sla::rules::{self, observed_for, Rules};
use crate::store::sla::{corrections, rollups};
use app::domain::projection::OrderProjection;
use app::domain::sla::calendar::BusinessCalendar;
use app::domain::sla::cases::{case_facts, next_due};
use app::domain::sla::{self, Calendars, Observed, Segment};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// Recomputes and writes the SLA state of the given (already written) orders. `changed_past`
/// names those a late event changed: their rollups are marked as recomputed.
pub async fn recompute(
    conn: &mut PgConnection,
    orders: &[OrderProjection],
    changed_past: &[String],
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let rules = rules::rules(conn).await?;
    let refs: Vec<String> = orders.iter().map(|p| p.header.order_ref.clone()).collect();
    let ids = rules::order_ids(conn, &refs).await?;
    let order_ids: Vec<i64> = ids.values().map(|id| id.order_id).collect();
    let corrections = corrections::of_orders(conn, &order_ids).await?;
    let computed: Vec<OrderSla> = orders
        .iter()
        .filter_map(|p| {
            let id = ids.get(&p.header.order_ref)?;
            let fixes = corrections
                .get(&id.order_id)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            Some(compute(p, id.order_id, id.account_id, fixes, &rules, now))
        })
        .collect();
    crate::store::sla::write(conn, &computed).await?;
    let late: Vec<i64> = changed_past
        .iter()
        .filter_map(|order| ids.get(order).map(|id| id.order_id))
        .collect();
    rollups::mark_recomputed(conn, &late).await
}

fn lookup<'a>(
    map: &'a std::collections::HashMap<String, BusinessCalendar>,
    code: Option<&str>,
) -> Option<&'a BusinessCalendar> {
    code.and_then(|c| map.get(&c.to_lowercase()))
}

/// Orders recomputed per transaction when a calendar changes.
const RECOMPUTE_BATCH: usize = 500;

/// Folds the orders again from their stored histories and recomputes their SLA state, for a
/// change no event announces (a calendar edited). Verdicts and projections are the projector's
/// and are left alone; only clocks, KPI shares and cases are rewritten. Returns how many.
pub async fn recompute_orders(pool: &sqlx::PgPool, order_refs: &[String]) -> sqlx::Result<usize> {
    let mut done = 0;
    for chunk in order_refs.chunks(RECOMPUTE_BATCH) {
        let mut tx = pool.begin().await?;
        crate::store::events::lock_keys(&mut tx, chunk).await?;
        let projections: Vec<OrderProjection> = crate::store::history::of_orders(&mut tx, chunk)
            .await?
            .into_iter()
            .filter_map(|(order, entries)| {
                // Rejected events change nothing; some (a connector outside its accounts,
                // `projector::fold`) are rejected by the projector, not by the fold.
                let events: Vec<_> = entries
                    .iter()
                    .filter(|e| e.disposition != app::domain::event::Disposition::Rejected.as_str())
                    .filter_map(crate::store::history::Entry::fold_event)
                    .collect();
                app::domain::projection::fold(&order, &events).projection
            })
            .collect();
        recompute(&mut tx, &projections, &[], Utc::now()).await?;
        tx.commit().await?;
        done += projections.len();
    }
    Ok(done)
}

/// The SLA state of one order: pure given the rules, the corrections decided on its disputes
/// and `now`.
pub fn compute(
    p: &OrderProjection,
    order_id: i64,
    account_id: Option<uuid::Uuid>,
    corrections: &[sla::Correction],
    rules: &Rules,
    now: DateTime<Utc>,
) -> OrderSla {
    let facts = sla::corrected(sla::facts(p, account_id), corrections);
    let always = BusinessCalendar::always_open();
    let warehouse = facts.keys.warehouse_code.as_deref();
    let carrier = facts.carrier.as_deref();
    let calendars = Calendars {
        warehouse: lookup(&rules.warehouses, warehouse).unwrap_or(&always),
        carrier: lookup(&rules.carriers, carrier).unwrap_or(&always),
    };
    let observed = Observed {
        release_p80: observed_for(rules, Segment::Release, warehouse),
        ship_p80: observed_for(rules, Segment::Ship, warehouse),
        deliver_p80: observed_for(rules, Segment::Deliver, carrier),
    };
    let mut clocks = match facts
        .clock_start()
        .and_then(|at| sla::select(&rules.policies, &facts.keys, at))
    {
        Some(policy) => sla::clocks(&facts, policy, calendars, observed, now),
        None => Vec::new(),
    };
    // Which version of which calendar each clock counted in (the evidence pack names it).
    let version = |scope: &str, code: Option<&str>| {
        let used = match scope {
            "warehouse" => lookup(&rules.warehouses, code),
            _ => lookup(&rules.carriers, code),
        };
        used.and(code).and_then(|c| {
            rules
                .calendar_versions
                .get(&(scope.to_string(), c.to_lowercase()))
                .copied()
        })
    };
    for clock in &mut clocks {
        clock.calendar_version = match clock.segment {
            Segment::Release | Segment::Ship => version("warehouse", warehouse),
            Segment::Deliver => version("carrier", carrier),
            Segment::Promise => None,
        };
    }
    let kpi = sla::order_kpi(p, &facts, &clocks);
    OrderSla {
        order_id,
        order_ref: p.header.order_ref.clone(),
        account_id,
        warehouse_code: facts.keys.warehouse_code.clone(),
        carrier: facts.carrier.clone(),
        service_level: facts.keys.service_level.clone(),
        order_value: p.header.order_value,
        next_due: next_due(&clocks),
        cases: case_facts(p),
        clocks,
        kpi,
    }
}
