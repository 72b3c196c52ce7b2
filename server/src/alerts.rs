//! The alert evaluator, a worker task (every `CHECK_EVERY`, one process at a time):
//!
//! 1. **Evaluate** each enabled rule (`store::alerts` measures it) and fire an alert for each
//!    subject over its threshold. One open alert per rule and subject: a condition that stays
//!    true fires once. An open alert whose condition no longer holds (or whose rule was turned
//!    off) resolves.
//! 2. **Digest**: the firings and resolutions no digest has told yet become one digest, at most
//!    one per `digest_every`, so a flood of alerts is one message, not a hundred.
//! 3. **Deliver** each digest once per configured channel (`connectors::alerts`), retried with
//!    backoff until sent or out of attempts; each delivery is leased, so two workers never send
//!    it at once. The banner and the alerts page read the alert table and need no channel.

use crate::connectors::alerts::{Channels, Digest};
use crate::store::alerts as store;
use anyhow::Context;
use app::domain::alerts::{fires, AlertKind, Notice};
use app::domain::display::utc_second;
use chrono::Utc;
use sqlx::PgPool;
use std::time::Duration;

/// How often the rules are evaluated.
pub const CHECK_EVERY: Duration = Duration::from_secs(30);

/// Attempts per delivery before it is left `failed`.
const MAX_ATTEMPTS: i32 = 8;
/// A claimed delivery is not retaken by another worker for this long.
const LEASE_SECONDS: f64 = 120.0;

#[derive(Clone, Debug)]
pub struct AlertSettings {
    /// The shortest time between two digests (`MILEPOST_ALERT_DIGEST_MINUTES`, default 5).
    pub digest_every: Duration,
    pub channels: Channels,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            digest_every: Duration::from_secs(5 * 60),
            channels: Channels::default(),
        }
    }
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub fired: usize,
    pub resolved: usize,
    pub digest: Option<i64>,
    pub delivered: usize,
    pub failed: usize,
}

/// One round: evaluate, make a digest when one is due, deliver what is due.
pub async fn round(pool: &PgPool, settings: &AlertSettings) -> anyhow::Result<Round> {
    let mut round = evaluate(pool, settings)
        .await
        .context("evaluating the alert rules")?;
    let (delivered, failed) = deliver(pool, &settings.channels)
        .await
        .context("delivering alert digests")?;
    round.delivered = delivered;
    round.failed = failed;
    Ok(round)
}

async fn evaluate(pool: &PgPool, settings: &AlertSettings) -> anyhow::Result<Round> {
    let mut tx = pool.begin().await?;
    if !store::take_turn(&mut tx).await? {
        // Another process is evaluating now.
        return Ok(Round::default());
    }
    let mut round = Round::default();
    let mut holding = std::collections::HashSet::new();
    for rule in store::rules(&mut *tx).await? {
        let Some(kind) = AlertKind::parse(&rule.kind) else {
            continue;
        };
        if !rule.enabled {
            continue;
        }
        for m in measure(&mut tx, kind, rule.threshold, rule.window_minutes).await? {
            // The SQL filters by the threshold too; `fires` is the one rule both follow.
            if !fires(m.value, rule.threshold) {
                continue;
            }
            let message = kind.message(&m.subject, m.value, rule.window_minutes);
            if store::fire(&mut tx, kind.as_str(), &m.subject, m.value, &message).await? {
                round.fired += 1;
                tracing::warn!(alert.kind = kind.as_str(), alert.subject = %m.subject, "{message}");
            }
            holding.insert((kind.as_str().to_string(), m.subject));
        }
    }
    for open in store::open(&mut tx).await? {
        if !holding.contains(&(open.kind.clone(), open.subject.clone())) {
            store::resolve(&mut tx, open.alert_id).await?;
            round.resolved += 1;
            tracing::info!(alert.kind = %open.kind, alert.subject = %open.subject, "alert resolved");
        }
    }
    round.digest = digest(&mut tx, settings).await?;
    tx.commit().await?;
    Ok(round)
}

async fn measure(
    conn: &mut sqlx::PgConnection,
    kind: AlertKind,
    threshold: f64,
    window: i32,
) -> sqlx::Result<Vec<store::Measure>> {
    match kind {
        AlertKind::DeadLetters => store::dead_letters(conn, threshold).await,
        AlertKind::CircuitOpen => store::circuits_open(conn, threshold).await,
        AlertKind::SourceStale => store::sources_stale(conn, threshold).await,
        AlertKind::ProjectorLag => store::projector_lag(conn, threshold).await,
        AlertKind::RejectedMessages => store::rejected_messages(conn, threshold, window).await,
        AlertKind::BreachRate => store::breach_rates(conn, threshold, window).await,
    }
}

/// Makes a digest of what no digest has told yet, unless one was made less than
/// `digest_every` ago (then they wait for the next).
async fn digest(
    conn: &mut sqlx::PgConnection,
    settings: &AlertSettings,
) -> anyhow::Result<Option<i64>> {
    let unsent = store::unsent(conn).await?;
    if unsent.is_empty() {
        return Ok(None);
    }
    if let Some(last) = store::last_digest_at(conn).await? {
        let since = (Utc::now() - last).to_std().unwrap_or_default();
        if since < settings.digest_every {
            return Ok(None);
        }
    }
    let notices: Vec<Notice> = unsent
        .iter()
        .filter_map(|a| {
            Some(Notice {
                alert_id: a.alert_id,
                kind: AlertKind::parse(&a.kind)?,
                subject: a.subject.clone(),
                state: if a.resolved_at.is_some() {
                    "resolved"
                } else {
                    "firing"
                }
                .into(),
                message: a.message.clone(),
                value: if a.resolved_at.is_some() {
                    a.last_value
                } else {
                    a.fired_value
                },
                fired_at: utc_second(a.fired_at),
                resolved_at: a.resolved_at.map(utc_second),
            })
        })
        .collect();
    let ids: Vec<i64> = unsent.iter().map(|a| a.alert_id).collect();
    let body = serde_json::to_value(&notices).expect("notices serialize");
    let id = store::make_digest(conn, &body, &ids, &settings.channels.names()).await?;
    Ok(Some(id))
}

/// Sends the deliveries that are due; returns how many were sent and how many failed.
async fn deliver(pool: &PgPool, channels: &Channels) -> anyhow::Result<(usize, usize)> {
    let (mut sent, mut failed) = (0, 0);
    for due in store::claim_due(pool, LEASE_SECONDS, 20).await? {
        let notices: Vec<Notice> = serde_json::from_value(due.notices).unwrap_or_default();
        let digest = Digest {
            digest_id: due.digest_id,
            notices,
        };
        match channels.send(&due.channel, &digest).await {
            Ok(()) => {
                store::delivered(pool, due.digest_id, &due.channel).await?;
                sent += 1;
            }
            Err(error) => {
                let give_up = due.attempts >= MAX_ATTEMPTS;
                // 1, 2, 4 … minutes, at most an hour.
                let retry_in = (60.0 * 2f64.powi(due.attempts - 1)).min(3600.0);
                tracing::warn!(digest = due.digest_id, channel = %due.channel, attempts = due.attempts, give_up, "alert digest not delivered: {error}");
                store::delivery_failed(
                    pool,
                    due.digest_id,
                    &due.channel,
                    &error,
                    retry_in,
                    give_up,
                )
                .await?;
                failed += 1;
            }
        }
    }
    Ok((sent, failed))
}
