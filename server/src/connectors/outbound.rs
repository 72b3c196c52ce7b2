//! How Milepost calls each connector's system: the connector's `outbound` settings (JSON, set
//! with `milepost connector outbound`), its credentials from `secrets`, read into one typed
//! `Endpoint` per connector. A connector without settings only sends; one with bad settings is
//! left out with an error that names the field, and the others still run.

use super::http::{check_url, Targets};
use super::odoo::client::{OdooConfig, Protocol};
use super::wms::release::WmsConfig;
use super::wms::x12_940::DropFolder;
use crate::store::connectors::OutboundRow;
use crate::store::jobs::queue::connector_queue;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// The settings as stored, one shape per system.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "system", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboundSettings {
    Odoo(OdooSettings),
    Wms(WmsSettings),
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OdooSettings {
    /// e.g. `https://erp.example.com`
    pub base_url: String,
    pub database: String,
    #[serde(default)]
    pub protocol: OdooProtocol,
    /// The integration user's id, for JSON-RPC (`execute_kw` needs it).
    #[serde(default)]
    pub uid: Option<i64>,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// The catch-up pull of changed orders, every this many seconds; none means webhooks only.
    #[serde(default)]
    pub poll_seconds: Option<u32>,
    /// Where the pull starts (RFC 3339), set when these settings are saved: orders Odoo changed
    /// since then are read (and released when ready). Without it, the first pull starts at the
    /// moment the settings are saved: connecting to a live Odoo releases nothing from before.
    #[serde(default)]
    pub pull_from: Option<chrono::DateTime<chrono::Utc>>,
    /// What a warehouse's inventory snapshot does: report the differences with Odoo's stock,
    /// or also apply them.
    #[serde(default)]
    pub inventory: InventoryMode,
    /// Let Milepost call a loopback or private address (an Odoo on the same network). Off by
    /// default: see `connectors::http`.
    #[serde(default)]
    pub allow_private_network: bool,
    /// When the reconciliation runs (`sec min hour day month weekday`, UTC), or `off`.
    /// Default: nightly at 02:00 UTC.
    #[serde(default = "nightly")]
    pub reconcile_cron: String,
    /// A shipment with no carrier news for this many hours is reported as quiet by the
    /// reconciliation.
    #[serde(default = "default_quiet_hours")]
    pub quiet_shipment_hours: u32,
}

/// The reconciliation's default schedule: every night at 02:00 UTC.
pub const NIGHTLY: &str = "0 0 2 * * *";

fn nightly() -> String {
    NIGHTLY.to_string()
}

fn default_quiet_hours() -> u32 {
    72
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum InventoryMode {
    #[default]
    Report,
    Apply,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OdooProtocol {
    /// `/json/2/<model>/<method>`, Odoo 19 and later.
    #[default]
    Json2,
    /// `/jsonrpc` `execute_kw`, Odoo 14 to 19.
    Jsonrpc,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WmsSettings {
    /// Where release instructions (`docs/wms-release.md`) are POSTed; or
    #[serde(default)]
    pub url: Option<String>,
    /// the folder X12 940 files are written to (exactly one of the two).
    #[serde(default)]
    pub drop_folder: Option<String>,
    /// ISA/GS ids in the 940 files: Milepost's and the warehouse's.
    #[serde(default = "default_sender")]
    pub x12_sender_id: String,
    #[serde(default = "default_receiver")]
    pub x12_receiver_id: String,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// Let Milepost call a loopback or private address. Off by default: see `connectors::http`.
    #[serde(default)]
    pub allow_private_network: bool,
}

fn default_sender() -> String {
    "MILEPOST".into()
}

fn default_receiver() -> String {
    "WMS".into()
}

fn default_concurrency() -> usize {
    4
}

fn default_timeout() -> u64 {
    30
}

impl OutboundSettings {
    /// Reads stored settings; an error names the field it is about (`pull_from: …`), which the
    /// tagged enum's own deserializer cannot.
    pub fn read(value: &Value) -> Result<Self, String> {
        fn named<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
            serde_path_to_error::deserialize(body).map_err(|e| {
                match e.path().to_string().as_str() {
                    "." => e.inner().to_string(),
                    path => format!("{path}: {}", e.inner()),
                }
            })
        }
        let mut body = value.clone();
        let system = body
            .as_object_mut()
            .ok_or("settings must be a JSON object")?
            .remove("system");
        match system.as_ref().and_then(Value::as_str) {
            Some("odoo") => named(body).map(OutboundSettings::Odoo),
            Some("wms") => named(body).map(OutboundSettings::Wms),
            Some(other) => Err(format!("unknown system {other:?}: expected odoo or wms")),
            None => Err("\"system\" is required: odoo or wms".into()),
        }
    }
}

/// The secret each system's settings read from the connector's `secrets`.
pub const ODOO_API_KEY: &str = "odoo_api_key";
pub const WMS_TOKEN: &str = "wms_token";

/// Why a connector's outbound settings cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("connector {connector}: outbound settings: {problem}")]
pub struct OutboundError {
    pub connector: String,
    pub problem: String,
}

/// A connector Milepost calls, ready to run: its queue and its client's configuration.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub connector_id: i64,
    pub connector: String,
    /// The WMS connector's warehouse, which decides where an order is released.
    pub warehouse_code: Option<String>,
    pub target: Target,
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub enum Target {
    Odoo {
        config: OdooConfig,
        poll_every: Option<Duration>,
        apply_inventory: bool,
        /// The reconciliation's cron expression; `None` when it is off.
        reconcile: Option<String>,
        quiet_after: Duration,
    },
    Wms(WmsConfig),
    WmsFolder(DropFolder),
}

impl Endpoint {
    /// The job queue of this endpoint: one per external system, so an outage pauses only it.
    pub fn queue(&self) -> String {
        connector_queue(self.system(), &self.connector)
    }

    pub fn system(&self) -> &'static str {
        match self.target {
            Target::Odoo { .. } => "odoo",
            Target::Wms(_) | Target::WmsFolder(_) => "wms",
        }
    }

    /// Reads a stored connector's settings; `None` when it has none (it only sends).
    pub fn from_row(row: &OutboundRow) -> Result<Option<Self>, OutboundError> {
        let Some(value) = &row.outbound else {
            return Ok(None);
        };
        let fail = |problem: String| OutboundError {
            connector: row.name.clone(),
            problem,
        };
        let settings = OutboundSettings::read(value).map_err(fail)?;
        let secret = |key: &str| -> Result<SecretString, OutboundError> {
            let stored = row
                .secrets
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| fail(format!("the secret {key} is missing")))?;
            crate::secrets::keyring()
                .open(stored)
                .map(SecretString::from)
                .map_err(|e| fail(format!("the secret {key}: {e}")))
        };
        let http_url = |field: &str, url: &str, targets: Targets| -> Result<(), OutboundError> {
            match reqwest::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {
                    check_url(url, targets).map_err(|e| fail(format!("{field}: {e}")))
                }
                _ => Err(fail(format!("{field} must be an http(s) URL, not {url:?}"))),
            }
        };
        let (target, concurrency, kind_needed) = match settings {
            OutboundSettings::Odoo(s) => {
                let targets = Targets::allowing_private(s.allow_private_network);
                http_url("base_url", &s.base_url, targets)?;
                let api_key = secret(ODOO_API_KEY)?;
                let protocol = match s.protocol {
                    OdooProtocol::Json2 => Protocol::Json2 { api_key },
                    OdooProtocol::Jsonrpc => Protocol::JsonRpc {
                        uid: s
                            .uid
                            .ok_or_else(|| fail("uid is required for jsonrpc".into()))?,
                        secret: api_key,
                    },
                };
                let target = Target::Odoo {
                    config: OdooConfig {
                        base_url: s.base_url.trim_end_matches('/').to_string(),
                        database: s.database,
                        protocol,
                        timeout: Duration::from_secs(s.timeout_seconds.max(1)),
                        targets,
                    },
                    poll_every: s
                        .poll_seconds
                        .map(|p| Duration::from_secs(u64::from(p.max(1)))),
                    apply_inventory: s.inventory == InventoryMode::Apply,
                    reconcile: match s.reconcile_cron.trim() {
                        "off" => None,
                        cron => {
                            <cron::Schedule as std::str::FromStr>::from_str(cron).map_err(|e| {
                                fail(format!(
                                    "reconcile_cron: {cron:?} is not a cron expression (sec min hour day month weekday): {e}"
                                ))
                            })?;
                            Some(cron.to_string())
                        }
                    },
                    quiet_after: Duration::from_secs(
                        u64::from(s.quiet_shipment_hours.max(1)) * 3600,
                    ),
                };
                (target, s.concurrency, "erp")
            }
            OutboundSettings::Wms(s) => {
                let target = match (s.url, s.drop_folder) {
                    (Some(url), None) => {
                        let targets = Targets::allowing_private(s.allow_private_network);
                        http_url("url", &url, targets)?;
                        Target::Wms(WmsConfig {
                            url,
                            token: secret(WMS_TOKEN)?,
                            timeout: Duration::from_secs(s.timeout_seconds.max(1)),
                            targets,
                        })
                    }
                    (None, Some(folder)) => {
                        if !std::path::Path::new(&folder).is_absolute() {
                            return Err(fail(format!(
                                "drop_folder must be an absolute path, not {folder:?}"
                            )));
                        }
                        Target::WmsFolder(DropFolder {
                            folder: folder.into(),
                            sender_id: s.x12_sender_id,
                            receiver_id: s.x12_receiver_id,
                        })
                    }
                    _ => return Err(fail("give either url or drop_folder".into())),
                };
                (target, s.concurrency, "wms")
            }
        };
        if row.kind != kind_needed {
            return Err(fail(format!(
                "these settings are for {kind_needed} connectors; {} is a {} connector",
                row.name, row.kind
            )));
        }
        Ok(Some(Endpoint {
            connector_id: row.connector_id,
            connector: row.name.clone(),
            warehouse_code: row.warehouse_code.clone(),
            target,
            concurrency: concurrency.clamp(1, 64),
        }))
    }
}

/// Every enabled connector's endpoint; connectors with bad settings are logged and left out.
pub fn endpoints(rows: &[OutboundRow]) -> (Vec<Endpoint>, Vec<OutboundError>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for row in rows.iter().filter(|r| r.enabled) {
        match Endpoint::from_row(row) {
            Ok(Some(e)) => good.push(e),
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
    }
    (good, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(kind: &str, outbound: serde_json::Value, secrets: serde_json::Value) -> OutboundRow {
        OutboundRow {
            connector_id: 1,
            name: "acme".into(),
            kind: kind.into(),
            warehouse_code: Some("RNO".into()),
            outbound: Some(outbound),
            secrets,
            enabled: true,
        }
    }

    #[test]
    fn odoo_settings_become_a_json2_client_on_the_connectors_queue() {
        let e = Endpoint::from_row(&row(
            "erp",
            json!({"system": "odoo", "base_url": "http://odoo:8069/", "database": "prod", "poll_seconds": 30}),
            json!({"odoo_api_key": "k"}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(e.queue(), "odoo:acme");
        let Target::Odoo {
            config, poll_every, ..
        } = e.target
        else {
            panic!("an Odoo target")
        };
        assert_eq!(config.base_url, "http://odoo:8069");
        assert!(matches!(config.protocol, Protocol::Json2 { .. }));
        assert_eq!(poll_every, Some(Duration::from_secs(30)));
    }

    #[test]
    fn reconciliation_runs_nightly_unless_scheduled_otherwise_or_off() {
        let target = |extra: serde_json::Value| {
            let mut settings = json!({"system": "odoo", "base_url": "http://o", "database": "d"});
            settings
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            Endpoint::from_row(&row("erp", settings, json!({"odoo_api_key": "k"})))
                .map(|e| e.unwrap().target)
        };
        let Ok(Target::Odoo {
            reconcile,
            quiet_after,
            ..
        }) = target(json!({}))
        else {
            panic!("an Odoo target")
        };
        assert_eq!(reconcile.as_deref(), Some(NIGHTLY));
        assert_eq!(quiet_after, Duration::from_secs(72 * 3600));
        let Ok(Target::Odoo {
            reconcile,
            quiet_after,
            ..
        }) = target(json!({"reconcile_cron": "0 30 4 * * Sun", "quiet_shipment_hours": 24}))
        else {
            panic!("an Odoo target")
        };
        assert_eq!(reconcile.as_deref(), Some("0 30 4 * * Sun"));
        assert_eq!(quiet_after, Duration::from_secs(24 * 3600));
        let Ok(Target::Odoo { reconcile, .. }) = target(json!({"reconcile_cron": "off"})) else {
            panic!("an Odoo target")
        };
        assert_eq!(reconcile, None);
        let Err(e) = target(json!({"reconcile_cron": "every night"})) else {
            panic!("refused")
        };
        assert!(
            e.problem
                .starts_with("reconcile_cron: \"every night\" is not a cron expression"),
            "{}",
            e.problem
        );
    }

    #[test]
    fn bad_settings_name_what_is_wrong() {
        let problem = |kind, outbound, secrets| {
            Endpoint::from_row(&row(kind, outbound, secrets))
                .unwrap_err()
                .problem
        };
        assert!(problem(
            "erp",
            json!({"system": "odoo", "base_url": "http://o", "database": "d", "protocol": "jsonrpc"}),
            json!({"odoo_api_key": "k"})
        )
        .contains("uid is required"));
        assert!(problem(
            "erp",
            json!({"system": "odoo", "base_url": "http://o", "database": "d"}),
            json!({})
        )
        .contains("odoo_api_key is missing"));
        assert!(problem(
            "wms",
            json!({"system": "wms", "url": "http://x", "drop_folder": "/srv/edi"}),
            json!({"wms_token": "t"})
        )
        .contains("either url or drop_folder"));
        assert!(problem(
            "wms",
            json!({"system": "wms", "drop_folder": "edi/out"}),
            json!({})
        )
        .contains("absolute path"));
        assert!(problem(
            "wms",
            json!({"system": "wms", "url": "ftp://x"}),
            json!({"wms_token": "t"})
        )
        .contains("url must be an http(s) URL"));
        assert!(problem(
            "carrier",
            json!({"system": "wms", "url": "http://x"}),
            json!({"wms_token": "t"})
        )
        .contains("for wms connectors"));
        assert!(problem(
            "wms",
            json!({"system": "wms", "url": "http://x", "colour": 1}),
            json!({"wms_token": "t"})
        )
        .contains("unknown field `colour`"));
    }

    #[test]
    fn connectors_without_settings_or_disabled_are_not_endpoints() {
        let mut none = row("wms", json!(null), json!({}));
        none.outbound = None;
        let mut off = row(
            "wms",
            json!({"system": "wms", "url": "http://x"}),
            json!({"wms_token": "t"}),
        );
        off.enabled = false;
        let (good, bad) = endpoints(&[none, off]);
        assert!(good.is_empty() && bad.is_empty());
    }
}
