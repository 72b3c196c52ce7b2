//! Creating connectors and keys: shared by the command line, the demo and the tests.

use super::adapters::Format;
use super::api_keys::{self, IssuedKey};
use super::connector::owned_types;
use super::signature::{scheme, Scheme};
use crate::store::{self, connectors::NewConnector};
use anyhow::{bail, Context};
use app::domain::event::{EventType, SourceKind};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{Duration, Utc};
use rand::RngCore;
use serde_json::json;
use sqlx::PgPool;

/// What a new connector's sender must be told, once.
#[derive(Debug, Clone)]
pub struct CreatedConnector {
    pub connector_id: i64,
    pub signing_secret: Option<String>,
    pub url_token: Option<String>,
}

pub struct ConnectorSpec<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub format: &'a str,
    /// Empty: every type the kind owns.
    pub types: Vec<String>,
    pub time_zone: Option<&'a str>,
    pub warehouse_code: Option<&'a str>,
}

fn random(bytes: usize) -> Vec<u8> {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf
}

/// A new Standard Webhooks signing secret (`whsec_` + 32 random bytes in base64).
pub fn signing_secret() -> String {
    format!("whsec_{}", STANDARD.encode(random(32)))
}

pub async fn create_connector(
    pool: &PgPool,
    spec: &ConnectorSpec<'_>,
) -> anyhow::Result<CreatedConnector> {
    let kind: SourceKind = spec
        .kind
        .parse()
        .ok()
        .with_context(|| format!("unknown kind {}: use erp, wms or carrier", spec.kind))?;
    let format = Format::parse(spec.format).with_context(|| {
        let all: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        format!(
            "unknown format {}: use one of {}",
            spec.format,
            all.join(", ")
        )
    })?;
    if let Some(zone) = spec.time_zone {
        zone.parse::<chrono_tz::Tz>().map_err(|_| {
            anyhow::anyhow!("unknown time zone {zone} (use an IANA name, e.g. America/Los_Angeles)")
        })?;
    }
    let types: Vec<EventType> = if spec.types.is_empty() {
        owned_types(kind)
    } else {
        let mut types = Vec::new();
        for name in &spec.types {
            let t: EventType = name.parse()?;
            if t.owner() != kind {
                bail!(
                    "{t} is owned by the {} system; a {} connector may not emit it",
                    t.owner().as_str(),
                    spec.kind
                );
            }
            types.push(t);
        }
        types
    };
    let (signing_secret, url_token) = new_secret(format);
    let mut tx = pool.begin().await?;
    let connector_id = store::connectors::insert(
        &mut *tx,
        &NewConnector {
            name: spec.name,
            kind: kind.as_str(),
            format: format.as_str(),
            secrets: crate::secrets::keyring()
                .seal_values(&json!({"signing_secret": signing_secret, "url_token": url_token})),
            allowed_types: types.iter().map(|t| t.as_str().to_string()).collect(),
            time_zone: spec.time_zone,
            warehouse_code: spec.warehouse_code,
        },
    )
    .await
    .map_err(
        |e| match e.as_database_error().and_then(|d| d.constraint()) {
            Some("connector_name_key") => {
                anyhow::anyhow!("a connector named {} already exists", spec.name)
            }
            Some("connector_name_format") => {
                anyhow::anyhow!("a connector name is lowercase letters, digits, - and _")
            }
            _ => e.into(),
        },
    )?;
    app::store::audit::record(
        &mut *tx,
        None,
        "connector.created",
        &format!("connector:{}", spec.name),
        json!({"kind": kind.as_str(), "format": format.as_str(), "types": types.len()}),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedConnector {
        connector_id,
        signing_secret,
        url_token,
    })
}

/// A fresh secret of the kind `format`'s scheme uses: (signing secret, URL token).
fn new_secret(format: Format) -> (Option<String>, Option<String>) {
    match scheme(format) {
        Scheme::StandardWebhooks => (Some(signing_secret()), None),
        Scheme::UrlToken => (None, Some(URL_SAFE_NO_PAD.encode(random(24)))),
        _ => (Some(URL_SAFE_NO_PAD.encode(random(32))), None),
    }
}

/// Replaces a connector's signing secret or URL token. The old one keeps verifying until
/// `overlap` has passed (`ingest::signature`), so a sender can switch without a gap. Audited
/// (without the secrets).
pub async fn rotate_secret(
    pool: &PgPool,
    name: &str,
    overlap: Duration,
) -> anyhow::Result<CreatedConnector> {
    let mut tx = pool.begin().await?;
    let record = store::connectors::find_by_name(&mut *tx, name)
        .await?
        .with_context(|| format!("no connector named {name}"))?;
    let format = Format::parse(&record.format)
        .with_context(|| format!("connector {name} has an unknown format"))?;
    let ring = crate::secrets::keyring();
    let (signing_secret, url_token) = new_secret(format);
    let mut secrets = record.secrets.as_object().cloned().unwrap_or_default();
    let until = (Utc::now() + overlap).to_rfc3339();
    for (key, new) in [
        ("signing_secret", &signing_secret),
        ("url_token", &url_token),
    ] {
        let Some(new) = new else { continue };
        if let Some(old) = secrets.get(key).and_then(|v| v.as_str()) {
            let old = old.to_string();
            secrets.insert(format!("previous_{key}"), json!(old));
            secrets.insert(format!("previous_{key}_until"), json!(ring.seal(&until)));
        }
        secrets.insert(key.to_string(), json!(ring.seal(new)));
    }
    store::connectors::replace_secrets(
        &mut *tx,
        record.connector_id,
        &serde_json::Value::Object(secrets),
    )
    .await?;
    app::store::audit::record(
        &mut *tx,
        None,
        "connector.secret_rotated",
        &format!("connector:{name}"),
        json!({"overlap_hours": overlap.num_hours(), "old_works_until": until}),
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedConnector {
        connector_id: record.connector_id,
        signing_secret,
        url_token,
    })
}

/// Sets the accounts a connector may change orders of (none: every account); returns the codes
/// before. Audited. Refuses an unknown account code rather than narrowing to nothing.
pub async fn set_scope(
    pool: &PgPool,
    name: &str,
    account_codes: &[String],
) -> anyhow::Result<Vec<String>> {
    let mut tx = pool.begin().await?;
    let record = store::connectors::find_by_name(&mut *tx, name)
        .await?
        .with_context(|| format!("no connector named {name}"))?;
    for code in account_codes {
        if app::store::accounts::find_by_code(&mut *tx, code)
            .await?
            .is_none()
        {
            bail!("no account with code {code} (see milepost account list)");
        }
    }
    let before = store::connectors::set_scope(&mut *tx, record.connector_id, account_codes).await?;
    app::store::audit::record(
        &mut *tx,
        None,
        "connector.scope_changed",
        &format!("connector:{name}"),
        json!({"accounts": account_codes, "before": before}),
    )
    .await?;
    tx.commit().await?;
    Ok(before)
}

/// Issues a key for a connector; the key is returned once and never stored.
pub async fn create_key(pool: &PgPool, connector: &str, name: &str) -> anyhow::Result<IssuedKey> {
    let record = store::connectors::find_by_name(pool, connector)
        .await?
        .with_context(|| format!("no connector named {connector}"))?;
    if name.trim().is_empty() {
        bail!("a key needs a name (what uses it)");
    }
    let issued = api_keys::issue();
    let mut tx = pool.begin().await?;
    store::api_keys::insert(
        &mut *tx,
        record.connector_id,
        name,
        &issued.prefix,
        &issued.sha256,
    )
    .await?;
    app::store::audit::record(
        &mut *tx,
        None,
        "apikey.created",
        &format!("apikey:{}", issued.prefix),
        json!({"connector": connector, "name": name}),
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}

/// Revokes a key at once; audited. Returns whether a live key had that prefix.
pub async fn revoke_key(pool: &PgPool, prefix: &str) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    if !store::api_keys::revoke(&mut *tx, prefix).await? {
        return Ok(false);
    }
    app::store::audit::record(
        &mut *tx,
        None,
        "apikey.revoked",
        &format!("apikey:{prefix}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Replaces a key: the new one works at once, the old one until the grace period ends.
pub async fn rotate_key(pool: &PgPool, prefix: &str, grace: Duration) -> anyhow::Result<IssuedKey> {
    let mut tx = pool.begin().await?;
    let (old_id, connector_id, name) = store::api_keys::live(&mut *tx, prefix)
        .await?
        .with_context(|| format!("no live key with prefix {prefix}"))?;
    let issued = api_keys::issue();
    let new_id = store::api_keys::insert(
        &mut *tx,
        connector_id,
        &name,
        &issued.prefix,
        &issued.sha256,
    )
    .await?;
    store::api_keys::retire(&mut *tx, old_id, new_id, Utc::now() + grace).await?;
    app::store::audit::record(
        &mut *tx,
        None,
        "apikey.rotated",
        &format!("apikey:{prefix}"),
        json!({"replaced_by": issued.prefix, "grace_hours": grace.num_hours()}),
    )
    .await?;
    tx.commit().await?;
    Ok(issued)
}
