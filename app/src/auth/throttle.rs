//! Password-guess throttling: at most `throttle_max_failures` password checks per email and per
//! client address within the window. Counts live in Postgres so every process behind a load
//! balancer sees the same numbers.
//!
//! The attempt is recorded *before* the password is checked, and the count it sees includes
//! itself. So however many arrive at once, each sees every attempt committed before it, and no
//! more than the limit are ever checked: checking first and recording the failure after (as this
//! once did) let 500 parallel attempts all pass the check and make 500 guesses. A refused attempt
//! removes its own row (it made no guess, and must not extend the lockout for ever); a successful
//! one removes its row and forgives that email's earlier failures.

use super::AuthConfig;
use crate::error::AppError;
use crate::store;
use chrono::Utc;
use sqlx::PgPool;

/// A recorded attempt, allowed to check one password.
#[must_use = "an admitted attempt is forgiven when the password was right"]
pub struct Admitted {
    attempt_id: i64,
}

/// Records the attempt and admits it, or refuses it with `TooManyRequests` when the email or the
/// address has had its share of checks in the window.
pub async fn admit(
    pool: &PgPool,
    config: &AuthConfig,
    email: &str,
    client_addr: &str,
) -> Result<Admitted, AppError> {
    let window =
        chrono::Duration::from_std(config.throttle_window).unwrap_or(chrono::Duration::minutes(15));
    let attempt_id = store::login_failures::record(pool, email, client_addr).await?;
    let since = Utc::now() - window;
    let counts = store::login_failures::recent(pool, email, client_addr, since).await?;
    let limit = config.throttle_max_failures;
    let blocking_oldest = [
        (counts.by_email > limit)
            .then_some(counts.oldest_by_email)
            .flatten(),
        (counts.by_client_addr > limit)
            .then_some(counts.oldest_by_client_addr)
            .flatten(),
    ]
    .into_iter()
    .flatten()
    .max();
    let Some(oldest) = blocking_oldest else {
        return Ok(Admitted { attempt_id });
    };
    store::login_failures::remove(pool, attempt_id).await?;
    let wait = (oldest + window - Utc::now()).num_seconds().max(1);
    let minutes = (wait + 59) / 60;
    tracing::warn!(client.addr = %client_addr, "password attempts throttled");
    Err(AppError::TooManyRequests {
        message: format!(
            "Too many failed attempts. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        ),
        retry_after_seconds: u32::try_from(wait).unwrap_or(u32::MAX),
    })
}

/// The password was right: the attempt was no failure, and the email's earlier failures are
/// forgiven (not the address's: one right password must not unlock guessing at other emails).
pub async fn forgive(pool: &PgPool, admitted: Admitted, email: &str) -> Result<(), AppError> {
    store::login_failures::remove(pool, admitted.attempt_id).await?;
    store::login_failures::clear_for_email(pool, email).await?;
    Ok(())
}

/// The attempt made no guess after all (no hashing slot was free, or the check failed on our
/// side): it is removed without forgiving anything.
pub async fn forgive_unchecked(pool: &PgPool, admitted: Admitted) -> Result<(), AppError> {
    store::login_failures::remove(pool, admitted.attempt_id).await?;
    Ok(())
}
