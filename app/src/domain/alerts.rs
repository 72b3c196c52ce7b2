//! Alerts: the conditions Milepost watches in itself and its partners (`AlertKind`), what a rule
//! says about one, and what the alert pages and the banner show. The server evaluates the rules
//! (`server/src/alerts/`); the words here are the ones every channel uses.

use serde::{Deserialize, Serialize};

/// A condition an alert rule watches. Stored as its word (`as_str`) in `alert_rule.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Dead jobs waiting on a queue (each a message a partner never got).
    DeadLetters,
    /// A queue's circuit open for longer than the threshold, in minutes.
    CircuitOpen,
    /// A source silent for longer than its freshness target, in minutes.
    SourceStale,
    /// The oldest event waiting to be folded, in seconds.
    ProjectorLag,
    /// Messages a source sent that were rejected within the window.
    RejectedMessages,
    /// The share of an account's SLA clocks due within the window that breached, in percent.
    BreachRate,
}

impl AlertKind {
    pub const ALL: [AlertKind; 6] = [
        AlertKind::DeadLetters,
        AlertKind::CircuitOpen,
        AlertKind::SourceStale,
        AlertKind::ProjectorLag,
        AlertKind::RejectedMessages,
        AlertKind::BreachRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::DeadLetters => "dead_letters",
            AlertKind::CircuitOpen => "circuit_open",
            AlertKind::SourceStale => "source_stale",
            AlertKind::ProjectorLag => "projector_lag",
            AlertKind::RejectedMessages => "rejected_messages",
            AlertKind::BreachRate => "breach_rate",
        }
    }

    pub fn parse(word: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// What the rule watches, as a heading.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::DeadLetters => "Dead letters on a queue",
            AlertKind::CircuitOpen => "Circuit open",
            AlertKind::SourceStale => "Source silent",
            AlertKind::ProjectorLag => "Folding behind",
            AlertKind::RejectedMessages => "Rejected messages",
            AlertKind::BreachRate => "SLA breach rate",
        }
    }

    /// The threshold's unit.
    pub fn unit(self) -> &'static str {
        match self {
            AlertKind::DeadLetters => "dead jobs",
            AlertKind::CircuitOpen | AlertKind::SourceStale => "minutes",
            AlertKind::ProjectorLag => "seconds",
            AlertKind::RejectedMessages => "messages",
            AlertKind::BreachRate => "%",
        }
    }

    /// Whether the rule counts over a window (the others measure a state now).
    pub fn uses_window(self) -> bool {
        matches!(self, AlertKind::RejectedMessages | AlertKind::BreachRate)
    }

    /// The sentence a firing alert says about `subject` measured at `value`.
    pub fn message(self, subject: &str, value: f64, window_minutes: i32) -> String {
        let window = window_words(window_minutes);
        match self {
            AlertKind::DeadLetters => format!("{} dead jobs on queue {subject}", value as i64),
            AlertKind::CircuitOpen => {
                format!("circuit of {subject} open for {} minutes", value as i64)
            }
            AlertKind::SourceStale => {
                format!("{subject} has sent nothing for {} minutes", value as i64)
            }
            AlertKind::ProjectorLag => format!(
                "the oldest event waiting to be folded has waited {} seconds",
                value as i64
            ),
            AlertKind::RejectedMessages => {
                format!(
                    "{} messages from {subject} rejected in {window}",
                    value as i64
                )
            }
            AlertKind::BreachRate => {
                format!("{value:.1}% of {subject}'s SLA clocks due in {window} breached")
            }
        }
    }

    /// The rule in words: "fires at 10 messages within 1 h".
    pub fn rule_words(self, threshold: f64, window_minutes: i32) -> String {
        let at = format!("fires at {} {}", number(threshold), self.unit());
        if self.uses_window() {
            format!("{at} within {}", window_words(window_minutes))
        } else {
            at
        }
    }
}

/// Whether a measured value fires a rule with `threshold` (at or above it).
pub fn fires(value: f64, threshold: f64) -> bool {
    value >= threshold
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn window_words(minutes: i32) -> String {
    if minutes % 1440 == 0 {
        format!("{} d", minutes / 1440)
    } else if minutes % 60 == 0 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

/// One line of a digest: an alert that fired, or one that resolved, as every channel tells it
/// (stored as the digest's `notices`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub alert_id: i64,
    pub kind: AlertKind,
    pub subject: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub message: String,
    pub value: f64,
    pub fired_at: String,
    pub resolved_at: Option<String>,
}

impl Notice {
    pub fn resolved(&self) -> bool {
        self.state == "resolved"
    }

    /// The line a person reads: "FIRING Dead letters on a queue: 3 dead jobs on queue wms:acme".
    pub fn line(&self) -> String {
        if self.resolved() {
            format!(
                "RESOLVED {}: {} (fired {}, resolved {})",
                self.kind.label(),
                self.message,
                self.fired_at,
                self.resolved_at.as_deref().unwrap_or("now")
            )
        } else {
            format!(
                "FIRING {}: {} (since {})",
                self.kind.label(),
                self.message,
                self.fired_at
            )
        }
    }
}

/// A rule as the alerts page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub kind: AlertKind,
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

/// One alert: firing (no `resolved_at`) or resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub alert_id: i64,
    pub kind: AlertKind,
    pub subject: String,
    pub message: String,
    pub fired_at: String,
    pub resolved_at: Option<String>,
    pub fired_value: f64,
    pub last_value: f64,
    /// The digest that told of its firing, once sent out.
    pub fired_digest: Option<i64>,
    pub resolved_digest: Option<i64>,
}

/// A digest and how each channel took it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DigestView {
    pub digest_id: i64,
    pub created_at: String,
    pub fired: i64,
    pub resolved: i64,
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub channel: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The alerts page: what fires now, the history, the digests sent and the rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertsOverview {
    pub open: Vec<AlertView>,
    pub history: Vec<AlertView>,
    pub digests: Vec<DigestView>,
    pub rules: Vec<AlertRuleView>,
    /// Whether the reader may change the rules (admins).
    pub can_edit: bool,
}

/// What the banner shows integrators and admins on every page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FiringAlerts {
    pub count: i64,
    /// The newest few, as sentences.
    pub newest: Vec<String>,
}

/// A rule change an admin submits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleChange {
    pub kind: AlertKind,
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_word() {
        for kind in AlertKind::ALL {
            assert_eq!(AlertKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AlertKind::parse("disk_full"), None);
    }

    #[test]
    fn a_rule_fires_at_its_threshold_not_below() {
        assert!(fires(10.0, 10.0));
        assert!(fires(10.5, 10.0));
        assert!(!fires(9.99, 10.0));
    }

    #[test]
    fn messages_and_rules_read_as_sentences() {
        assert_eq!(
            AlertKind::DeadLetters.message("wms:acme", 3.0, 60),
            "3 dead jobs on queue wms:acme"
        );
        assert_eq!(
            AlertKind::BreachRate.message("ACME", 12.345, 1440),
            "12.3% of ACME's SLA clocks due in 1 d breached"
        );
        assert_eq!(
            AlertKind::RejectedMessages.rule_words(10.0, 90),
            "fires at 10 messages within 90 min"
        );
        assert_eq!(
            AlertKind::CircuitOpen.rule_words(15.0, 60),
            "fires at 15 minutes"
        );
    }
}
