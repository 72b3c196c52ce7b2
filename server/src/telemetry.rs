//! Logging: human-readable lines by default, JSON with `MILEPOST_LOG_FORMAT=json`. Logs go to
//! stderr, so stdout stays for what a command prints on purpose (`milepost db start` prints a URL).

use crate::settings::LogFormat;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the global subscriber once. `filter` is a tracing filter such as `info` or
/// `milepost=debug,sqlx=warn`; an invalid filter falls back to `info` and says so.
pub fn init(format: LogFormat, filter: &str) {
    let (filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e.to_string())),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => registry
            .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_writer(std::io::stderr)
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_span_list(true),
            )
            .try_init(),
    };
    if result.is_ok() {
        if let Some(e) = bad_filter {
            tracing::warn!(error = %e, "MILEPOST_LOG is not a valid filter; logging at info");
        }
    }
}
