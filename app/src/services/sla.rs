//! SLA settings for admins (policies and calendars, each change audited) and an order's clocks
//! for its page.

use crate::domain::display::{span, utc_minute as utc};
use crate::domain::sla::calendar::{check_calendar, format_hours, CalendarDraft};
use crate::domain::sla::policy::{check, PolicyDraft};
use crate::domain::sla::views::*;
use crate::domain::sla::{BusinessCalendar, Clock, PolicyVersion, Segment};
use crate::error::{AppError, FieldErrors};
use crate::store::sla::calendars::{self, CalendarRow};
use crate::store::sla::clocks;
use crate::store::sla::policies::{self, NewPolicyVersion};
use crate::store::{accounts, audit};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

fn hours_text(minutes: Option<i32>) -> String {
    minutes
        .map(|m| {
            let h = f64::from(m) / 60.0;
            if h.fract() == 0.0 {
                format!("{h:.0}")
            } else {
                format!("{h}")
            }
        })
        .unwrap_or_default()
}

fn policy_view(p: &PolicyVersion, codes: &HashMap<Uuid, String>) -> PolicyView {
    let any = |v: &Option<String>| v.clone().unwrap_or_else(|| "any".into());
    let account = p.account_id.and_then(|id| codes.get(&id).cloned());
    let t = &p.targets;
    PolicyView {
        policy_id: p.policy_id,
        version: p.version,
        name: p.name.clone(),
        position: p.position,
        account: any(&account),
        service_level: any(&p.service_level),
        priority: any(&p.priority),
        warehouse: any(&p.warehouse_code),
        release: t
            .release_minutes
            .map(|m| format!("{} h", hours_text(Some(m))))
            .unwrap_or_else(|| "—".into()),
        ship: t
            .ship_minutes
            .map(|m| format!("{} h", hours_text(Some(m))))
            .unwrap_or_else(|| "—".into()),
        deliver: t
            .deliver_days
            .map(|d| format!("{d} d"))
            .unwrap_or_else(|| "—".into()),
        promise: t.promise,
        at_risk_percent: p.at_risk_percent,
        effective_from: utc(p.effective_from),
        effective_to: p.effective_to.map(utc).unwrap_or_default(),
        draft: PolicyDraft {
            name: p.name.clone(),
            position: p.position,
            account_code: account.unwrap_or_default(),
            service_level: p.service_level.clone().unwrap_or_default(),
            priority: p.priority.clone().unwrap_or_default(),
            warehouse_code: p.warehouse_code.clone().unwrap_or_default(),
            release_hours: hours_text(t.release_minutes),
            ship_hours: hours_text(t.ship_minutes),
            deliver_days: t.deliver_days.map(|d| d.to_string()).unwrap_or_default(),
            promise: t.promise,
            at_risk_percent: p.at_risk_percent,
        },
    }
}

fn calendar_view(c: &CalendarRow) -> CalendarView {
    let texts: Vec<String> = c.week.iter().map(|h| format_hours(*h)).collect();
    CalendarView {
        calendar_id: c.business_calendar_id,
        scope: c.scope.clone(),
        code: c.code.clone(),
        time_zone: c.time_zone.clone(),
        hours: texts
            .iter()
            .map(|t| {
                if t.is_empty() {
                    "closed".into()
                } else {
                    t.clone()
                }
            })
            .collect(),
        holidays: c.holidays.iter().map(|d| d.to_string()).collect(),
        cutoff: c.cutoff.map(|t| t.format("%H:%M").to_string()),
        draft: CalendarDraft {
            scope: c.scope.clone(),
            code: c.code.clone(),
            time_zone: c.time_zone.clone(),
            mon: texts[0].clone(),
            tue: texts[1].clone(),
            wed: texts[2].clone(),
            thu: texts[3].clone(),
            fri: texts[4].clone(),
            sat: texts[5].clone(),
            sun: texts[6].clone(),
            holidays: c
                .holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            cutoff: c
                .cutoff
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or_default(),
        },
    }
}

async fn account_codes(pool: &PgPool) -> Result<HashMap<Uuid, String>, AppError> {
    Ok(accounts::list(pool)
        .await?
        .into_iter()
        .map(|a| (a.account_id, a.code))
        .collect())
}

pub async fn settings(pool: &PgPool) -> Result<SlaSettings, AppError> {
    let codes = account_codes(pool).await?;
    let versions = policies::policy_versions(pool).await?;
    let mut history: Vec<PolicyView> = versions
        .iter()
        .filter(|v| v.effective_to.is_some())
        .map(|v| policy_view(v, &codes))
        .collect();
    history.sort_by(|a, b| b.effective_to.cmp(&a.effective_to));
    Ok(SlaSettings {
        policies: versions
            .iter()
            .filter(|v| v.effective_to.is_none())
            .map(|v| policy_view(v, &codes))
            .collect(),
        history,
        calendars: calendars::calendars(pool)
            .await?
            .iter()
            .map(calendar_view)
            .collect(),
    })
}

/// Saves a policy: a new one, or the next version of `policy_id` from now on.
pub async fn save_policy(
    pool: &PgPool,
    actor: Uuid,
    policy_id: Option<i64>,
    draft: &PolicyDraft,
) -> Result<PolicyView, AppError> {
    let checked = check(draft)?;
    let account_id = match &checked.account_code {
        None => None,
        Some(code) => Some(
            accounts::find_by_code(pool, &code.to_uppercase())
                .await?
                .ok_or_else(|| {
                    FieldErrors::single("account_code", format!("no account has the code {code}"))
                })?
                .account_id,
        ),
    };
    let mut tx = pool.begin().await?;
    let saved = policies::save_policy(
        &mut tx,
        &NewPolicyVersion {
            policy_id,
            name: &checked.name,
            position: checked.position,
            account_id,
            service_level: checked.service_level.as_deref(),
            priority: checked.priority.as_deref(),
            warehouse_code: checked.warehouse_code.as_deref(),
            targets: &checked.targets,
            at_risk_percent: checked.at_risk_percent,
            created_by: Some(actor),
            effective_from: None,
        },
    )
    .await?
    .ok_or(AppError::NotFound)?;
    audit::record(
        &mut *tx,
        Some(actor),
        if policy_id.is_some() {
            "sla.policy.change"
        } else {
            "sla.policy.add"
        },
        &format!("sla_policy:{}", saved.0),
        json!({"version": saved.1, "draft": draft}),
    )
    .await?;
    tx.commit().await?;
    let codes = account_codes(pool).await?;
    let current = policies::policy_versions(pool)
        .await?
        .into_iter()
        .find(|v| v.policy_id == saved.0 && v.version == saved.1)
        .ok_or(AppError::Internal)?;
    Ok(policy_view(&current, &codes))
}

pub async fn retire_policy(
    pool: &PgPool,
    actor: Uuid,
    policy_id: i64,
    reason: &str,
) -> Result<(), AppError> {
    if reason.trim().is_empty() {
        return Err(FieldErrors::single("reason", "say why").into());
    }
    let mut tx = pool.begin().await?;
    if !policies::retire_policy(&mut *tx, policy_id).await? {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        Some(actor),
        "sla.policy.retire",
        &format!("sla_policy:{policy_id}"),
        json!({"reason": reason.trim()}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds or replaces the calendar of a warehouse or carrier. The SLA sweep recomputes the open
/// clocks that count in it within a minute (`server::sla::sweep`).
pub async fn save_calendar(
    pool: &PgPool,
    actor: Uuid,
    draft: &CalendarDraft,
) -> Result<CalendarView, AppError> {
    let c = check_calendar(draft)?;
    let row = CalendarRow {
        business_calendar_id: 0,
        scope: c.scope,
        code: c.code,
        time_zone: c.time_zone,
        week: c.week,
        holidays: c.holidays,
        cutoff: c.cutoff,
    };
    let mut tx = pool.begin().await?;
    let id = calendars::save_calendar(&mut *tx, &row).await?;
    audit::record(
        &mut *tx,
        Some(actor),
        "sla.calendar.save",
        &format!("business_calendar:{id}"),
        json!({"draft": draft}),
    )
    .await?;
    tx.commit().await?;
    Ok(calendar_view(&CalendarRow {
        business_calendar_id: id,
        ..row
    }))
}

pub async fn delete_calendar(pool: &PgPool, actor: Uuid, id: i64) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    if calendars::delete_calendar(&mut *tx, id).await? == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut *tx,
        Some(actor),
        "sla.calendar.delete",
        &format!("business_calendar:{id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An order's clocks as its page shows them, remaining time in each segment's calendar.
pub async fn order_clocks(
    pool: &PgPool,
    order_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ClockView>, AppError> {
    let rows = clocks::clocks_of(pool, order_id).await?;
    let calendars: Vec<CalendarRow> = calendars::calendars(pool).await?;
    let find = |scope: &str, code: Option<&str>| -> BusinessCalendar {
        code.and_then(|code| {
            calendars
                .iter()
                .find(|c| c.scope == scope && c.code.eq_ignore_ascii_case(code))
                .and_then(CalendarRow::calendar)
        })
        .unwrap_or_else(BusinessCalendar::always_open)
    };
    Ok(rows
        .into_iter()
        .map(|(clock, name, warehouse, carrier)| {
            let calendar = if clock.segment == Segment::Deliver {
                find("carrier", carrier.as_deref())
            } else {
                find("warehouse", warehouse.as_deref())
            };
            view_clock(&clock, &name, &calendar, now)
        })
        .collect())
}

fn view_clock(
    c: &Clock,
    policy: &str,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> ClockView {
    let state = c.state_at(now);
    let remaining = if c.segment == Segment::Promise {
        c.due_at
            .map(|due| (due - c.ended_at.unwrap_or(now)).num_seconds())
    } else {
        c.remaining_at(now, calendar)
    };
    ClockView {
        segment: c.segment.label().into(),
        key: c.segment.as_str().into(),
        state,
        state_label: state.label().into(),
        policy: format!("{policy} v{}", c.policy_version),
        started_at: utc(c.started_at),
        due_at: c.due_at.map(utc),
        ended_at: c.ended_at.map(utc),
        remaining: remaining.map(|s| {
            if s >= 0 {
                format!("{} left", span(s))
            } else {
                format!("{} over", span(-s))
            }
        }),
        paused: if c.paused_seconds > 0 || c.paused_since.is_some() {
            span(c.paused_seconds)
        } else {
            String::new()
        },
        target: span(Duration::seconds(c.target_seconds).num_seconds()),
    }
}
