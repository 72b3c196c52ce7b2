//! SLA reports' types: the evidence pack of one clock (what it measured, under which rules, and
//! every event that started, paused, resumed or stopped it, each with the hash of the raw
//! message it came in, so a third party can check the evidence against what was received).

use serde::{Deserialize, Serialize};

/// One clock's evidence, as the printable page and the JSON download show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidencePack {
    pub order_ref: String,
    pub account: Option<String>,
    /// `release`, `ship`, `deliver` or `promise`.
    pub segment: String,
    pub segment_label: String,
    pub clock: ClockEvidence,
    pub pauses: Vec<PauseEvidence>,
    pub events: Vec<EventEvidence>,
    /// Corrections decided on disputes of this order, which the clock was computed with.
    #[serde(default)]
    pub corrections: Vec<CorrectionEvidence>,
    /// The disputes of this clock: what was claimed and what was decided.
    #[serde(default)]
    pub disputes: Vec<crate::domain::disputes::DisputeView>,
    /// When the pack was made (RFC 3339, UTC).
    pub generated_at: String,
    /// How to check the hashes.
    pub how_to_verify: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockEvidence {
    /// `met`, `breached`, `running`, `at_risk` or `paused`, as of `generated_at`.
    pub state: String,
    pub started_at: String,
    pub due_at: Option<String>,
    pub ended_at: Option<String>,
    pub target_seconds: i64,
    /// Business time spent paused, in seconds.
    pub paused_seconds: i64,
    /// Ended without reaching its goal (a parcel returned to the sender).
    pub failed: bool,
    pub policy_id: i64,
    pub policy_version: i32,
    pub policy_name: String,
    /// The business calendar the clock counted in, as it stood at the version it used.
    pub calendar: String,
    /// That calendar's version (`None`: no calendar was set, or a promise in wall time).
    #[serde(default)]
    pub calendar_version: Option<i32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseEvidence {
    pub reason: String,
    pub from: String,
    pub until: Option<String>,
}

/// A correction of a milestone's time, decided on a dispute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorrectionEvidence {
    pub dispute_id: i64,
    /// `released_at`, `dispatched_at` or `delivered_at`.
    pub milestone: String,
    pub corrected_to: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub note: Option<String>,
}

/// An event the clock's start, stop or a pause rests on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventEvidence {
    /// `started`, `stopped`, `paused` or `resumed` the clock.
    pub role: String,
    pub event_id: String,
    pub event_type: String,
    /// The connector it came through and its kind (`erp`, `wms`, `carrier`).
    pub source: String,
    /// The sender's id of the event.
    pub external_id: String,
    /// When it happened, in the offset its source wrote it in; `None` when it gave no time.
    pub occurred_at: Option<String>,
    pub recorded_at: String,
    /// The message it came in: its id as the sender gave it (or as Milepost derived it).
    pub message_id: String,
    pub inbox_message_id: i64,
    pub disposition: String,
    /// SHA-256 of the raw message as received, lower-case hex; empty once the body was archived
    /// by retention (then `message_archive` names the file, whose line keeps the bytes).
    pub message_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_archive: Option<String>,
}

/// What `/reports` asks for: an account and a month (`YYYY-MM`), narrowed by dimensions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReportFilter {
    /// An account code; empty picks the first of the caller's accounts.
    pub account: String,
    /// `YYYY-MM`; empty means the month before this one.
    pub month: String,
    /// Any date range instead of a month (`YYYY-MM-DD`, both ends included), when both are given.
    pub from: String,
    pub to: String,
    pub warehouse: String,
    pub carrier: String,
    pub service_level: String,
    /// A published version of the month (`1`, `2`, ...) instead of the live figures; empty for
    /// live.
    pub version: String,
}

/// A published version of an account's month, as listed beside the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishedVersion {
    pub version: i32,
    pub published_at: String,
    /// What changed against the version before (empty for the first).
    pub changes: Vec<FigureChange>,
    /// The events recorded after the version before that are about the month's orders.
    pub late_events: Vec<LateEvent>,
}

/// One figure that changed between two published versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureChange {
    pub key: String,
    pub label: String,
    /// (kept, of, percent) before and after.
    pub before: (i64, i64, Option<f64>),
    pub after: (i64, i64, Option<f64>),
}

/// An event that arrived after a version was published and is about one of its orders.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LateEvent {
    pub event_id: String,
    pub event_type: String,
    pub order_ref: String,
    pub occurred_at: Option<String>,
    pub recorded_at: String,
}

/// One figure of a report: how many counted, how many made it, the share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub met: i64,
    pub of: i64,
    /// Percent, one decimal; `None` when nothing was measured.
    pub percent: Option<f64>,
    /// Breaches excused on disputes among those counted; `percent_after` leaves them out of
    /// both sides (as measured, `percent`, keeps them).
    #[serde(default)]
    pub excused: i64,
    #[serde(default)]
    pub percent_after: Option<f64>,
}

/// A clock that was not kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreachRow {
    pub order_ref: String,
    pub segment: String,
    pub segment_label: String,
    pub due_at: Option<String>,
    /// When it stopped, or `None` while it still runs past due.
    pub ended_at: Option<String>,
    /// How far past due, in minutes of wall time (to its end, or to now).
    pub minutes_over: i64,
    /// Ended without delivery (returned to the sender).
    pub failed: bool,
    /// Who used up the time.
    #[serde(default)]
    pub blame: crate::domain::sla::blame::Blame,
}

/// One party's stretch of an order's life: its median and 90th percentile, in hours.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleStretch {
    pub party: String,
    pub label: String,
    pub p50_hours: Option<f64>,
    pub p90_hours: Option<f64>,
    pub measured: i64,
}

/// The breaches blamed on one party, and the minutes it used in all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlameTotal {
    pub party: String,
    pub label: String,
    pub breaches: i64,
    pub minutes: i64,
}

/// An account's report for one month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub account: String,
    pub account_name: String,
    /// `YYYY-MM`, and the dates it covers.
    pub month: String,
    pub period: String,
    /// Orders placed in the month.
    pub orders: i64,
    /// Attainment per clock segment (release, ship, deliver, promised date).
    pub attainment: Vec<Figure>,
    /// On-time ship, on-time delivery, OTIF, first-attempt delivery, exception rate: the
    /// dashboard's figures, from the same rollups.
    pub kpis: Vec<Figure>,
    pub breaches: Vec<BreachRow>,
    /// Cycle time split (ERP, warehouse, carrier) with p50 and p90.
    #[serde(default)]
    pub cycle: Vec<CycleStretch>,
    /// The last 12 months to this one: on-time ship, on-time delivery, OTIF per month (the
    /// chart's text alternative), and the chart.
    #[serde(default)]
    pub trend: Vec<crate::domain::dashboard::TrendPoint>,
    #[serde(default)]
    pub trend_svg: String,
    /// Blame attribution over the breaches listed: per party, how many and the minutes used.
    #[serde(default)]
    pub blame: Vec<BlameTotal>,
    /// Breaches excused on disputes: left out of the "after excusals" shares.
    #[serde(default)]
    pub excusals: Vec<crate::domain::disputes::ExcusalRow>,
    /// Breaches beyond the ones listed.
    pub more_breaches: i64,
    /// The breach list as CSV (formula-like cells neutralised), for download.
    pub breaches_csv: String,
    /// Accounts the caller may report on: (code, name).
    pub accounts: Vec<(String, String)>,
    /// How well the carriers' ETAs predicted the deliveries of the period.
    #[serde(default)]
    pub scorecards: crate::domain::scorecards::Scorecards,
    /// The published versions of this account's month, oldest first (months only).
    #[serde(default)]
    pub published: Vec<PublishedVersion>,
    /// Which published version this is; `None` for the live figures.
    #[serde(default)]
    pub version: Option<i32>,
}

/// The customer portal's summary of their account: how this month is going, in their words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalSummary {
    /// `YYYY-MM`.
    pub month: String,
    pub orders: i64,
    /// Delivered on time, and in full and on time (by lines): the report's figures.
    pub on_time_delivery: Figure,
    pub otif: Figure,
    /// Orders of the month late now or delivered late: (order, what is late, in words, the
    /// segment a dispute would be about).
    pub late: Vec<(String, String, String)>,
    /// The account's open disputes and those decided in the last 90 days.
    #[serde(default)]
    pub disputes: Vec<crate::domain::disputes::DisputeView>,
    /// The published monthly reports, newest first: (month `YYYY-MM`, latest version, first
    /// published at).
    #[serde(default)]
    pub reports: Vec<(String, i32, String)>,
}
