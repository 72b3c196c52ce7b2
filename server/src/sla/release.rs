//! The ship-by time and cut-off each release of a batch tells its warehouse
//! (`app::domain::sla::release`): the policy the order's clocks use, in its warehouse's
//! calendar, as if the warehouse accepted the release now.

use crate::store::projections;
use crate::store::sla::rules;
use app::domain::projection::OrderProjection;
use app::domain::sla::{self, BusinessCalendar, ReleaseTimes};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;

/// The release times of `orders`, by order reference. One read of the rules for the batch;
/// none when no order sends a release.
pub async fn times_for(
    conn: &mut PgConnection,
    orders: &[&OrderProjection],
    now: DateTime<Utc>,
) -> sqlx::Result<HashMap<String, ReleaseTimes>> {
    if orders.is_empty() {
        return Ok(HashMap::new());
    }
    let rules = rules::rules(conn).await?;
    let customers: Vec<_> = orders.iter().map(|p| &p.header.customer).collect();
    let accounts = projections::accounts_of(conn, &customers).await?;
    let always = BusinessCalendar::always_open();
    Ok(orders
        .iter()
        .zip(accounts)
        .map(|(p, account)| {
            let facts = sla::facts(p, account);
            let policy = facts
                .clock_start()
                .and_then(|at| sla::select(&rules.policies, &facts.keys, at));
            let warehouse = facts
                .keys
                .warehouse_code
                .as_deref()
                .and_then(|code| rules.warehouses.get(&code.to_lowercase()))
                .unwrap_or(&always);
            (
                p.header.order_ref.clone(),
                sla::release_times(policy, warehouse, now),
            )
        })
        .collect())
}
