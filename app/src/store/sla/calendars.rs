//! `sla_calendar`: business calendars of warehouses and carriers.

use crate::domain::sla::calendar::{BusinessCalendar, DayHours};
use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde_json::{json, Value};
use sqlx::PgExecutor;
use std::collections::BTreeSet;

/// A stored calendar, as the admin page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarRow {
    pub business_calendar_id: i64,
    pub scope: String,
    pub code: String,
    pub time_zone: String,
    pub week: [Option<DayHours>; 7],
    pub holidays: Vec<NaiveDate>,
    pub cutoff: Option<NaiveTime>,
}

impl CalendarRow {
    /// The calendar for arithmetic; `None` when the stored zone is unknown to this build.
    pub fn calendar(&self) -> Option<BusinessCalendar> {
        Some(BusinessCalendar {
            zone: self.time_zone.parse::<Tz>().ok()?,
            week: self.week,
            holidays: self.holidays.iter().copied().collect::<BTreeSet<_>>(),
            cutoff: self.cutoff,
        })
    }
}

pub fn week_from(value: &Value) -> [Option<DayHours>; 7] {
    let mut week = [None; 7];
    if let Some(days) = value.as_array() {
        for (slot, day) in week.iter_mut().zip(days) {
            *slot = serde_json::from_value(day.clone()).ok();
        }
    }
    week
}

pub fn week_json(week: &[Option<DayHours>; 7]) -> Value {
    json!(week)
}

pub async fn calendars(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CalendarRow>> {
    let rows = sqlx::query!(
        r#"select business_calendar_id, scope, code, time_zone, week,
                  holidays as "holidays: Vec<NaiveDate>", cutoff as "cutoff: NaiveTime"
           from business_calendar order by scope desc, lower(code)"#
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(CalendarRow {
                business_calendar_id: r.business_calendar_id,
                scope: r.scope,
                code: r.code,
                time_zone: r.time_zone,
                week: week_from(&r.week),
                holidays: r.holidays,
                cutoff: r.cutoff,
            })
        })
        .collect()
}

/// Adds or replaces the calendar of a warehouse or carrier; returns its id.
pub async fn save_calendar(db: impl PgExecutor<'_>, c: &CalendarRow) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into business_calendar (scope, code, time_zone, week, holidays, cutoff)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (scope, lower(code)) do update set
               code = excluded.code, time_zone = excluded.time_zone, week = excluded.week,
               holidays = excluded.holidays, cutoff = excluded.cutoff, updated_at = now()
           returning business_calendar_id"#,
        &c.scope,
        &c.code,
        &c.time_zone,
        week_json(&c.week),
        &c.holidays as _,
        c.cutoff as _
    )
    .fetch_one(db)
    .await
}

pub async fn delete_calendar(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "delete from business_calendar where business_calendar_id = $1",
        id
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// A calendar as it stood at `version` (`business_calendar_version`).
pub async fn at_version(
    db: impl PgExecutor<'_>,
    scope: &str,
    code: &str,
    version: i32,
) -> sqlx::Result<Option<CalendarRow>> {
    let row = sqlx::query!(
        r#"select v.business_calendar_id, v.scope, v.code, v.time_zone, v.week,
                  v.holidays as "holidays: Vec<NaiveDate>", v.cutoff as "cutoff: NaiveTime"
           from business_calendar_version v join business_calendar c using (business_calendar_id)
           where c.scope = $1 and lower(c.code) = lower($2) and v.version = $3"#,
        scope,
        code,
        version
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| CalendarRow {
        business_calendar_id: r.business_calendar_id,
        scope: r.scope,
        code: r.code,
        time_zone: r.time_zone,
        week: week_from(&r.week),
        holidays: r.holidays,
        cutoff: r.cutoff,
    }))
}
