//! The rules clocks are computed with (policies, calendars, observed p80s), read once per
//! projector batch, and the orders' ids the SLA write needs.

use app::domain::sla::calendar::BusinessCalendar;
use app::domain::sla::{PolicyVersion, Segment};
use app::store::sla::{calendars::calendars, policies::policy_versions};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// Everything clocks are computed with, read once per projector batch.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub policies: Vec<PolicyVersion>,
    /// By lower-case warehouse code.
    pub warehouses: HashMap<String, BusinessCalendar>,
    /// By lower-case carrier name.
    pub carriers: HashMap<String, BusinessCalendar>,
    /// The version of each calendar, by (scope, lower-case code).
    pub calendar_versions: HashMap<(String, String), i32>,
    /// p80 business seconds by (scope, lower-case code, segment).
    pub observed: HashMap<(String, String, String), i64>,
}

/// Reads the rules the projector computes clocks with.
pub async fn rules(conn: &mut PgConnection) -> sqlx::Result<Rules> {
    let mut rules = Rules {
        policies: policy_versions(&mut *conn).await?,
        ..Rules::default()
    };
    for row in calendars(&mut *conn).await? {
        let Some(calendar) = row.calendar() else {
            tracing::warn!(code = %row.code, zone = %row.time_zone, "calendar with an unknown time zone ignored");
            continue;
        };
        let by = if row.scope == "warehouse" {
            &mut rules.warehouses
        } else {
            &mut rules.carriers
        };
        by.insert(row.code.to_lowercase(), calendar);
    }
    for r in sqlx::query!("select scope, code, version from business_calendar")
        .fetch_all(&mut *conn)
        .await?
    {
        rules
            .calendar_versions
            .insert((r.scope, r.code.to_lowercase()), r.version);
    }
    for r in sqlx::query!("select scope, code, segment, p80_seconds from sla_observed")
        .fetch_all(&mut *conn)
        .await?
    {
        rules
            .observed
            .insert((r.scope, r.code.to_lowercase(), r.segment), r.p80_seconds);
    }
    Ok(rules)
}

/// An order's ids as the SLA write needs them.
pub struct OrderIds {
    pub order_id: i64,
    pub account_id: Option<Uuid>,
}

pub async fn order_ids(
    conn: &mut PgConnection,
    order_refs: &[String],
) -> sqlx::Result<HashMap<String, OrderIds>> {
    let rows = sqlx::query!(
        r#"select order_ref, order_id, account_id from "order" where order_ref = any($1)"#,
        order_refs
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            r.order_ref,
            OrderIds {
                order_id: r.order_id,
                account_id: r.account_id,
            },
        );
    }
    Ok(out)
}

/// The segment's observed p80 for a warehouse or carrier, from the rules.
pub fn observed_for(rules: &Rules, segment: Segment, code: Option<&str>) -> Option<i64> {
    let scope = if segment == Segment::Deliver {
        "carrier"
    } else {
        "warehouse"
    };
    let key = (
        scope.to_string(),
        code?.to_lowercase(),
        segment.as_str().to_string(),
    );
    rules.observed.get(&key).copied()
}
