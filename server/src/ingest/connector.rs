//! A connector as the ingest path uses it: its format, what it may emit, how it authenticates.

use super::adapters::{Format, Origin};
use crate::store::connectors::ConnectorRecord;
use app::domain::event::{EventType, SourceKind};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;

#[derive(Debug)]
pub struct Connector {
    pub id: i64,
    pub name: String,
    pub kind: SourceKind,
    pub format: Format,
    pub origin: Origin,
    pub allowed: HashSet<EventType>,
    pub enabled: bool,
    /// For signed webhooks (HMAC or Standard Webhooks `whsec_...`).
    pub signing_secret: Option<SecretString>,
    /// For senders that cannot sign (Odoo, Shippo): a secret token in the URL.
    pub url_token: Option<SecretString>,
    /// The secret or token before the last rotation, still accepted until its time
    /// (`milepost connector rotate-secret`).
    pub previous_signing_secret: Option<(SecretString, DateTime<Utc>)>,
    pub previous_url_token: Option<(SecretString, DateTime<Utc>)>,
}

impl Connector {
    /// The signing secrets a signature may be made with now: the current one, then the
    /// previous one while its overlap lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&SecretString> {
        candidates(
            self.signing_secret.as_ref(),
            self.previous_signing_secret.as_ref(),
            now,
        )
    }

    /// The URL tokens accepted now, likewise.
    pub fn url_tokens(&self, now: DateTime<Utc>) -> Vec<&SecretString> {
        candidates(
            self.url_token.as_ref(),
            self.previous_url_token.as_ref(),
            now,
        )
    }
}

fn candidates<'a>(
    current: Option<&'a SecretString>,
    previous: Option<&'a (SecretString, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Vec<&'a SecretString> {
    current
        .into_iter()
        .chain(previous.filter(|(_, until)| now < *until).map(|(s, _)| s))
        .collect()
}

/// Why a stored connector cannot be used (a configuration error, logged).
#[derive(Debug, thiserror::Error)]
#[error("connector {name}: {problem}")]
pub struct BadConnector {
    pub name: String,
    pub problem: String,
}

impl TryFrom<ConnectorRecord> for Connector {
    type Error = BadConnector;

    fn try_from(r: ConnectorRecord) -> Result<Self, Self::Error> {
        let bad = |problem: String| BadConnector {
            name: r.name.clone(),
            problem,
        };
        let kind: SourceKind = r
            .kind
            .parse()
            .map_err(|_| bad(format!("unknown kind {}", r.kind)))?;
        let format =
            Format::parse(&r.format).ok_or_else(|| bad(format!("unknown format {}", r.format)))?;
        let time_zone = match &r.time_zone {
            Some(zone) => Some(
                zone.parse()
                    .map_err(|_| bad(format!("unknown time zone {zone}")))?,
            ),
            None => None,
        };
        let allowed = r
            .allowed_types
            .iter()
            .map(|t| t.parse::<EventType>().map_err(|e| bad(e.to_string())))
            .collect::<Result<HashSet<_>, _>>()?;
        let secret = |key: &str| -> Result<Option<SecretString>, BadConnector> {
            r.secrets
                .get(key)
                .and_then(|v| v.as_str())
                .map(|s| {
                    crate::secrets::keyring()
                        .open(s)
                        .map(SecretString::from)
                        .map_err(|e| bad(format!("secret {key}: {e}")))
                })
                .transpose()
        };
        let previous = |key: &str| -> Result<Option<(SecretString, DateTime<Utc>)>, BadConnector> {
            let (Some(old), Some(until)) = (
                secret(&format!("previous_{key}"))?,
                secret(&format!("previous_{key}_until"))?,
            ) else {
                return Ok(None);
            };
            let until = DateTime::parse_from_rfc3339(until.expose_secret())
                .map_err(|_| bad(format!("previous_{key}_until is not a time")))?
                .with_timezone(&Utc);
            Ok(Some((old, until)))
        };
        Ok(Connector {
            id: r.connector_id,
            kind,
            format,
            origin: Origin {
                connector: r.name.clone(),
                time_zone,
                warehouse_code: r.warehouse_code.clone(),
            },
            allowed,
            enabled: r.enabled,
            signing_secret: secret("signing_secret")?,
            url_token: secret("url_token")?,
            previous_signing_secret: previous("signing_secret")?,
            previous_url_token: previous("url_token")?,
            name: r.name,
        })
    }
}

/// The event types a connector of this kind may emit by default: all that its kind owns.
pub fn owned_types(kind: SourceKind) -> Vec<EventType> {
    EventType::ALL
        .iter()
        .copied()
        .filter(|t| t.owner() == kind)
        .collect()
}
