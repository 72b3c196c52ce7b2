//! API keys: `mpk_<prefix>_<secret>`. The prefix is shown in lists; only a SHA-256 of the whole
//! key is stored. A fast hash is right here (unlike passwords): the secret is 256 random bits, so
//! it cannot be guessed, and every API call checks it.

use super::directory::{Directory, KnownKey};
use super::error::IngestError;
use crate::store::api_keys;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// A new key: shown once, then only its prefix and hash exist.
pub struct IssuedKey {
    pub key: String,
    pub prefix: String,
    pub sha256: Vec<u8>,
}

pub fn issue() -> IssuedKey {
    let mut rng = rand::rng();
    let mut prefix = [0u8; 6];
    let mut secret = [0u8; 32];
    rng.fill_bytes(&mut prefix);
    rng.fill_bytes(&mut secret);
    let prefix = format!(
        "mpk_{}",
        prefix
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let key = format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(secret));
    let sha256 = Sha256::digest(key.as_bytes()).to_vec();
    IssuedKey {
        key,
        prefix,
        sha256,
    }
}

/// The prefix of a presented key (`mpk_` and 12 hex digits), if it has the shape of one.
fn prefix_of(key: &str) -> Option<&str> {
    let prefix = key.get(..16)?;
    (prefix.starts_with("mpk_") && key.as_bytes().get(16) == Some(&b'_')).then_some(prefix)
}

/// Checks `Authorization: Bearer <key>`; returns the key with its connector, from the
/// directory's cache when it can.
pub async fn authenticate(
    directory: &Directory,
    authorization: Option<&str>,
) -> Result<Arc<KnownKey>, IngestError> {
    let unauthorized = |m: &str| IngestError::Unauthorized(m.to_string());
    let header =
        authorization.ok_or_else(|| unauthorized("missing Authorization: Bearer <API key>"))?;
    let key = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <API key>`"))?
        .trim();
    let prefix = prefix_of(key).ok_or_else(|| unauthorized("this is not a Milepost API key"))?;
    let found = directory
        .key(prefix)
        .await?
        .ok_or_else(|| unauthorized("unknown API key"))?;
    let stored = &found.key;
    let presented = Sha256::digest(key.as_bytes());
    if !bool::from(presented.as_slice().ct_eq(&stored.secret_sha256)) {
        return Err(unauthorized("unknown API key"));
    }
    if stored.revoked_at.is_some() {
        return Err(unauthorized("this API key was revoked"));
    }
    let now = Utc::now();
    if stored.expires_at.is_some_and(|at| at <= now) {
        return Err(unauthorized(
            "this API key was rotated and its grace period is over",
        ));
    }
    // Last use is kept to the minute: a busy sender does not write on every call, and of the
    // calls that arrive together only the one that moves the mark writes.
    let last = found.last_recorded_use.load(Ordering::Relaxed);
    if now.timestamp() - last > 60
        && found
            .last_recorded_use
            .compare_exchange(last, now.timestamp(), Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        api_keys::touch(directory.pool(), stored.api_key_id).await?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_keys_carry_their_prefix_and_hash() {
        let issued = issue();
        assert_eq!(prefix_of(&issued.key), Some(issued.prefix.as_str()));
        assert_eq!(
            Sha256::digest(issued.key.as_bytes()).to_vec(),
            issued.sha256
        );
        assert_ne!(issue().key, issued.key);
    }

    #[test]
    fn anything_else_is_not_a_key() {
        assert_eq!(prefix_of("mpk_short"), None);
        assert_eq!(prefix_of("sk_live_0123456789abcdef"), None);
    }
}
