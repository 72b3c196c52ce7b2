//! Where alert digests go: a signed webhook (Milepost's JSON, or a Slack-compatible body for an
//! incoming-webhook URL) and email through an SMTP relay. Both are configured by the operator
//! (`MILEPOST_ALERT_*`, `MILEPOST_SMTP_URL`; see `settings::AlertSettings`), so the webhook may
//! point at a private address (an internal chat server), unlike customer webhooks.

pub mod email;
pub mod webhook;

use app::domain::alerts::Notice;

/// A digest as the channels tell it.
pub struct Digest {
    pub digest_id: i64,
    pub notices: Vec<Notice>,
}

impl Digest {
    pub fn firing(&self) -> usize {
        self.notices.iter().filter(|n| !n.resolved()).count()
    }

    pub fn resolved(&self) -> usize {
        self.notices.len() - self.firing()
    }

    /// One line for a subject or a chat message: "Milepost: 2 alerts firing, 1 resolved".
    pub fn title(&self) -> String {
        let mut parts = Vec::new();
        match self.firing() {
            0 => {}
            1 => parts.push("1 alert firing".to_string()),
            n => parts.push(format!("{n} alerts firing")),
        }
        if self.resolved() > 0 {
            parts.push(format!("{} resolved", self.resolved()));
        }
        format!("Milepost: {}", parts.join(", "))
    }

    /// The title, then one line per notice, firing first.
    pub fn text(&self, alerts_url: &str) -> String {
        let mut lines = vec![self.title(), String::new()];
        let (firing, resolved): (Vec<&Notice>, Vec<&Notice>) =
            self.notices.iter().partition(|n| !n.resolved());
        lines.extend(
            firing
                .iter()
                .chain(resolved.iter())
                .map(|n| format!("- {}", n.line())),
        );
        lines.push(String::new());
        lines.push(format!("Alerts and their history: {alerts_url}"));
        lines.join("\n")
    }
}

/// The channels that are configured.
#[derive(Clone, Default)]
pub struct Channels {
    pub webhook: Option<webhook::WebhookChannel>,
    pub email: Option<email::EmailChannel>,
    /// The alerts page, linked from every digest.
    pub alerts_url: String,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels")
            .field("configured", &self.names())
            .field("alerts_url", &self.alerts_url)
            .finish()
    }
}

impl Channels {
    /// The names of the configured channels, as `alert_delivery.channel` stores them.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.webhook.is_some() {
            names.push("webhook");
        }
        if self.email.is_some() {
            names.push("email");
        }
        names
    }

    /// Sends `digest` on `channel`; the error says what failed, for the alerts page.
    pub async fn send(&self, channel: &str, digest: &Digest) -> Result<(), String> {
        match channel {
            "webhook" => match &self.webhook {
                Some(w) => w.send(digest, &self.alerts_url).await,
                None => Err("the webhook channel is no longer configured".into()),
            },
            "email" => match &self.email {
                Some(e) => e.send(digest, &self.alerts_url).await,
                None => Err("the email channel is no longer configured".into()),
            },
            other => Err(format!("unknown channel {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::alerts::AlertKind;

    pub fn notice(alert_id: i64, state: &str) -> Notice {
        Notice {
            alert_id,
            kind: AlertKind::DeadLetters,
            subject: "wms:acme".into(),
            state: state.into(),
            message: "3 dead jobs on queue wms:acme".into(),
            value: 3.0,
            fired_at: "2026-12-07 10:00:00 UTC".into(),
            resolved_at: (state == "resolved").then(|| "2026-12-07 10:20:00 UTC".into()),
        }
    }

    #[test]
    fn a_digest_says_what_fires_first_then_what_resolved() {
        let digest = Digest {
            digest_id: 7,
            notices: vec![
                notice(1, "resolved"),
                notice(2, "firing"),
                notice(3, "firing"),
            ],
        };
        assert_eq!(digest.title(), "Milepost: 2 alerts firing, 1 resolved");
        let text = digest.text("https://milepost.example.com/integrations/alerts");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[2].starts_with("- FIRING Dead letters on a queue: 3 dead jobs"));
        assert!(lines[4].starts_with("- RESOLVED Dead letters on a queue"));
        assert!(lines[4].contains("resolved 2026-12-07 10:20:00 UTC"));
        assert!(text.ends_with("https://milepost.example.com/integrations/alerts"));
    }
}
