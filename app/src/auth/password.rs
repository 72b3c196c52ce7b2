//! Argon2id password hashing, always off the async threads.

use crate::error::AppError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

pub use crate::store::users::PasswordHashString;

/// Fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verified against when the email is unknown, so a wrong email costs as much time as a wrong
/// password and the answer time does not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"milepost-dummy-password", &salt)
        .expect("hashing a constant")
        .to_string()
});

/// Runs CPU-heavy password work on the blocking pool; any failure is logged as `what` and
/// reported as `Internal`.
async fn off_the_async_threads<T, E>(
    what: &'static str,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, AppError>
where
    T: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "{what} failed");
            Err(AppError::Internal)
        }
        Err(e) => {
            tracing::error!(error = %e, "{what} task failed");
            Err(AppError::Internal)
        }
    }
}

/// Hashes `password` with a fresh salt.
pub async fn hash(password: SecretString) -> Result<PasswordHashString, AppError> {
    off_the_async_threads("password hashing", move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| PasswordHashString::from_stored(h.to_string()))
    })
    .await
}

/// How long a caller refused for lack of a hashing slot is asked to wait.
const BUSY_RETRY_SECONDS: u32 = 2;

/// Whether `password` matches `stored`; with `None`, checks against a dummy hash and returns false.
/// Takes one of `slots` for the duration, or refuses with `TooManyRequests` when none is free.
pub async fn verify(
    slots: &Arc<Semaphore>,
    password: SecretString,
    stored: Option<PasswordHashString>,
) -> Result<bool, AppError> {
    let Ok(slot) = slots.clone().try_acquire_owned() else {
        tracing::warn!("password check refused: every hashing slot is busy");
        return Err(AppError::TooManyRequests {
            message: "The server is busy checking other sign-ins. Try again in a moment.".into(),
            retry_after_seconds: BUSY_RETRY_SECONDS,
        });
    };
    off_the_async_threads("password verification", move || {
        let _slot = slot;
        let known = stored.is_some();
        let phc = stored
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        // A stored hash that is not a PHC string is corrupt data: an error, not a mismatch.
        let parsed = PasswordHash::new(&phc)?;
        let matches = hasher()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok::<bool, argon2::password_hash::Error>(known && matches)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots() -> Arc<Semaphore> {
        Arc::new(Semaphore::new(2))
    }

    #[tokio::test]
    async fn a_check_with_every_slot_taken_is_refused_with_retry_after_not_queued() {
        let slots = Arc::new(Semaphore::new(1));
        let _busy = slots.clone().try_acquire_owned().unwrap();
        let err = verify(&slots, SecretString::from("anything at all"), None)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 429);
        assert_eq!(err.retry_after_seconds(), Some(BUSY_RETRY_SECONDS));
    }

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_different_one_does_not() {
        let stored = hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(stored.as_str().starts_with("$argon2id$"));
        assert!(verify(
            &slots(),
            SecretString::from("correct horse battery"),
            Some(stored.clone())
        )
        .await
        .unwrap());
        assert!(!verify(
            &slots(),
            SecretString::from("wrong horse battery"),
            Some(stored)
        )
        .await
        .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_dummy_password() {
        assert!(!verify(
            &slots(),
            SecretString::from("milepost-dummy-password"),
            None
        )
        .await
        .unwrap());
    }

    #[test]
    fn a_hash_never_shows_in_debug_output() {
        let h = PasswordHashString::from_stored("$argon2id$v=19$secret".into());
        assert!(!format!("{h:?}").contains("secret"));
    }
}
