//! Disputes of breached clocks: opened by account managers and customers (their own accounts),
//! decided by agents and admins beside the evidence. Every step is audited in its own
//! transaction with the change it made.

use crate::domain::disputes::*;
use crate::domain::sla::{ClockState, Segment};
use crate::error::{AppError, FieldErrors};
use crate::store::disputes::{self as store, DisputeRow, NewDispute};
use crate::store::orders::{self, Scope};
use crate::store::{audit, evidence};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

const MAX_TEXT: usize = 4000;

fn text(field: &str, value: &str, what: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldErrors::single(field, what).into());
    }
    if value.len() > MAX_TEXT {
        return Err(
            FieldErrors::single(field, format!("keep it under {MAX_TEXT} characters")).into(),
        );
    }
    Ok(value.to_string())
}

/// Opens a dispute of the order's `segment` clock. The order must be in the caller's scope (else
/// not found) and the clock breached; one dispute per clock is open at a time.
pub async fn open(
    pool: &PgPool,
    scope: &Scope,
    actor: Uuid,
    request: &DisputeRequest,
    now: DateTime<Utc>,
) -> Result<DisputeView, AppError> {
    let segment = Segment::parse(request.segment.trim())
        .ok_or_else(|| FieldErrors::single("segment", "release, ship, deliver or promise"))?;
    let reason: DisputeReason = request
        .reason
        .trim()
        .parse()
        .map_err(|_| FieldErrors::single("reason", "choose why the breach should not count"))?;
    let comment = text("comment", &request.comment, "say what happened")?;
    let Some(order) = orders::find(pool, scope, request.order_ref.trim()).await? else {
        return Err(AppError::NotFound);
    };
    let Some((clock, _)) = evidence::clock(pool, order.order_id, segment.as_str()).await? else {
        return Err(AppError::NotFound);
    };
    if clock.state_at(now) != ClockState::Breached {
        return Err(FieldErrors::single(
            "segment",
            "only a breached clock can be disputed; this one was not breached",
        )
        .into());
    }
    let account_id = match &order.account {
        Some(code) => crate::store::accounts::find_by_code(pool, code)
            .await?
            .map(|a| a.account_id),
        None => None,
    };
    let summary = format!(
        "Dispute of the {} breach: {}",
        segment.label().to_lowercase(),
        reason.describe()
    );
    let mut tx = pool.begin().await?;
    let id = store::open(
        &mut tx,
        NewDispute {
            order_id: order.order_id,
            order_ref: &order.order_ref,
            account_id,
            segment: segment.as_str(),
            reason,
            comment: &comment,
            opened_by: actor,
            summary: &summary,
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        Some(actor),
        "dispute.open",
        &format!("dispute:{id}"),
        json!({"order": order.order_ref, "segment": segment.as_str(), "reason": reason, "comment": comment}),
    )
    .await?;
    tx.commit().await?;
    let row = store::get(pool, id).await?.ok_or(AppError::Internal)?;
    Ok(view(&row, now))
}

/// Turns the decision form into a decision, checking what each needs.
pub fn decision(
    decision: &str,
    excuse_reason: &str,
    stopped_at: &str,
    note: &str,
) -> Result<DisputeDecision, AppError> {
    let note = text("note", note, "say why")?;
    Ok(match decision.trim() {
        "upheld" => DisputeDecision::Upheld { note },
        "excused" => DisputeDecision::Excused {
            reason: excuse_reason
                .trim()
                .parse()
                .map_err(|_| FieldErrors::single("excuse_reason", "choose why it is excused"))?,
            note,
        },
        "corrected" => DisputeDecision::Corrected {
            stopped_at: stopped_at.trim().to_string(),
            note,
        },
        _ => {
            return Err(
                FieldErrors::single("decision", "choose upheld, excused or corrected").into(),
            )
        }
    })
}

/// A corrected stop: RFC 3339, or a `datetime-local` value read as UTC (the form says so); not
/// in the future and not before the clock started.
fn corrected_stop(
    text: &str,
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").map(|t| t.and_utc())
        })
        .map_err(|_| {
            FieldErrors::single("stopped_at", "give the date and time it really happened")
        })?;
    if at > now {
        return Err(
            FieldErrors::single("stopped_at", "a correction cannot be in the future").into(),
        );
    }
    if at < started_at {
        return Err(FieldErrors::single(
            "stopped_at",
            format!(
                "the clock started at {}; the stop cannot be earlier",
                started_at.to_rfc3339()
            ),
        )
        .into());
    }
    Ok(at)
}

/// Decides an open dispute (agents and admins): the dispute, its queue case and, for a
/// correction, the correction the SLA engine applies, in one transaction, audited. A decided
/// or unknown dispute is not found.
pub async fn decide(
    pool: &PgPool,
    actor: Uuid,
    dispute_id: i64,
    decision: &DisputeDecision,
    now: DateTime<Utc>,
) -> Result<DisputeView, AppError> {
    let mut tx = pool.begin().await?;
    let Some(before) = store::lock_open(&mut tx, dispute_id).await? else {
        return Err(AppError::NotFound);
    };
    let (excuse, note) = match decision {
        DisputeDecision::Upheld { note } => (None, note),
        DisputeDecision::Excused { reason, note } => (Some(*reason), note),
        DisputeDecision::Corrected { stopped_at, note } => {
            let segment = Segment::parse(&before.segment).ok_or(AppError::Internal)?;
            let (clock, _) = evidence::clock(&mut *tx, before.order_id, segment.as_str())
                .await?
                .ok_or(AppError::NotFound)?;
            let at = corrected_stop(stopped_at, clock.started_at, now)?;
            store::record_correction(&mut tx, &before, corrected_milestone(segment), at, actor)
                .await?;
            (None, note)
        }
    };
    store::decide(&mut tx, dispute_id, decision.state(), excuse, note, actor).await?;
    audit::record(
        &mut *tx,
        Some(actor),
        &format!("dispute.{}", decision.state().as_str()),
        &format!("dispute:{dispute_id}"),
        json!({"order": before.order_ref, "segment": before.segment, "decision": decision}),
    )
    .await?;
    tx.commit().await?;
    let after = store::get(pool, dispute_id)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(view(&after, now))
}

/// The disputes of one order in the caller's scope (else not found), newest first.
pub async fn of_order(
    pool: &PgPool,
    scope: &Scope,
    order_ref: &str,
    now: DateTime<Utc>,
) -> Result<Vec<DisputeView>, AppError> {
    let Some(order) = orders::find(pool, scope, order_ref.trim()).await? else {
        return Err(AppError::NotFound);
    };
    Ok(store::of_order(pool, order.order_id)
        .await?
        .iter()
        .map(|d| view(d, now))
        .collect())
}

/// "3 d 4 h", "5 h 10 min", "12 min".
fn age(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let minutes = (to - from).num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, _) => format!("{hours} h {mins} min"),
        _ => format!("{days} d {hours} h"),
    }
}

pub fn view(d: &DisputeRow, now: DateTime<Utc>) -> DisputeView {
    DisputeView {
        dispute_id: d.dispute_id,
        order_ref: d.order_ref.clone(),
        account: d.account.clone(),
        segment: d.segment.clone(),
        segment_label: Segment::parse(&d.segment)
            .map(|s| s.label().to_string())
            .unwrap_or_else(|| d.segment.clone()),
        reason: d.reason,
        comment: d.comment.clone(),
        state: d.state,
        opened_by: d.opened_by.clone(),
        opened_at: d.opened_at.to_rfc3339(),
        age: age(d.opened_at, d.decided_at.unwrap_or(now)),
        owner: d.owner.clone(),
        case_id: d.exception_case_id,
        decided_by: d.decided_by.clone(),
        decided_at: d.decided_at.map(|t| t.to_rfc3339()),
        excuse_reason: d.excuse_reason,
        decision_note: d.decision_note.clone(),
        corrected_to: d.corrected_to.map(|t| t.to_rfc3339()),
        correction_applied: d.correction_applied_at.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_decision_asks_for_what_it_needs() {
        assert!(matches!(
            decision("upheld", "", "", "the scan is right"),
            Ok(DisputeDecision::Upheld { .. })
        ));
        let no_note = decision("upheld", "", "", "  ").unwrap_err();
        assert!(matches!(no_note, AppError::Validation(f) if f.0.contains_key("note")));
        let no_reason = decision("excused", "", "", "storm").unwrap_err();
        assert!(matches!(no_reason, AppError::Validation(f) if f.0.contains_key("excuse_reason")));
        assert_eq!(
            decision("excused", "force_majeure", "", "storm").unwrap(),
            DisputeDecision::Excused {
                reason: ExcuseReason::ForceMajeure,
                note: "storm".into()
            }
        );
        let unknown = decision("waived", "", "", "x").unwrap_err();
        assert!(matches!(unknown, AppError::Validation(f) if f.0.contains_key("decision")));
    }

    #[test]
    fn a_corrected_stop_is_a_real_past_time_after_the_start() {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 11, 10, 9, 0, 0).unwrap();
        assert_eq!(
            corrected_stop("2026-11-03T10:30", start, now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 3, 10, 30, 0).unwrap()
        );
        assert_eq!(
            corrected_stop("2026-11-03T12:30:00+02:00", start, now).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 3, 10, 30, 0).unwrap()
        );
        for bad in ["yesterday", "2026-11-11T00:00", "2026-11-01T00:00"] {
            let e = corrected_stop(bad, start, now).unwrap_err();
            assert!(
                matches!(e, AppError::Validation(f) if f.0.contains_key("stopped_at")),
                "{bad}"
            );
        }
    }

    #[test]
    fn ages_read_naturally() {
        let t = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        assert_eq!(age(t, t + chrono::Duration::minutes(12)), "12 min");
        assert_eq!(age(t, t + chrono::Duration::minutes(310)), "5 h 10 min");
        assert_eq!(age(t, t + chrono::Duration::minutes(4560)), "3 d 4 h");
    }
}
