//! The demo's SLA setup: calendars for its three warehouses (with cut-offs and US holidays) and
//! its carriers, and two policies (LTL freight, and everything else), dated back so the whole
//! history is measured. Made once: left alone when any policy exists.

use app::domain::sla::calendar::DayHours;
use app::domain::sla::Targets;
use app::store::sla::calendars::{self, CalendarRow};
use app::store::sla::policies::{self, NewPolicyVersion};
use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use sqlx::PgPool;

/// US holidays the demo warehouses close for.
const HOLIDAYS: &[(i32, u32, u32)] = &[
    (2025, 11, 27),
    (2025, 12, 25),
    (2026, 1, 1),
    (2026, 5, 25),
    (2026, 7, 3),
    (2026, 9, 7),
    (2026, 11, 26),
    (2026, 12, 25),
    (2027, 1, 1),
];

pub async fn ensure(pool: &PgPool, history_days: i64) -> anyhow::Result<()> {
    if !policies::policy_versions(pool).await?.is_empty() {
        return Ok(());
    }
    let weekday = Some(DayHours {
        open: 7 * 60,
        close: 19 * 60,
    });
    let holidays: Vec<NaiveDate> = HOLIDAYS
        .iter()
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
        .collect();
    for (code, zone) in [
        ("RNO", "America/Los_Angeles"),
        ("CHI", "America/Chicago"),
        ("NJ", "America/New_York"),
    ] {
        calendars::save_calendar(
            pool,
            &CalendarRow {
                business_calendar_id: 0,
                scope: "warehouse".into(),
                code: code.into(),
                time_zone: zone.into(),
                week: [weekday, weekday, weekday, weekday, weekday, None, None],
                holidays: holidays.clone(),
                cutoff: NaiveTime::from_hms_opt(15, 0, 0),
            },
        )
        .await?;
    }
    let all_day = Some(DayHours {
        open: 0,
        close: 1440,
    });
    for carrier in ["UPS", "USPS", "FedEx", "NMTF"] {
        calendars::save_calendar(
            pool,
            &CalendarRow {
                business_calendar_id: 0,
                scope: "carrier".into(),
                code: carrier.into(),
                time_zone: "America/Chicago".into(),
                week: [all_day, all_day, all_day, all_day, all_day, all_day, None],
                holidays: holidays.clone(),
                cutoff: None,
            },
        )
        .await?;
    }
    let since = Utc::now() - Duration::days(history_days + 30);
    let mut conn = pool.acquire().await?;
    for (name, position, service_level, targets) in [
        (
            "LTL freight",
            10,
            Some("ltl"),
            Targets {
                release_minutes: Some(60),
                ship_minutes: Some(2 * 12 * 60),
                deliver_days: Some(5),
                promise: true,
            },
        ),
        (
            "Parcel standard",
            20,
            None,
            Targets {
                release_minutes: Some(30),
                ship_minutes: Some(12 * 60),
                deliver_days: Some(3),
                promise: true,
            },
        ),
    ] {
        policies::save_policy(
            &mut conn,
            &NewPolicyVersion {
                policy_id: None,
                name,
                position,
                account_id: None,
                service_level,
                priority: None,
                warehouse_code: None,
                targets: &targets,
                at_risk_percent: 25,
                created_by: None,
                effective_from: Some(since),
            },
        )
        .await?;
    }
    Ok(())
}
