//! The dashboard as the page shows it: KPI tiles, charts (SVG drawn on the server), the
//! at-risk orders and the freshness of each source.

use serde::{Deserialize, Serialize};

/// Periods the dashboard offers, in days.
pub const PERIODS: &[i64] = &[7, 30, 90];

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardFilter {
    /// An account code, or empty for every account the user may see.
    pub account: String,
    pub warehouse: String,
    pub carrier: String,
    pub service_level: String,
    /// Days back from today; 0 means the default (30).
    pub days: i64,
}

impl DashboardFilter {
    pub fn period_days(&self) -> i64 {
        if PERIODS.contains(&self.days) {
            self.days
        } else {
            30
        }
    }
}

/// One key figure, this period and the one before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tile {
    pub key: String,
    pub label: String,
    /// Formatted, e.g. "93.4 %" or "2 h 10 min"; "—" when nothing was measured.
    pub value: String,
    /// "+2.1 pts", "−15 min", or empty when there is nothing to compare with.
    pub change: String,
    /// Whether the change is for the better (colours the arrow).
    pub better: Option<bool>,
    /// How many orders (or lines) the figure is taken over.
    pub basis: String,
}

/// A day on the trend chart; `None` where nothing was measured that day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    pub day: chrono::NaiveDate,
    pub on_time_ship: Option<f64>,
    pub on_time_delivery: Option<f64>,
    pub otif: Option<f64>,
}

/// A bar of a distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub label: String,
    pub count: i64,
}

/// Average cycle time of a warehouse or carrier, split into stages (hours).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleSplit {
    pub label: String,
    pub processing_hours: f64,
    pub pickup_hours: f64,
    pub transit_hours: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AtRiskRow {
    pub order_id: i64,
    pub order_ref: String,
    pub account: Option<String>,
    pub segment: String,
    /// `at risk` or `breached`.
    pub state: String,
    pub due_at: String,
    pub due_in: String,
    pub predicted_late: bool,
    pub warehouse: Option<String>,
    pub carrier: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreshnessRow {
    pub source: String,
    pub kind: String,
    pub last_message_at: Option<String>,
    /// "4 min ago", or "never".
    pub age: String,
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub accounts: Vec<(String, String)>,
    pub warehouses: Vec<String>,
    pub carriers: Vec<String>,
    pub service_levels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub period: String,
    pub tiles: Vec<Tile>,
    pub trend_svg: String,
    pub release_delay_svg: String,
    pub cycle_svg: String,
    pub at_risk: Vec<AtRiskRow>,
    pub freshness: Vec<FreshnessRow>,
    pub choices: Choices,
    /// When late data last changed a figure of this period, if it did after the day ended.
    pub recomputed_note: Option<String>,
}
