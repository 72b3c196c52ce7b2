//! The integrations page's data and the operators' actions on jobs and queues. Every action is
//! audited (who, when, why, before and after) in the same transaction as the change.

use crate::domain::display::utc_second as utc;
use crate::domain::integrations::*;
use crate::domain::status::JobState;
use crate::error::{AppError, FieldErrors};
use crate::store::{audit, inbox, jobs, quarantine};
use chrono::Utc;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Jobs listed per page, and replayed per bulk action at most.
pub const LIST_LIMIT: i64 = 200;
pub const BULK_LIMIT: i64 = 1000;

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn view(r: &jobs::JobRow) -> JobView {
    JobView {
        job_id: r.job_id,
        queue: r.queue.clone(),
        kind: r.kind.clone(),
        state: r.state,
        attempts: r.attempts,
        max_attempts: r.max_attempts,
        replays: r.replays,
        order_ref: r.ordering_key.clone(),
        last_error: r.last_error.clone(),
        updated_at: utc(r.updated_at),
        payload: pretty(&r.payload),
        replayable: r.state.replayable(),
    }
}

pub async fn overview(pool: &PgPool) -> Result<IntegrationsOverview, AppError> {
    let now = Utc::now();
    let queues = jobs::queue_stats(pool)
        .await?
        .into_iter()
        .map(|q| QueueHealth {
            error_rate_pct: (q.attempts_last_hour > 0).then(|| {
                (q.failed_last_hour as f64 * 1000.0 / q.attempts_last_hour as f64).round() / 10.0
            }),
            minutes_since_success: q.last_success_at.map(|t| (now - t).num_minutes()),
            last_success_at: q.last_success_at.map(utc),
            queue: q.queue,
            circuit: q.circuit.unwrap_or_else(|| "closed".into()),
            paused: q.paused.unwrap_or(false),
            paused_reason: q.paused_reason,
            depth: q.depth,
            running: q.running,
            dead: q.dead,
            succeeded_last_hour: q.succeeded_last_hour,
            p50_ms: q.p50_ms.map(|v| v.round() as i64),
            p95_ms: q.p95_ms.map(|v| v.round() as i64),
        })
        .collect();
    let unknown_codes = inbox::unknown_codes(pool, 100)
        .await?
        .into_iter()
        .map(|u| UnknownCodeView {
            connector: u.connector,
            field: u.field,
            code: u.code,
            occurrences: u.occurrences,
            last_seen_at: utc(u.last_seen_at),
        })
        .collect();
    let held_releases = inbox::held_releases(pool, 200)
        .await?
        .into_iter()
        .map(|h| HeldReleaseView {
            why: match h.reason.as_str() {
                "customer_not_mapped" => format!(
                    "{} is mapped to no account: milepost account map",
                    h.customer.as_deref().unwrap_or("The customer")
                ),
                _ => format!(
                    "No WMS serves warehouse {}: milepost connector outbound",
                    h.warehouse_code.as_deref().unwrap_or("(none named)")
                ),
            },
            order_ref: h.order_ref,
            held_at: utc(h.held_at),
        })
        .collect();
    let reconciliations = inbox::latest_reconciliations(pool)
        .await?
        .into_iter()
        .map(|r| reconciliation_view(r.connector, utc(r.finished_at), &r.report))
        .collect();
    let quarantined = quarantine::open(pool, 200)
        .await?
        .into_iter()
        .map(|q| QuarantinedView {
            quarantine_id: q.quarantine_id,
            event_id: q.event_id.to_string(),
            event_type: q.event_type,
            order_ref: q.order_ref,
            error: q.error,
            quarantined_at: utc(q.quarantined_at),
        })
        .collect();
    Ok(IntegrationsOverview {
        queues,
        unknown_codes,
        held_releases,
        reconciliations,
        quarantined,
    })
}

/// A reconciliation report (`jobs::reconcile_odoo`) as the page shows it.
pub fn reconciliation_view(
    connector: String,
    finished_at: String,
    report: &serde_json::Value,
) -> ReconciliationView {
    let count = |k: &str| report[k].as_i64().unwrap_or(0);
    let repairs = report["repairs"].as_array().into_iter().flatten().map(|r| {
        format!(
            "{} ({}): {}",
            r["order"].as_str().unwrap_or("no order"),
            r["delivery"].as_str().unwrap_or(""),
            r["why"].as_str().unwrap_or("")
        )
    });
    let quiet = report["quiet_listed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|q| {
            format!(
                "{} ({}): no carrier news since {}",
                q["tracking_number"].as_str().unwrap_or(""),
                q["order_ref"].as_str().unwrap_or(""),
                q["last_news"].as_str().unwrap_or("dispatch")
            )
        });
    ReconciliationView {
        connector,
        finished_at,
        open_deliveries: count("open_deliveries"),
        out_of_step: count("out_of_step"),
        reads_enqueued: count("reads_enqueued"),
        inventory_comparisons: count("inventory_comparisons"),
        quiet_shipments: count("quiet_shipments"),
        quiet_after_hours: count("quiet_after_hours"),
        details: repairs.chain(quiet).take(20).collect(),
    }
}

fn text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn list(pool: &PgPool, f: &JobFilter, limit: i64) -> Result<Vec<JobView>, AppError> {
    let rows = jobs::list(
        pool,
        text(&f.queue),
        text(&f.state),
        text(&f.kind),
        text(&f.order_ref),
        limit,
    )
    .await?;
    Ok(rows.iter().map(view).collect())
}

pub async fn detail(pool: &PgPool, job_id: i64) -> Result<JobDetail, AppError> {
    let job = jobs::find(pool, job_id).await?.ok_or(AppError::NotFound)?;
    let attempts = jobs::attempts(pool, job_id)
        .await?
        .into_iter()
        .map(|a| AttemptView {
            replay: a.replay,
            attempt: a.attempt,
            outcome: a.outcome,
            started_at: utc(a.started_at),
            duration_ms: a.duration_ms,
            request: a.request.as_ref().map(pretty),
            response: a.response.as_ref().map(pretty),
            error: a.error,
        })
        .collect();
    Ok(JobDetail {
        job: view(&job),
        attempts,
    })
}

fn reason_required(reason: &str) -> Result<&str, AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "reason",
            "say why (it is kept in the audit log)",
        )));
    }
    Ok(reason)
}

/// Why a job may not be replayed now, or `None` when it may.
async fn refusal(conn: &mut PgConnection, job: &jobs::JobRow) -> Result<Option<String>, AppError> {
    if !job.state.replayable() {
        return Ok(Some(format!(
            "job {} is {}; only dead or cancelled jobs are replayed",
            job.job_id, job.state
        )));
    }
    if job.ordering_key.is_some() {
        if let Some((newer, at)) = jobs::newer_success(&mut *conn, job).await? {
            return Ok(Some(format!(
                "a newer {} for {} (job {newer}) succeeded at {}; replaying job {} would overwrite it",
                job.kind,
                job.ordering_key.as_deref().unwrap_or(""),
                utc(at),
                job.job_id
            )));
        }
    }
    Ok(None)
}

async fn replay_one(
    conn: &mut PgConnection,
    job: &jobs::JobRow,
    payload: Option<&Value>,
    actor: Uuid,
    reason: &str,
    action: &str,
) -> Result<(), AppError> {
    jobs::replay(&mut *conn, job.job_id, payload).await?;
    audit::record(
        &mut *conn,
        Some(actor),
        action,
        &format!("job:{}", job.job_id),
        json!({"why": reason,
               "before": {"state": job.state, "payload": job.payload, "last_error": job.last_error},
               "after": {"state": "pending", "payload": payload.unwrap_or(&job.payload)}}),
    )
    .await?;
    Ok(())
}

/// Replays one dead job, its payload replaced when `payload` is given (edit-then-replay).
pub async fn replay(
    pool: &PgPool,
    actor: Uuid,
    job_id: i64,
    reason: &str,
    payload: Option<&str>,
) -> Result<JobView, AppError> {
    let reason = reason_required(reason)?;
    let edited: Option<Value> = match payload.map(str::trim).filter(|p| !p.is_empty()) {
        Some(text) => Some(serde_json::from_str(text).map_err(|e| {
            AppError::Validation(FieldErrors::single("payload", format!("not JSON: {e}")))
        })?),
        None => None,
    };
    let mut tx = pool.begin().await?;
    let job = jobs::find(&mut *tx, job_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(why) = refusal(&mut tx, &job).await? {
        return Err(AppError::Conflict(why));
    }
    let action = if edited.is_some() {
        "job.edit_replay"
    } else {
        "job.replay"
    };
    replay_one(&mut tx, &job, edited.as_ref(), actor, reason, action).await?;
    tx.commit().await?;
    let after = jobs::find(pool, job_id).await?.ok_or(AppError::NotFound)?;
    Ok(view(&after))
}

/// Replays every dead job matching the filter (up to `BULK_LIMIT`), each audited; jobs whose
/// replay would overwrite newer state stay dead and are listed.
pub async fn replay_many(
    pool: &PgPool,
    actor: Uuid,
    filter: &JobFilter,
    reason: &str,
) -> Result<BulkReplay, AppError> {
    let reason = reason_required(reason)?;
    let mut tx = pool.begin().await?;
    let dead = jobs::list(
        &mut *tx,
        text(&filter.queue),
        Some(JobState::Dead.as_str()),
        text(&filter.kind),
        text(&filter.order_ref),
        BULK_LIMIT,
    )
    .await?;
    let mut outcome = BulkReplay {
        replayed: 0,
        refused: Vec::new(),
    };
    // Oldest first, so an order's jobs go back in line in their order.
    for job in dead.iter().rev() {
        match refusal(&mut tx, job).await? {
            Some(why) => outcome.refused.push(why),
            None => {
                replay_one(&mut tx, job, None, actor, reason, "job.replay_many").await?;
                outcome.replayed += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(outcome)
}

/// Pauses (or resumes) a queue: its jobs wait, whatever the breaker says.
pub async fn set_paused(
    pool: &PgPool,
    actor: Uuid,
    queue: &str,
    paused: bool,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason_required(reason)?;
    let queue = queue.trim();
    if queue.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "queue",
            "name the queue",
        )));
    }
    let mut tx = pool.begin().await?;
    let before = jobs::set_paused(&mut tx, queue, paused, paused.then_some(reason)).await?;
    audit::record(
        &mut *tx,
        Some(actor),
        if paused {
            "queue.pause"
        } else {
            "queue.resume"
        },
        &format!("queue:{queue}"),
        json!({"why": reason, "before": {"paused": before}, "after": {"paused": paused}}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Puts a quarantined event back in the projector's queue (its cause mended), audited. The
/// projector folds it at its next round; if it fails again it returns to quarantine.
pub async fn release_quarantined(
    pool: &PgPool,
    actor: Uuid,
    quarantine_id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason_required(reason)?;
    let mut tx = pool.begin().await?;
    let (event_id, order_ref) = quarantine::release(&mut tx, quarantine_id, actor)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut *tx,
        Some(actor),
        "event.release_quarantine",
        &format!("event:{event_id}"),
        json!({"why": reason, "quarantine_id": quarantine_id, "order": order_ref}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Links shown per chain.
pub const CHAIN_LIMIT: i64 = 500;

/// The chain a correlation id, an order or a message id leads to.
pub async fn chain(pool: &PgPool, q: &str) -> Result<Chain, AppError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(AppError::Validation(FieldErrors::single(
            "q",
            "give a correlation id, an order or a message id",
        )));
    }
    let ids = crate::store::chain::correlation_ids(pool, q).await?;
    let mut links: Vec<ChainLink> = crate::store::chain::links(pool, &ids, q, CHAIN_LIMIT + 1)
        .await?
        .into_iter()
        .map(|l| ChainLink {
            kind: l.kind,
            at: utc(l.at),
            place: l.place,
            title: l.title,
            status: l.status,
            detail: l.detail,
            correlation_id: l.correlation_id,
            reference: l.reference,
        })
        .collect();
    let truncated = links.len() as i64 > CHAIN_LIMIT;
    links.truncate(CHAIN_LIMIT as usize);
    // Only the ids that lead somewhere are worth showing.
    let correlation_ids = ids
        .into_iter()
        .filter(|id| {
            links
                .iter()
                .any(|l| l.correlation_id.as_deref() == Some(id))
        })
        .collect();
    Ok(Chain {
        query: q.to_string(),
        correlation_ids,
        links,
        truncated,
    })
}
