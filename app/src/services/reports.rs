//! SLA reports: the evidence pack of one clock. The clock is the one the dashboard counts (read
//! from `sla_clock`, never worked out a second time); its pauses and the facts it started and
//! stopped on come from folding the order's stored history, as the projector did; each event
//! is shown with the hash of the raw message it came in, computed from the stored bytes.

use crate::domain::projection::{fold, FoldEvent};
use crate::domain::reports::*;
use crate::domain::sla::calendar::format_hours;
use crate::domain::sla::{blame, bounds, corrected, facts, Correction, Segment};
use crate::error::{AppError, FieldErrors};
use crate::store::evidence::{self, EventRow};
use crate::store::orders::{self, Scope};
use crate::store::sla::calendars;
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

/// An entry of `order_history.events`, as far as the pack needs it.
#[derive(Deserialize)]
struct Stored {
    event_id: Uuid,
    identity: String,
    #[serde(rename = "type")]
    event_type: String,
    occurred_at: Option<DateTime<Utc>>,
    data: serde_json::Value,
    disposition: String,
}

const HOW_TO_VERIFY: &str = "Each event names the message it came in (message_id, inbox_message_id) and the SHA-256 of \
that message's bytes as Milepost received them. Hash the raw message (an integrator can download it from the order's \
timeline) with any SHA-256 tool; the digest must equal message_sha256. A message older than the raw-body retention \
names instead the archive it was moved to (message_archive), whose line holds its bytes as hex and whose manifest \
holds the archive's own SHA-256.";

/// The evidence pack of the order's clock for `segment`; not found when the order is outside the
/// caller's scope or has no such clock.
pub async fn evidence(
    pool: &PgPool,
    scope: &Scope,
    order_ref: &str,
    segment: &str,
    now: DateTime<Utc>,
) -> Result<EvidencePack, AppError> {
    let segment = Segment::parse(segment)
        .ok_or_else(|| FieldErrors::single("segment", "release, ship, deliver or promise"))?;
    let Some(order) = orders::find(pool, scope, order_ref).await? else {
        return Err(AppError::NotFound);
    };
    let Some((clock, policy_name)) =
        evidence::clock(pool, order.order_id, segment.as_str()).await?
    else {
        return Err(AppError::NotFound);
    };
    let stored: Vec<Stored> = evidence::history(pool, order_ref)
        .await?
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| {
            tracing::error!(order = %order_ref, error = %e, "an order's stored history cannot be read");
            AppError::Internal
        })?
        .unwrap_or_default();
    let live: Vec<&Stored> = stored
        .iter()
        .filter(|e| e.disposition != "rejected")
        .collect();
    let events: Vec<FoldEvent> = live
        .iter()
        .filter_map(|e| {
            Some(FoldEvent {
                event_id: e.event_id,
                identity: e.identity.clone(),
                event_type: e.event_type.parse().ok()?,
                occurred_at: e.occurred_at,
                data: e.data.clone(),
            })
        })
        .collect();
    let projection = fold(order_ref, &events).projection.unwrap_or_default();
    let fixes = crate::store::disputes::corrections(pool, order.order_id).await?;
    let f = corrected(
        facts(&projection, None),
        &fixes
            .iter()
            .map(|c| Correction {
                milestone: c.milestone.clone(),
                at: c.corrected_at,
            })
            .collect::<Vec<_>>(),
    );
    let horizon = clock.ended_at.unwrap_or(now);
    // The pauses that fall in the clock's span (the engine counts only those).
    let in_span: Vec<_> = projection
        .pauses
        .iter()
        .filter(|p| p.from < horizon && p.until.is_none_or(|u| u > clock.started_at))
        .collect();
    let pauses: Vec<PauseEvidence> = in_span
        .iter()
        .map(|p| PauseEvidence {
            reason: p.reason.label(),
            from: p.from.to_rfc3339(),
            until: p.until.map(|u| u.to_rfc3339()),
        })
        .collect();

    // Which instants the clock rests on, and what each did to it.
    let (start, stop) = bounds(segment, &f);
    let mut moments: Vec<(DateTime<Utc>, &'static str)> = Vec::new();
    moments.extend(start.map(|t| (t, "started")));
    moments.extend(
        stop.filter(|_| clock.ended_at.is_some())
            .map(|t| (t, "stopped")),
    );
    for p in &in_span {
        moments.push((p.from, "paused"));
        moments.extend(p.until.map(|u| (u, "resumed")));
    }
    let chosen: Vec<(Uuid, &'static str)> = live
        .iter()
        .filter_map(|e| {
            let at = e.occurred_at?;
            moments
                .iter()
                .find(|(t, _)| *t == at)
                .map(|(_, role)| (e.event_id, *role))
        })
        .collect();
    let ids: Vec<Uuid> = chosen.iter().map(|c| c.0).collect();
    let rows = evidence::events(pool, &ids).await?;
    let mut events: Vec<EventEvidence> = chosen
        .iter()
        .filter_map(|(id, role)| {
            rows.iter()
                .find(|r| r.event_id == *id)
                .map(|r| shown(r, role))
        })
        .collect();
    events.sort_by(|a, b| {
        a.occurred_at
            .cmp(&b.occurred_at)
            .then(a.recorded_at.cmp(&b.recorded_at))
    });

    let calendar = calendar_used(pool, segment, &order, clock.calendar_version).await?;
    Ok(EvidencePack {
        order_ref: order.order_ref.clone(),
        account: order.account.clone(),
        segment: segment.as_str().to_string(),
        segment_label: segment.label().to_string(),
        clock: ClockEvidence {
            state: clock.state_at(now).as_str().to_string(),
            started_at: clock.started_at.to_rfc3339(),
            due_at: clock.due_at.map(|t| t.to_rfc3339()),
            ended_at: clock.ended_at.map(|t| t.to_rfc3339()),
            target_seconds: clock.target_seconds,
            paused_seconds: clock.paused_seconds,
            failed: clock.failed,
            policy_id: clock.policy_id,
            policy_version: clock.policy_version,
            policy_name,
            calendar,
            calendar_version: clock.calendar_version,
        },
        pauses,
        events,
        corrections: fixes
            .iter()
            .map(|c| CorrectionEvidence {
                dispute_id: c.dispute_id,
                milestone: c.milestone.clone(),
                corrected_to: c.corrected_at.to_rfc3339(),
                recorded_by: c.recorded_by.clone(),
                recorded_at: c.recorded_at.to_rfc3339(),
                note: c.note.clone(),
            })
            .collect(),
        disputes: crate::store::disputes::of_order(pool, order.order_id)
            .await?
            .iter()
            .filter(|d| d.segment == segment.as_str())
            .map(|d| crate::services::disputes::view(d, now))
            .collect(),
        generated_at: now.to_rfc3339(),
        how_to_verify: HOW_TO_VERIFY.to_string(),
    })
}

fn shown(r: &EventRow, role: &str) -> EventEvidence {
    let occurred_at =
        r.occurred_at.map(
            |t| match r.occurred_offset_seconds.and_then(FixedOffset::east_opt) {
                Some(offset) => t.with_timezone(&offset).to_rfc3339(),
                None => t.to_rfc3339(),
            },
        );
    EventEvidence {
        role: role.to_string(),
        event_id: r.event_id.to_string(),
        event_type: r.event_type.clone(),
        source: format!("{} ({})", r.connector, r.connector_kind),
        external_id: r.external_id.clone(),
        occurred_at,
        recorded_at: r.recorded_at.to_rfc3339(),
        message_id: r.message_id.clone(),
        inbox_message_id: r.inbox_message_id,
        disposition: r.disposition.clone(),
        message_sha256: r.message_sha256.clone(),
        message_archive: r.message_archive.clone(),
    }
}

/// The calendar the segment counts in, described: the carrier's for delivery, the warehouse's
/// otherwise; "always open" when none is set (what the engine uses then).
async fn calendar_used(
    pool: &PgPool,
    segment: Segment,
    order: &orders::OrderListRow,
    version: Option<i32>,
) -> Result<String, AppError> {
    let (scope, code) = match segment {
        Segment::Deliver => ("carrier", order.carrier.as_deref()),
        Segment::Promise => return Ok("wall time: a promised date has no business hours".into()),
        _ => ("warehouse", order.warehouse_code.as_deref()),
    };
    let Some(code) = code else {
        return Ok(format!("always open (the order names no {scope})"));
    };
    // The version the clock counted in, as it stood then; a clock computed before calendars
    // were versioned (no version recorded) is described by the calendar as it stands.
    let found = match version {
        Some(v) => calendars::at_version(pool, scope, code, v).await?,
        None => calendars::calendars(pool)
            .await?
            .into_iter()
            .find(|c| c.scope == scope && c.code.eq_ignore_ascii_case(code)),
    };
    let label = version
        .map(|v| format!("version {v}, "))
        .unwrap_or_default();
    Ok(match found {
        None => format!("always open (no calendar is set for {scope} {code})"),
        Some(c) => {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let hours: Vec<String> = DAYS
                .iter()
                .zip(c.week.iter())
                .map(|(day, h)| match h {
                    Some(_) => format!("{day} {}", format_hours(*h)),
                    None => format!("{day} closed"),
                })
                .collect();
            let cutoff = c
                .cutoff
                .map(|t| format!(", cut-off {}", t.format("%H:%M")))
                .unwrap_or_default();
            format!(
                "{scope} {} ({label}{}): {}{cutoff}; {} holidays",
                c.code,
                c.time_zone,
                hours.join(", "),
                c.holidays.len()
            )
        }
    })
}

/// What a report covers: the account (in the caller's scope, else not found), the accounts the
/// caller may choose from, and the days `[first, next)`.
pub struct Period {
    pub accounts: Vec<(String, String)>,
    pub code: String,
    pub account_id: Uuid,
    pub account_name: String,
    pub first: chrono::NaiveDate,
    pub next: chrono::NaiveDate,
    /// A range of dates rather than a month.
    pub by_range: bool,
}

/// The period and account a report filter names: a month (the one before `now` by default) or
/// a range of dates; the caller's first account when none is named.
pub async fn period(
    pool: &PgPool,
    scope: &Scope,
    filter: &ReportFilter,
    now: DateTime<Utc>,
) -> Result<Period, AppError> {
    use crate::services::dashboard::account_in_scope;
    use chrono::{Datelike, Duration, NaiveDate};
    let accounts: Vec<(String, String)> = crate::store::accounts::list(pool)
        .await?
        .into_iter()
        .filter(|a| match scope {
            Scope::All => true,
            Scope::Accounts(ids) => ids.contains(&a.account_id),
        })
        .map(|a| (a.code, a.name))
        .collect();
    // No account chosen: the caller's first (an account manager often has one).
    let code = match filter.account.trim() {
        "" => accounts
            .first()
            .map(|a| a.0.clone())
            .ok_or(AppError::NotFound)?,
        code => code.to_string(),
    };
    let account_id = account_in_scope(pool, scope, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let account_name = accounts
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    let day = |field: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| FieldErrors::single(field, "a date as YYYY-MM-DD"))
    };
    let by_range = !filter.from.trim().is_empty() && !filter.to.trim().is_empty();
    let (first, next) = if by_range {
        let (from, to) = (day("from", &filter.from)?, day("to", &filter.to)?);
        if to < from {
            return Err(FieldErrors::single("to", "on or after the first day").into());
        }
        (from, to + Duration::days(1))
    } else {
        let first = match filter.month.trim() {
            "" => {
                let this = NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("a month");
                (this - Duration::days(1)).with_day(1).expect("a month")
            }
            m => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
                .map_err(|_| FieldErrors::single("month", "a month as YYYY-MM"))?,
        };
        (
            first,
            (first + Duration::days(32)).with_day(1).expect("a month"),
        )
    };
    Ok(Period {
        accounts,
        code,
        account_id,
        account_name,
        first,
        next,
        by_range,
    })
}

/// Breaches listed on the page (the CSV has the same).
pub const BREACHES_LISTED: i64 = 500;

/// An account's report for a month: the dashboard's figures from the same rollups
/// (`store::kpis::sums`), each clock segment's attainment and the breaches from the clocks the
/// order pages show. An account outside the caller's scope is not found.
pub async fn month(
    pool: &PgPool,
    scope: &Scope,
    filter: &ReportFilter,
    now: DateTime<Utc>,
) -> Result<ReportView, AppError> {
    use crate::domain::dashboard::DashboardFilter;
    use crate::services::dashboard::tiles::pct;
    use crate::store::kpis::{self, Filters};
    use chrono::Duration;

    let Period {
        accounts,
        code,
        account_id,
        account_name,
        first,
        next,
        by_range,
    } = period(pool, scope, filter, now).await?;
    // The published versions of the month, and one of them instead of the live figures when
    // asked for.
    let published: Vec<PublishedVersion> = if by_range {
        Vec::new()
    } else {
        crate::store::reports::snapshots(pool, account_id, first)
            .await?
            .iter()
            .map(published_version)
            .collect::<Result<_, _>>()?
    };
    if !filter.version.trim().is_empty() {
        return published_report(pool, account_id, first, filter, accounts, published).await;
    }
    let dims = DashboardFilter {
        account: code.clone(),
        warehouse: filter.warehouse.clone(),
        carrier: filter.carrier.clone(),
        service_level: filter.service_level.clone(),
        days: 0,
    };
    let f = Filters {
        scope,
        account_id: Some(account_id),
        f: &dims,
    };
    let sums = kpis::sums(pool, &f, first, next).await?;
    let dims_text = [
        dims.warehouse.trim(),
        dims.carrier.trim(),
        dims.service_level.trim(),
    ];
    let excused =
        crate::store::disputes::excused_counts(pool, account_id, first, next, dims_text).await?;
    // (ended, ended in time) of the excused clocks of a segment.
    let excused_of = |segment: &str| {
        excused
            .iter()
            .find(|(s, ..)| s == segment)
            .map(|(_, ended, in_time)| (*ended, *in_time))
            .unwrap_or((0, 0))
    };
    let one_decimal = |met: i64, of: i64| pct(met, of).map(|p| (p * 10.0).round() / 10.0);
    let figure = |key: &str, label: &str, met: i64, of: i64, excused: (i64, i64)| Figure {
        key: key.into(),
        label: label.into(),
        met,
        of,
        percent: one_decimal(met, of),
        excused: excused.0 - excused.1,
        percent_after: one_decimal(met - excused.1, of - excused.0),
    };
    let kpis = vec![
        figure(
            "ship_on_time",
            "On-time ship",
            sums.ship_on_time,
            sums.ship_measured,
            excused_of("ship"),
        ),
        figure(
            "deliver_on_time",
            "On-time delivery",
            sums.deliver_on_time,
            sums.deliver_measured,
            excused_of("deliver"),
        ),
        figure(
            "otif",
            "OTIF (lines in full, on time)",
            sums.lines_otif,
            sums.lines,
            (0, 0),
        ),
        figure(
            "first_attempt",
            "Delivered at the first attempt",
            sums.first_attempt,
            sums.delivered,
            (0, 0),
        ),
        figure(
            "without_exception",
            "Orders without an exception",
            sums.orders - sums.with_exception,
            sums.orders,
            (0, 0),
        ),
        {
            let (early, promised) =
                crate::store::reports::early(pool, account_id, first, next, &dims).await?;
            figure(
                "early",
                "Delivered early (before the promised day; not counted as on time in OTIF)",
                early,
                promised,
                (0, 0),
            )
        },
    ];
    let measured = crate::store::reports::attainment(pool, account_id, first, next, &dims).await?;
    let attainment = [
        Segment::Release,
        Segment::Ship,
        Segment::Deliver,
        Segment::Promise,
    ]
    .iter()
    .map(|s| {
        let (of, met) = measured
            .iter()
            .find(|(seg, ..)| seg == s.as_str())
            .map(|(_, of, met)| (*of, *met))
            .unwrap_or((0, 0));
        figure(s.as_str(), s.label(), met, of, excused_of(s.as_str()))
    })
    .collect();
    let (rows, total) =
        crate::store::reports::breaches(pool, account_id, first, next, &dims, now, BREACHES_LISTED)
            .await?;
    let order_ids: Vec<i64> = rows.iter().map(|r| r.5).collect();
    let spans = spans_of(pool, &order_ids).await?;
    let breaches: Vec<BreachRow> = rows
        .into_iter()
        .map(|(order_ref, segment, due, ended, failed, order_id)| {
            let over = match (due, ended) {
                (Some(due), Some(end)) => (end - due).num_minutes().max(0),
                (Some(due), None) => (now - due).num_minutes().max(0),
                _ => 0,
            };
            let blame = match (Segment::parse(&segment), spans.get(&order_id)) {
                (Some(seg), Some(spans)) => blame::blame(seg, spans, now),
                _ => blame::Blame::default(),
            };
            BreachRow {
                order_ref,
                segment_label: Segment::parse(&segment)
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|| segment.clone()),
                segment,
                due_at: due.map(|t| t.to_rfc3339()),
                ended_at: ended.map(|t| t.to_rfc3339()),
                minutes_over: over,
                failed,
                blame,
            }
        })
        .collect();
    let blame_totals = blame_totals(&breaches);
    let mut csv_rows = vec![vec![
        "order".to_string(),
        "segment".into(),
        "due".into(),
        "ended".into(),
        "minutes over".into(),
        "returned to sender".into(),
        "blamed".into(),
        "erp minutes".into(),
        "warehouse minutes".into(),
        "carrier minutes".into(),
        "paused minutes".into(),
    ]];
    csv_rows.extend(breaches.iter().map(|b| {
        vec![
            b.order_ref.clone(),
            b.segment.clone(),
            b.due_at.clone().unwrap_or_default(),
            b.ended_at.clone().unwrap_or_default(),
            b.minutes_over.to_string(),
            if b.failed { "yes" } else { "no" }.to_string(),
            b.blame.party.clone(),
            b.blame.erp_minutes.to_string(),
            b.blame.warehouse_minutes.to_string(),
            b.blame.carrier_minutes.to_string(),
            b.blame.paused_minutes.to_string(),
        ]
    }));
    let breaches_csv = crate::services::csv_export::to_csv(&csv_rows).map_err(|e| {
        tracing::error!(error = %e, "the breach list could not be written as CSV");
        AppError::Internal
    })?;
    let excusals = crate::store::disputes::excusals(pool, account_id, first, next, dims_text)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(crate::domain::disputes::ExcusalRow {
                dispute_id: d.dispute_id,
                order_ref: d.order_ref,
                segment: d.segment,
                reason: d.excuse_reason?,
                note: d.decision_note.unwrap_or_default(),
                decided_by: d.decided_by.unwrap_or_default(),
                decided_at: d.decided_at?.to_rfc3339(),
            })
        })
        .collect();
    let scorecards = crate::services::scorecards::scorecards(
        pool,
        Some(&[account_id]),
        first,
        next,
        dims_text,
        true,
    )
    .await?;
    let cycle = crate::store::reports::cycle_percentiles(pool, account_id, first, next, &dims)
        .await?
        .into_iter()
        .zip([
            ("erp", "ERP: confirmation to release request"),
            ("warehouse", "Warehouse: release to dispatch"),
            ("carrier", "Carrier: dispatch to delivery"),
        ])
        .map(|((p, measured), (party, label))| {
            let hours = |i: usize| {
                p.as_ref()
                    .and_then(|v| v.get(i).copied())
                    .map(|s| (s / 360.0).round() / 10.0)
            };
            CycleStretch {
                party: party.into(),
                label: label.into(),
                p50_hours: hours(0),
                p90_hours: hours(1),
                measured,
            }
        })
        .collect();
    // Twelve months ending with the period's last.
    let trend = monthly_trend(pool, &f, next - Duration::days(1)).await?;
    let trend_svg = crate::charts::monthly_trend_svg(&trend).map_err(|e| {
        tracing::error!(error = %e, "the monthly trend could not be drawn");
        AppError::Internal
    })?;
    Ok(ReportView {
        cycle,
        trend,
        trend_svg,
        blame: blame_totals,
        excusals,
        scorecards,
        published,
        version: None,
        account: code,
        account_name,
        month: first.format("%Y-%m").to_string(),
        period: format!(
            "{first} to {} (UTC, by the day the order was placed)",
            next - Duration::days(1)
        ),
        orders: sums.orders,
        attainment,
        kpis,
        more_breaches: (total - breaches.len() as i64).max(0),
        breaches,
        breaches_csv,
        accounts,
    })
}

/// On-time ship, on-time delivery and OTIF per month for the 12 months ending with the one
/// starting `last`, from the same daily rollups as the report's figures.
async fn monthly_trend(
    pool: &PgPool,
    f: &crate::store::kpis::Filters<'_>,
    last: chrono::NaiveDate,
) -> Result<Vec<crate::domain::dashboard::TrendPoint>, AppError> {
    use crate::services::dashboard::tiles::pct;
    use chrono::{Datelike, Months};
    let last = last.with_day(1).ok_or(AppError::Internal)?;
    let start = last
        .checked_sub_months(Months::new(11))
        .ok_or(AppError::Internal)?;
    let end = last
        .checked_add_months(Months::new(1))
        .ok_or(AppError::Internal)?;
    let daily = crate::store::kpis::daily(pool, f, start, end).await?;
    Ok((0..12)
        .filter_map(|i| start.checked_add_months(Months::new(i)))
        .map(|month| {
            let mut sum = [0i64; 6];
            for r in daily
                .iter()
                .filter(|r| r.0.year() == month.year() && r.0.month() == month.month())
            {
                for (s, v) in sum.iter_mut().zip([r.1, r.2, r.3, r.4, r.5, r.6]) {
                    *s += v;
                }
            }
            let one_decimal = |met: i64, of: i64| pct(met, of).map(|p| (p * 10.0).round() / 10.0);
            crate::domain::dashboard::TrendPoint {
                day: month,
                on_time_ship: one_decimal(sum[1], sum[0]),
                on_time_delivery: one_decimal(sum[3], sum[2]),
                otif: one_decimal(sum[5], sum[4]),
            }
        })
        .collect())
}

/// The segment clocks of each order, for blame attribution.
pub(crate) async fn spans_of(
    pool: &PgPool,
    order_ids: &[i64],
) -> Result<std::collections::HashMap<i64, blame::Spans>, AppError> {
    let (clocks, requested) = crate::store::reports::spans(pool, order_ids).await?;
    let mut out: std::collections::HashMap<i64, blame::Spans> = std::collections::HashMap::new();
    for (order_id, segment, started_at, ended_at, paused_seconds) in clocks {
        let span = Some(blame::Span {
            started_at,
            ended_at,
            paused_seconds,
        });
        let spans = out.entry(order_id).or_default();
        match segment.as_str() {
            "release" => spans.release = span,
            "ship" => spans.ship = span,
            "deliver" => spans.deliver = span,
            _ => {}
        }
    }
    for (order_id, at) in requested {
        out.entry(order_id).or_default().release_requested_at = at;
    }
    Ok(out)
}

/// Per party, the breaches blamed on it and the minutes it used in all the breaches listed.
fn blame_totals(breaches: &[BreachRow]) -> Vec<BlameTotal> {
    ["erp", "warehouse", "carrier"]
        .iter()
        .map(|party| BlameTotal {
            party: party.to_string(),
            label: blame::party_label(party).to_string(),
            breaches: breaches.iter().filter(|b| b.blame.party == *party).count() as i64,
            minutes: breaches
                .iter()
                .map(|b| match *party {
                    "erp" => b.blame.erp_minutes,
                    "warehouse" => b.blame.warehouse_minutes,
                    _ => b.blame.carrier_minutes,
                })
                .sum(),
        })
        .collect()
}

fn unreadable(e: serde_json::Error) -> AppError {
    tracing::error!(error = %e, "a published report cannot be read");
    AppError::Internal
}

fn published_version(r: &crate::store::reports::SnapshotRow) -> Result<PublishedVersion, AppError> {
    Ok(PublishedVersion {
        version: r.version,
        published_at: r.published_at.to_rfc3339(),
        changes: serde_json::from_value(r.changes.clone()).map_err(unreadable)?,
        late_events: serde_json::from_value(r.late_events.clone()).map_err(unreadable)?,
    })
}

/// A published version of the month, as frozen (it covers the whole account: no dimension
/// filters); not found when there is no such version.
async fn published_report(
    pool: &PgPool,
    account_id: Uuid,
    month: chrono::NaiveDate,
    filter: &ReportFilter,
    accounts: Vec<(String, String)>,
    published: Vec<PublishedVersion>,
) -> Result<ReportView, AppError> {
    let version: i32 = filter
        .version
        .trim()
        .parse()
        .map_err(|_| FieldErrors::single("version", "a version number"))?;
    if [
        &filter.warehouse,
        &filter.carrier,
        &filter.service_level,
        &filter.from,
    ]
    .iter()
    .any(|f| !f.trim().is_empty())
    {
        return Err(FieldErrors::single(
            "version",
            "a published report covers the whole account and month: clear the other filters",
        )
        .into());
    }
    let snapshots = crate::store::reports::snapshots(pool, account_id, month).await?;
    let Some(found) = snapshots.iter().find(|s| s.version == version) else {
        return Err(AppError::NotFound);
    };
    let frozen: ReportView = serde_json::from_value(found.report.clone()).map_err(unreadable)?;
    Ok(ReportView {
        accounts,
        published,
        version: Some(version),
        ..frozen
    })
}

/// What a customer sees of their own account's month: on-time delivery and OTIF (the report's
/// figures, one computation) and the orders that are late, in plain words (no policy names,
/// no internal codes).
pub async fn portal_summary(
    pool: &PgPool,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<PortalSummary, AppError> {
    let this_month = now.format("%Y-%m").to_string();
    let report = month(
        pool,
        scope,
        &ReportFilter {
            month: this_month.clone(),
            ..ReportFilter::default()
        },
        now,
    )
    .await?;
    let figure = |key: &str| {
        report
            .kpis
            .iter()
            .find(|f| f.key == key)
            .cloned()
            .expect("the report has every figure")
    };
    let account_id = match scope {
        Scope::Accounts(ids) => ids.first().copied(),
        Scope::All => None,
    };
    let reports = match account_id {
        Some(id) => crate::store::reports::published_months(pool, id, 24)
            .await?
            .into_iter()
            .map(|(m, v, at)| (m.format("%Y-%m").to_string(), v, at.to_rfc3339()))
            .collect(),
        None => Vec::new(),
    };
    let disputes = match account_id {
        Some(id) => {
            crate::store::disputes::of_account(pool, id, now - chrono::Duration::days(90), 100)
                .await?
                .iter()
                .map(|d| crate::services::disputes::view(d, now))
                .collect()
        }
        None => Vec::new(),
    };
    let mut late: Vec<(String, String, String)> = Vec::new();
    for b in &report.breaches {
        let what = match (b.segment.as_str(), &b.ended_at, b.failed) {
            (_, Some(_), true) => "returned to sender instead of delivered".to_string(),
            ("release" | "ship", None, _) => "not shipped yet, later than promised".to_string(),
            ("release" | "ship", Some(_), _) => "shipped later than promised".to_string(),
            (_, None, _) => "not delivered yet, later than promised".to_string(),
            (_, Some(_), _) => "delivered later than promised".to_string(),
        };
        // One line per order: the first breach says it.
        if !late.iter().any(|(o, ..)| *o == b.order_ref) {
            late.push((b.order_ref.clone(), what, b.segment.clone()));
        }
    }
    Ok(PortalSummary {
        month: this_month,
        orders: report.orders,
        on_time_delivery: Figure {
            label: "Delivered on time".into(),
            ..figure("deliver_on_time")
        },
        otif: Figure {
            label: "Delivered in full and on time (items)".into(),
            ..figure("otif")
        },
        late,
        disputes,
        reports,
    })
}

/// A published monthly report of the customer's own account: `version`, or the latest when
/// empty; not found when the month was not published.
pub async fn portal_report(
    pool: &PgPool,
    scope: &Scope,
    month: &str,
    version: &str,
    now: DateTime<Utc>,
) -> Result<ReportView, AppError> {
    let mut filter = ReportFilter {
        month: month.trim().to_string(),
        version: version.trim().to_string(),
        ..ReportFilter::default()
    };
    if filter.version.is_empty() {
        // Resolve the account and month as `month` does, then take the latest version.
        let live = self::month(pool, scope, &filter, now).await?;
        let latest = live.published.last().ok_or(AppError::NotFound)?;
        filter.version = latest.version.to_string();
    }
    self::month(pool, scope, &filter, now).await
}
