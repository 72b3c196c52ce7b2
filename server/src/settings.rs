//! Typed settings from the environment. Every variable is listed in `.env.example`; a bad value
//! stops start-up with a message that names the variable.

use crate::alerts::AlertSettings;
use crate::connectors::alerts::Channels;
use crate::ingest::limits::IngestLimits;
use crate::retention::RetentionSettings;
use app::auth::client_addr::{parse_trusted_proxies, ClientAddrPolicy};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// A setting that could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("{var}={value:?} is not valid: {reason}")]
    Invalid {
        var: &'static str,
        value: String,
        reason: String,
    },
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (default).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `DATABASE_URL`: when unset, Milepost runs its own Postgres under `data_dir`.
    pub database_url: Option<SecretString>,
    /// `MILEPOST_LISTEN_ADDR` (default `LEPTOS_SITE_ADDR`, else 127.0.0.1:3000).
    pub listen_addr: SocketAddr,
    /// `MILEPOST_PUBLIC_URL`: the address people use. Https makes cookies `Secure`; its origin is
    /// accepted by the CSRF check.
    pub public_url: Url,
    /// `MILEPOST_DATA_DIR` (default `.milepost`): the embedded Postgres cluster lives here.
    pub data_dir: PathBuf,
    /// `MILEPOST_PG_BINDIR`: where `initdb`, `pg_ctl` and `postgres` are, when not found by search.
    pub pg_bin_dir: Option<PathBuf>,
    /// `MILEPOST_LOG_FORMAT`: `text` (default) or `json`.
    pub log_format: LogFormat,
    /// `MILEPOST_LOG`: a tracing filter (default `info`).
    pub log_filter: String,
    /// The database pools and their limits.
    pub db: DbSettings,
    /// `MILEPOST_REPLICA_URL`: a streaming replica the read-heavy pages read from while it lags
    /// less than `MILEPOST_REPLICA_MAX_LAG_SECONDS` (default 10); unset, they read the primary.
    pub replica_url: Option<SecretString>,
    pub replica_max_lag: Duration,
    /// `MILEPOST_JOB_LEASE_SECONDS` (default 60): how long a job attempt is held by its worker;
    /// a worker that dies (kill -9, a lost machine) has its attempts taken up by another after it.
    pub job_lease: Duration,
    /// `MILEPOST_SESSION_IDLE_MINUTES` (default 120).
    pub session_idle: Duration,
    /// `MILEPOST_SESSION_ABSOLUTE_HOURS` (default 12).
    pub session_absolute: Duration,
    /// `MILEPOST_CLIENT_IP_HEADER` (the header trusted proxies append the client address to)
    /// and `MILEPOST_TRUSTED_PROXIES` (their addresses or CIDR ranges; default loopback only).
    pub client_addr: ClientAddrPolicy,
    /// `MILEPOST_API_RATE_PER_KEY`, `MILEPOST_API_RATE_PER_ADDR` (requests per second, default 200
    /// and 400), `MILEPOST_API_BURST` (default 400) and `MILEPOST_API_REFUSALS_PER_MINUTE`
    /// (unauthenticated requests recorded per address, default 30): the ingest API's limits.
    pub ingest_limits: IngestLimits,
    /// `MILEPOST_BODY_READ_SECONDS` (default 30): the longest a request body may take to arrive;
    /// one that trickles in longer (slowloris) is cut off with 408.
    pub body_read_timeout: Duration,
    /// `MILEPOST_REQUEST_SECONDS` (default 60): the longest a request may take to be answered
    /// (a streamed body, such as a download or the live stream, is not counted); past it, 408.
    pub request_timeout: Duration,
    /// `MILEPOST_SHUTDOWN_SECONDS` (default 25): on SIGTERM, how long in-flight requests, live
    /// streams and job attempts get to finish before the process exits anyway (a job attempt
    /// cut off is retaken by another worker when its lease runs out).
    pub shutdown_deadline: Duration,
    /// `MILEPOST_METRICS_TOKEN`: when set, `/metrics` on the main address answers a request
    /// bearing it (`Authorization: Bearer …`); unset, it is not served there.
    pub metrics_token: Option<SecretString>,
    /// `MILEPOST_METRICS_ADDR`: when set, `/metrics`, `/healthz` and `/readyz` are also served
    /// on this (internal) address without a token; a `milepost worker` is scraped there.
    pub metrics_addr: Option<SocketAddr>,
    /// Where alert digests go and how often (`alert_settings`).
    pub alerts: AlertSettings,
    /// How long each table keeps its rows, and where archives go (`retention_settings`).
    pub retention: RetentionSettings,
}

/// One pool per kind of work, so a flood of one cannot starve the others of connections.
/// Notification listeners hold connections of their own, outside these pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DbSettings {
    /// `MILEPOST_DB_WEB_CONNECTIONS` (default 10): pages, server functions, sessions, downloads.
    pub web_connections: u32,
    /// `MILEPOST_DB_INGEST_CONNECTIONS` (default 10): the ingest API.
    pub ingest_connections: u32,
    /// `MILEPOST_DB_WORKER_CONNECTIONS` (default 10): projector, sync jobs, sweeps.
    pub worker_connections: u32,
    /// `MILEPOST_DB_STATEMENT_SECONDS` (default 30): the web and ingest pools' statement timeout.
    pub statement_timeout: Duration,
    /// `MILEPOST_DB_WORKER_STATEMENT_SECONDS` (default 300): the workers' (a projector batch, a
    /// monthly report).
    pub worker_statement_timeout: Duration,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_lookup(|var| std::env::var(var).ok())
    }

    /// Reads settings through `lookup`, so tests can pass a map instead of the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let get = |var: &str| {
            lookup(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let default_addr = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen_addr = parse(
            "MILEPOST_LISTEN_ADDR",
            get("MILEPOST_LISTEN_ADDR").unwrap_or(default_addr),
            |v| {
                v.parse::<SocketAddr>()
                    .map_err(|e| format!("{e}; expected an address like 127.0.0.1:3000"))
            },
        )?;
        let public_url = parse(
            "MILEPOST_PUBLIC_URL",
            get("MILEPOST_PUBLIC_URL").unwrap_or_else(|| format!("http://{listen_addr}")),
            |v| {
                let url = Url::parse(&v).map_err(|e| {
                    format!("{e}; expected a URL like https://milepost.example.com")
                })?;
                match url.scheme() {
                    "http" | "https" if url.host().is_some() => Ok(url),
                    _ => Err("expected an http or https URL with a host".to_string()),
                }
            },
        )?;
        let log_format = parse(
            "MILEPOST_LOG_FORMAT",
            get("MILEPOST_LOG_FORMAT").unwrap_or_else(|| "text".into()),
            |v| match v.as_str() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `text` or `json`".to_string()),
            },
        )?;
        let database_url = match get("DATABASE_URL") {
            None => None,
            Some(v) => {
                let url = Url::parse(&v).map_err(|e| SettingsError::Invalid {
                    var: "DATABASE_URL",
                    // The URL may hold a password: never echo it.
                    value: "<hidden>".into(),
                    reason: format!("{e}; expected postgres://user:password@host:port/database"),
                })?;
                if !matches!(url.scheme(), "postgres" | "postgresql") {
                    return Err(SettingsError::Invalid {
                        var: "DATABASE_URL",
                        value: "<hidden>".into(),
                        reason: "expected a postgres:// URL".into(),
                    });
                }
                Some(SecretString::from(v))
            }
        };
        let alerts = alert_settings(&get, &public_url)?;
        let replica_url = match get("MILEPOST_REPLICA_URL") {
            None => None,
            Some(v) => match Url::parse(&v) {
                Ok(u) if matches!(u.scheme(), "postgres" | "postgresql") => {
                    Some(SecretString::from(v))
                }
                _ => {
                    return Err(SettingsError::Invalid {
                        var: "MILEPOST_REPLICA_URL",
                        value: "<hidden>".into(),
                        reason: "expected a postgres:// URL".into(),
                    })
                }
            },
        };
        let replica_max_lag = Duration::from_secs(number(
            "MILEPOST_REPLICA_MAX_LAG_SECONDS",
            get("MILEPOST_REPLICA_MAX_LAG_SECONDS"),
            10,
            1..=3600,
        )?);
        let data_dir = get("MILEPOST_DATA_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(".milepost"));
        let retention = retention_settings(&get, &data_dir)?;
        let job_lease = Duration::from_secs(number(
            "MILEPOST_JOB_LEASE_SECONDS",
            get("MILEPOST_JOB_LEASE_SECONDS"),
            60,
            2..=3600,
        )?);
        Ok(Settings {
            alerts,
            retention,
            replica_url,
            replica_max_lag,
            job_lease,
            database_url,
            listen_addr,
            public_url,
            data_dir,
            pg_bin_dir: get("MILEPOST_PG_BINDIR").map(PathBuf::from),
            log_format,
            log_filter: get("MILEPOST_LOG").unwrap_or_else(|| "info,sqlx=warn".into()),
            db: DbSettings {
                web_connections: number(
                    "MILEPOST_DB_WEB_CONNECTIONS",
                    get("MILEPOST_DB_WEB_CONNECTIONS"),
                    10,
                    1..=1000,
                )?,
                ingest_connections: number(
                    "MILEPOST_DB_INGEST_CONNECTIONS",
                    get("MILEPOST_DB_INGEST_CONNECTIONS"),
                    10,
                    1..=1000,
                )?,
                worker_connections: number(
                    "MILEPOST_DB_WORKER_CONNECTIONS",
                    get("MILEPOST_DB_WORKER_CONNECTIONS"),
                    10,
                    2..=1000,
                )?,
                statement_timeout: Duration::from_secs(number(
                    "MILEPOST_DB_STATEMENT_SECONDS",
                    get("MILEPOST_DB_STATEMENT_SECONDS"),
                    30,
                    1..=86_400,
                )?),
                worker_statement_timeout: Duration::from_secs(number(
                    "MILEPOST_DB_WORKER_STATEMENT_SECONDS",
                    get("MILEPOST_DB_WORKER_STATEMENT_SECONDS"),
                    300,
                    1..=86_400,
                )?),
            },
            session_idle: Duration::from_secs(
                60 * number(
                    "MILEPOST_SESSION_IDLE_MINUTES",
                    get("MILEPOST_SESSION_IDLE_MINUTES"),
                    120,
                    1..=10_080,
                )?,
            ),
            session_absolute: Duration::from_secs(
                3600 * number(
                    "MILEPOST_SESSION_ABSOLUTE_HOURS",
                    get("MILEPOST_SESSION_ABSOLUTE_HOURS"),
                    12,
                    1..=720,
                )?,
            ),
            body_read_timeout: Duration::from_secs(number(
                "MILEPOST_BODY_READ_SECONDS",
                get("MILEPOST_BODY_READ_SECONDS"),
                30,
                1..=3600,
            )?),
            request_timeout: Duration::from_secs(number(
                "MILEPOST_REQUEST_SECONDS",
                get("MILEPOST_REQUEST_SECONDS"),
                60,
                1..=3600,
            )?),
            shutdown_deadline: Duration::from_secs(number(
                "MILEPOST_SHUTDOWN_SECONDS",
                get("MILEPOST_SHUTDOWN_SECONDS"),
                25,
                1..=3600,
            )?),
            metrics_token: get("MILEPOST_METRICS_TOKEN")
                .filter(|t| !t.trim().is_empty())
                .map(SecretString::from),
            metrics_addr: get("MILEPOST_METRICS_ADDR")
                .map(|v| {
                    parse("MILEPOST_METRICS_ADDR", v, |v| {
                        v.parse::<SocketAddr>().map_err(|e| e.to_string())
                    })
                })
                .transpose()?,
            client_addr: ClientAddrPolicy {
                header: get("MILEPOST_CLIENT_IP_HEADER").map(|h| h.to_ascii_lowercase()),
                trusted_proxies: parse(
                    "MILEPOST_TRUSTED_PROXIES",
                    get("MILEPOST_TRUSTED_PROXIES").unwrap_or_else(|| "127.0.0.0/8, ::1".into()),
                    |v| parse_trusted_proxies(&v),
                )?,
            },
            ingest_limits: {
                let defaults = IngestLimits::default();
                IngestLimits {
                    per_key_per_second: number(
                        "MILEPOST_API_RATE_PER_KEY",
                        get("MILEPOST_API_RATE_PER_KEY"),
                        defaults.per_key_per_second,
                        1..=1_000_000,
                    )?,
                    per_addr_per_second: number(
                        "MILEPOST_API_RATE_PER_ADDR",
                        get("MILEPOST_API_RATE_PER_ADDR"),
                        defaults.per_addr_per_second,
                        1..=1_000_000,
                    )?,
                    burst: number(
                        "MILEPOST_API_BURST",
                        get("MILEPOST_API_BURST"),
                        defaults.burst,
                        1..=1_000_000,
                    )?,
                    refusals_per_minute: number(
                        "MILEPOST_API_REFUSALS_PER_MINUTE",
                        get("MILEPOST_API_REFUSALS_PER_MINUTE"),
                        defaults.refusals_per_minute,
                        1..=1_000_000,
                    )?,
                }
            },
        })
    }

    /// Whether cookies must be `Secure` (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// The retention policy (`crate::retention` lists it): `MILEPOST_RETAIN_INBOX_BODY_DAYS` (90),
/// `MILEPOST_RETAIN_EVENT_MONTHS` (24), `MILEPOST_RETAIN_JOB_DAYS` (90),
/// `MILEPOST_RETAIN_DELIVERY_DAYS` (30), `MILEPOST_RETAIN_AUDIT_DAYS` (2555), each `0` for
/// forever; `MILEPOST_ARCHIVE_DIR` (`<data dir>/archive`). Raw bodies may not outlive their
/// events (the messages go with the event partitions).
fn retention_settings(
    get: &impl Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<RetentionSettings, SettingsError> {
    let days = |var: &'static str, default: u32| number(var, get(var), default, 0..=36_500);
    let s = RetentionSettings {
        inbox_body_days: days("MILEPOST_RETAIN_INBOX_BODY_DAYS", 90)?,
        event_months: number(
            "MILEPOST_RETAIN_EVENT_MONTHS",
            get("MILEPOST_RETAIN_EVENT_MONTHS"),
            24,
            0..=1200,
        )?,
        job_days: days("MILEPOST_RETAIN_JOB_DAYS", 90)?,
        delivery_days: days("MILEPOST_RETAIN_DELIVERY_DAYS", 30)?,
        audit_days: days("MILEPOST_RETAIN_AUDIT_DAYS", 2555)?,
        archive_dir: get("MILEPOST_ARCHIVE_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("archive")),
    };
    let body_outlives_events =
        s.event_months > 0 && (s.inbox_body_days == 0 || s.inbox_body_days > s.event_months * 28);
    if body_outlives_events {
        return Err(SettingsError::Invalid {
            var: "MILEPOST_RETAIN_INBOX_BODY_DAYS",
            value: s.inbox_body_days.to_string(),
            reason: format!(
                "raw messages go with their events after {} months; keep bodies at most {} days",
                s.event_months,
                s.event_months * 28
            ),
        });
    }
    Ok(s)
}

/// The alert channels:
/// - `MILEPOST_ALERT_WEBHOOK_URL` with `MILEPOST_ALERT_WEBHOOK_SECRET` (a Standard Webhooks
///   secret, `whsec_` and base64, required with the URL) and `MILEPOST_ALERT_WEBHOOK_FORMAT`
///   (`milepost`, the default, or `slack` for an incoming-webhook URL);
/// - `MILEPOST_SMTP_URL` (lettre's form: `smtps://user:pass@host:465`, or
///   `smtp://host:587?tls=required`) with `MILEPOST_ALERT_EMAIL_FROM` and
///   `MILEPOST_ALERT_EMAIL_TO` (comma-separated), all three or none;
/// - `MILEPOST_ALERT_DIGEST_MINUTES` (default 5): the shortest time between two digests.
fn alert_settings(
    get: &impl Fn(&str) -> Option<String>,
    public_url: &Url,
) -> Result<AlertSettings, SettingsError> {
    use crate::connectors::alerts::email::EmailChannel;
    use crate::connectors::alerts::webhook::{WebhookChannel, WebhookFormat};
    let digest_every = Duration::from_secs(
        60 * number(
            "MILEPOST_ALERT_DIGEST_MINUTES",
            get("MILEPOST_ALERT_DIGEST_MINUTES"),
            5,
            0..=1440,
        )?,
    );
    let webhook = match get("MILEPOST_ALERT_WEBHOOK_URL") {
        None => None,
        Some(url) => {
            let url = parse("MILEPOST_ALERT_WEBHOOK_URL", url, |v| {
                let parsed = Url::parse(&v).map_err(|e| e.to_string())?;
                match parsed.scheme() {
                    "http" | "https" if parsed.host().is_some() => Ok(v),
                    _ => Err("expected an http or https URL".into()),
                }
            })?;
            let secret = get("MILEPOST_ALERT_WEBHOOK_SECRET").ok_or(SettingsError::Invalid {
                var: "MILEPOST_ALERT_WEBHOOK_SECRET",
                value: String::new(),
                reason: "required with MILEPOST_ALERT_WEBHOOK_URL: digests are signed".into(),
            })?;
            crate::signing::check_whsec(&secret).map_err(|reason| SettingsError::Invalid {
                var: "MILEPOST_ALERT_WEBHOOK_SECRET",
                value: "<hidden>".into(),
                reason,
            })?;
            let format = parse(
                "MILEPOST_ALERT_WEBHOOK_FORMAT",
                get("MILEPOST_ALERT_WEBHOOK_FORMAT").unwrap_or_else(|| "milepost".into()),
                |v| match v.as_str() {
                    "milepost" => Ok(WebhookFormat::Milepost),
                    "slack" => Ok(WebhookFormat::Slack),
                    _ => Err("expected `milepost` or `slack`".into()),
                },
            )?;
            let channel = WebhookChannel::new(url.clone(), SecretString::from(secret), format)
                .map_err(|e| SettingsError::Invalid {
                    var: "MILEPOST_ALERT_WEBHOOK_URL",
                    value: url,
                    reason: e.to_string(),
                })?;
            Some(channel)
        }
    };
    let smtp = get("MILEPOST_SMTP_URL");
    let from = get("MILEPOST_ALERT_EMAIL_FROM");
    let to = get("MILEPOST_ALERT_EMAIL_TO");
    let email = match (smtp, from, to) {
        (None, None, None) => None,
        (Some(smtp), Some(from), Some(to)) => {
            let from = parse("MILEPOST_ALERT_EMAIL_FROM", from, |v| {
                v.parse::<lettre::message::Mailbox>()
                    .map_err(|e| e.to_string())
            })?;
            let to = parse("MILEPOST_ALERT_EMAIL_TO", to, |v| {
                v.split(',')
                    .map(|a| a.trim().parse::<lettre::message::Mailbox>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{e}; expected addresses separated by commas"))
            })?;
            let channel = EmailChannel::new(&smtp, from, to).map_err(|reason| {
                SettingsError::Invalid {
                    var: "MILEPOST_SMTP_URL",
                    // It may hold a password.
                    value: "<hidden>".into(),
                    reason: format!("{reason}; expected smtps://user:pass@host:465 or smtp://host:587?tls=required"),
                }
            })?;
            Some(channel)
        }
        _ => {
            return Err(SettingsError::Invalid {
                var: "MILEPOST_SMTP_URL",
                value: "<hidden>".into(),
                reason: "alert email needs MILEPOST_SMTP_URL, MILEPOST_ALERT_EMAIL_FROM and MILEPOST_ALERT_EMAIL_TO together".into(),
            })
        }
    };
    let alerts_url = public_url
        .join("/integrations/alerts")
        .map(|u| u.to_string())
        .unwrap_or_default();
    Ok(AlertSettings {
        digest_every,
        channels: Channels {
            webhook,
            email,
            alerts_url,
        },
    })
}

fn parse<T>(
    var: &'static str,
    value: String,
    f: impl FnOnce(String) -> Result<T, String>,
) -> Result<T, SettingsError> {
    f(value.clone()).map_err(|reason| SettingsError::Invalid { var, value, reason })
}

fn number<T>(
    var: &'static str,
    value: Option<String>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, SettingsError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(SettingsError::Invalid {
            var,
            value,
            reason: format!(
                "expected a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn with_nothing_set_milepost_uses_its_own_postgres_on_port_3000() {
        let s = settings(&[]).unwrap();
        assert!(s.database_url.is_none());
        assert_eq!(s.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(s.data_dir, PathBuf::from(".milepost"));
        assert!(!s.secure_cookies());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = settings(&[("MILEPOST_LISTEN_ADDR", "localhost")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("MILEPOST_LISTEN_ADDR=\"localhost\" is not valid"),
            "{err}"
        );
        let err = settings(&[("MILEPOST_SESSION_IDLE_MINUTES", "0")]).unwrap_err();
        assert!(
            err.to_string().contains("MILEPOST_SESSION_IDLE_MINUTES"),
            "{err}"
        );
        let err = settings(&[("MILEPOST_LOG_FORMAT", "yaml")]).unwrap_err();
        assert!(err.to_string().contains("MILEPOST_LOG_FORMAT"), "{err}");
        let err = settings(&[("MILEPOST_PUBLIC_URL", "ftp://x")]).unwrap_err();
        assert!(err.to_string().contains("MILEPOST_PUBLIC_URL"), "{err}");
        let err = settings(&[("MILEPOST_TRUSTED_PROXIES", "10.0.0.0/8,lb")]).unwrap_err();
        assert!(
            err.to_string().contains("MILEPOST_TRUSTED_PROXIES"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_database_url_is_named_without_echoing_its_password() {
        let err = settings(&[("DATABASE_URL", "mysql://u:hunter2@h/db")]).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("DATABASE_URL"));
        assert!(!message.contains("hunter2"));
    }

    #[test]
    fn an_https_public_url_makes_cookies_secure() {
        let s = settings(&[("MILEPOST_PUBLIC_URL", "https://milepost.example.com")]).unwrap();
        assert!(s.secure_cookies());
    }

    #[test]
    fn alert_channels_are_configured_whole_or_refused_by_name() {
        let s = settings(&[]).unwrap();
        assert!(s.alerts.channels.names().is_empty());
        assert_eq!(s.alerts.digest_every, Duration::from_secs(300));
        let s = settings(&[
            (
                "MILEPOST_ALERT_WEBHOOK_URL",
                "https://hooks.example.com/T1/B2",
            ),
            (
                "MILEPOST_ALERT_WEBHOOK_SECRET",
                "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
            ),
            ("MILEPOST_ALERT_WEBHOOK_FORMAT", "slack"),
            ("MILEPOST_SMTP_URL", "smtps://ops:pw@smtp.example.com:465"),
            ("MILEPOST_ALERT_EMAIL_FROM", "Milepost <alerts@example.com>"),
            (
                "MILEPOST_ALERT_EMAIL_TO",
                "ops@example.com, Night Desk <night@example.com>",
            ),
        ])
        .unwrap();
        assert_eq!(s.alerts.channels.names(), vec!["webhook", "email"]);
        assert_eq!(s.alerts.channels.email.as_ref().unwrap().to.len(), 2);
        assert_eq!(
            s.alerts.channels.alerts_url,
            "http://127.0.0.1:3000/integrations/alerts"
        );

        let err =
            settings(&[("MILEPOST_ALERT_WEBHOOK_URL", "https://hooks.example.com/x")]).unwrap_err();
        assert!(
            err.to_string().contains("MILEPOST_ALERT_WEBHOOK_SECRET"),
            "{err}"
        );
        let err = settings(&[
            ("MILEPOST_ALERT_WEBHOOK_URL", "https://hooks.example.com/x"),
            ("MILEPOST_ALERT_WEBHOOK_SECRET", "not base64 !"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("MILEPOST_ALERT_WEBHOOK_SECRET"),
            "{err}"
        );
        let err = settings(&[("MILEPOST_SMTP_URL", "smtps://u:hunter2@h:465")]).unwrap_err();
        assert!(err.to_string().contains("MILEPOST_ALERT_EMAIL_TO"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = settings(&[
            ("MILEPOST_SMTP_URL", "smtps://h:465"),
            ("MILEPOST_ALERT_EMAIL_FROM", "alerts@example.com"),
            ("MILEPOST_ALERT_EMAIL_TO", "ops@example.com, not an address"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("MILEPOST_ALERT_EMAIL_TO"), "{err}");
    }

    #[test]
    fn retention_defaults_and_a_body_that_would_outlive_its_events() {
        let s = settings(&[("MILEPOST_DATA_DIR", "/var/lib/milepost")]).unwrap();
        assert_eq!(s.retention.inbox_body_days, 90);
        assert_eq!(s.retention.event_months, 24);
        assert_eq!(
            s.retention.archive_dir,
            PathBuf::from("/var/lib/milepost/archive")
        );
        let err = settings(&[
            ("MILEPOST_RETAIN_EVENT_MONTHS", "2"),
            ("MILEPOST_RETAIN_INBOX_BODY_DAYS", "90"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("MILEPOST_RETAIN_INBOX_BODY_DAYS"),
            "{err}"
        );
        let s = settings(&[
            ("MILEPOST_RETAIN_EVENT_MONTHS", "0"),
            ("MILEPOST_RETAIN_INBOX_BODY_DAYS", "0"),
        ])
        .unwrap();
        assert_eq!(
            (s.retention.event_months, s.retention.inbox_body_days),
            (0, 0)
        );
    }

    #[test]
    fn cargo_leptos_site_addr_is_the_default_listen_address() {
        let s = settings(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100")]).unwrap();
        assert_eq!(s.listen_addr.port(), 3100);
    }
}
