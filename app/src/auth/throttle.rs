//! Sign-in throttling: after too many failures for one email or one client address within the
//! window, further attempts are refused until the oldest failure leaves the window. Counts live in
//! Postgres so every app process behind a load balancer sees the same numbers.

use super::AuthConfig;
use crate::error::AppError;
use crate::store;
use chrono::Utc;
use sqlx::PgPool;

/// Refuses the attempt with `TooManyRequests` when the email or the address is over the limit.
pub async fn check(
    pool: &PgPool,
    config: &AuthConfig,
    email: &str,
    client_addr: &str,
) -> Result<(), AppError> {
    let window =
        chrono::Duration::from_std(config.throttle_window).unwrap_or(chrono::Duration::minutes(15));
    let since = Utc::now() - window;
    let counts = store::login_failures::recent(pool, email, client_addr, since).await?;
    let limit = config.throttle_max_failures;
    let blocking_oldest = [
        (counts.by_email >= limit)
            .then_some(counts.oldest_by_email)
            .flatten(),
        (counts.by_client_addr >= limit)
            .then_some(counts.oldest_by_client_addr)
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .max();
    match blocking_oldest {
        None => Ok(()),
        Some(oldest) => {
            let wait = (oldest + window - Utc::now()).num_seconds().max(1);
            let minutes = (wait + 59) / 60;
            tracing::warn!(client.addr = %client_addr, "sign-in throttled");
            Err(AppError::TooManyRequests(format!(
                "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            )))
        }
    }
}
