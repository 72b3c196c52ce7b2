//! Signature checks over the raw body, one scheme per provider, each with its time tolerance
//! where the scheme carries a timestamp. Comparisons are constant-time.

use super::adapters::Format;
use super::connector::Connector;
use super::error::IngestError;
use crate::signing::{mac, same, to_hex};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use secrecy::ExposeSecret;

/// Standard Webhooks' tolerance between the signed timestamp and now.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// How a format's webhooks prove where they came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `X-Hmac-Signature: hmac-sha256-hex=<hex>` (EasyPost).
    EasyPost,
    /// `aftership-hmac-sha256: <base64>` (AfterShip).
    AfterShip,
    /// `x-shiphero-webhook-signature: <base64>` (ShipHero).
    ShipHero,
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>` (Standard Webhooks).
    StandardWebhooks,
    /// `?token=<secret>` in the URL, for senders that sign nothing (Odoo, Shippo).
    UrlToken,
}

pub fn scheme(format: Format) -> Scheme {
    match format {
        Format::EasyPost => Scheme::EasyPost,
        Format::AfterShip => Scheme::AfterShip,
        Format::ShipHero => Scheme::ShipHero,
        Format::Canonical | Format::MilepostWms | Format::ShipBob => Scheme::StandardWebhooks,
        Format::Odoo | Format::Shippo | Format::X12 => Scheme::UrlToken,
    }
}

fn unauthorized(message: impl Into<String>) -> IngestError {
    IngestError::Unauthorized(message.into())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What can be checked before the body is read: a URL token in full; for signed schemes, that
/// a secret is configured and the signature headers are present (and, for Standard Webhooks,
/// that the timestamp is fresh). A request failing here is refused without reading its body.
pub fn precheck(
    connector: &Connector,
    headers: &HeaderMap,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), IngestError> {
    let scheme = scheme(connector.format);
    if scheme == Scheme::UrlToken {
        return verify(connector, headers, token, b"", now).map(|_| ());
    }
    if connector.signing_secrets(now).is_empty() {
        return Err(unauthorized(
            "this connector has no signing secret configured",
        ));
    }
    let required: &[&str] = match scheme {
        Scheme::EasyPost => &["x-hmac-signature"],
        Scheme::AfterShip => &["aftership-hmac-sha256"],
        Scheme::ShipHero => &["x-shiphero-webhook-signature"],
        Scheme::StandardWebhooks => &["webhook-id", "webhook-timestamp", "webhook-signature"],
        Scheme::UrlToken => &[],
    };
    for name in required {
        header(headers, name).ok_or_else(|| unauthorized(format!("missing {name}")))?;
    }
    if scheme == Scheme::StandardWebhooks {
        fresh(
            header(headers, "webhook-timestamp").unwrap_or_default(),
            now,
        )?;
    }
    Ok(())
}

/// A Standard Webhooks timestamp within the tolerance of now. Any i64 is handled: the
/// difference is computed without overflow.
fn fresh(timestamp: &str, now: DateTime<Utc>) -> Result<(), IngestError> {
    let sent: i64 = timestamp
        .parse()
        .map_err(|_| unauthorized("webhook-timestamp must be Unix seconds"))?;
    let within = now
        .timestamp()
        .checked_sub(sent)
        .is_some_and(|d| d.unsigned_abs() <= TOLERANCE_SECONDS.unsigned_abs());
    if within {
        Ok(())
    } else {
        Err(unauthorized(format!(
            "webhook-timestamp is more than {TOLERANCE_SECONDS} seconds from now: a stale or replayed message"
        )))
    }
}

/// Checks a webhook; returns the provider's message id when the scheme carries one. During a
/// rotation's overlap, the previous secret or token is accepted too.
pub fn verify(
    connector: &Connector,
    headers: &HeaderMap,
    token: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<String>, IngestError> {
    let scheme = scheme(connector.format);
    if scheme == Scheme::UrlToken {
        let tokens = connector.url_tokens(now);
        if tokens.is_empty() {
            return Err(unauthorized("this connector has no URL token configured"));
        }
        let given = token.ok_or_else(|| unauthorized("the URL must carry ?token=<secret>"))?;
        return if tokens
            .iter()
            .any(|t| same(given.as_bytes(), t.expose_secret().as_bytes()))
        {
            Ok(None)
        } else {
            Err(unauthorized("the URL token is wrong"))
        };
    }
    let secrets = connector.signing_secrets(now);
    let mut refused = unauthorized("this connector has no signing secret configured");
    for secret in secrets {
        match verify_with(scheme, secret.expose_secret(), headers, body, now) {
            Ok(id) => return Ok(id),
            Err(e) => refused = e,
        }
    }
    Err(refused)
}

/// One signature scheme with one secret.
fn verify_with(
    scheme: Scheme,
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Option<String>, IngestError> {
    match scheme {
        Scheme::EasyPost => {
            let given = header(headers, "x-hmac-signature")
                .ok_or_else(|| unauthorized("missing X-Hmac-Signature"))?;
            let hex = given.strip_prefix("hmac-sha256-hex=").unwrap_or(given);
            let expected = to_hex(&mac(secret.as_bytes(), &[body]));
            check(
                same(hex.to_ascii_lowercase().as_bytes(), expected.as_bytes()),
                "X-Hmac-Signature",
            )?;
            Ok(None)
        }
        Scheme::AfterShip | Scheme::ShipHero => {
            let name = if scheme == Scheme::AfterShip {
                "aftership-hmac-sha256"
            } else {
                "x-shiphero-webhook-signature"
            };
            let given =
                header(headers, name).ok_or_else(|| unauthorized(format!("missing {name}")))?;
            let expected = BASE64.encode(mac(secret.as_bytes(), &[body]));
            check(same(given.trim().as_bytes(), expected.as_bytes()), name)?;
            Ok(None)
        }
        Scheme::StandardWebhooks => standard_webhooks(secret, headers, body, now).map(Some),
        Scheme::UrlToken => unreachable!("URL tokens are checked by `verify`"),
    }
}

fn check(ok: bool, what: &str) -> Result<(), IngestError> {
    if ok {
        Ok(())
    } else {
        Err(unauthorized(format!(
            "the {what} signature does not match the body"
        )))
    }
}

/// Standard Webhooks: HMAC-SHA256 of `id.timestamp.body` with the base64 key after `whsec_`.
fn standard_webhooks(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<String, IngestError> {
    let id = header(headers, "webhook-id").ok_or_else(|| unauthorized("missing webhook-id"))?;
    let timestamp = header(headers, "webhook-timestamp")
        .ok_or_else(|| unauthorized("missing webhook-timestamp"))?;
    let signatures = header(headers, "webhook-signature")
        .ok_or_else(|| unauthorized("missing webhook-signature"))?;
    fresh(timestamp, now)?;
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| {
            tracing::error!("a Standard Webhooks secret is not base64");
            IngestError::Internal
        })?;
    let expected = BASE64.encode(mac(
        &key,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    ));
    let matches = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|s| same(s.as_bytes(), expected.as_bytes()));
    check(matches, "webhook-signature")?;
    Ok(id.to_string())
}
