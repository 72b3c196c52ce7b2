//! Secrets at rest: connector signing secrets and URL tokens, the Odoo API key, the WMS token and
//! customer webhook secrets are stored sealed with XChaCha20-Poly1305 (an AEAD: a changed byte is
//! an error, never a wrong secret), as `mpenc:v1:<key id>:<base64 nonce and ciphertext>`.
//!
//! The key comes from `MILEPOST_SECRETS_KEY` (base64 of 32 bytes), else the file named by
//! `MILEPOST_SECRETS_KEY_FILE`, else `<MILEPOST_DATA_DIR>/secrets.key`, which is made (mode 0600)
//! on first use so `make run` needs nothing. A key file may hold several keys, one per line: the
//! first seals, every one opens. Rotating the key (docs/SECURITY.md): put a new key on the first
//! line and the old one below it, run `milepost secrets rotate` (everything is sealed again under
//! the new key), then remove the old line.
//!
//! A value without the prefix is a secret stored before encryption: it is read as it is, and
//! `seal_stored_plaintext` (run by `milepost migrate` and at start-up) seals it.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const PREFIX: &str = "mpenc:v1:";
const NONCE_BYTES: usize = 24;

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("{0}")]
    Key(String),
    #[error("a stored secret was sealed with key {0}, which is not in the key ring (MILEPOST_SECRETS_KEY or the key file)")]
    UnknownKey(String),
    #[error("a stored secret does not open with its key: it was changed, or the key is wrong")]
    Tampered,
    #[error("a stored secret is not in the mpenc:v1 format")]
    Malformed,
}

/// The keys: the first seals, all open.
pub struct Keyring {
    keys: Vec<(String, XChaCha20Poly1305)>,
}

/// A key's id: the first 8 hex digits of its SHA-256, so a sealed value names the key it needs
/// without revealing it.
fn key_id(key: &[u8]) -> String {
    Sha256::digest(key)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Keyring {
    /// Keys from text: base64 keys of 32 bytes, one per line (blank lines and `#` comments
    /// ignored), the sealing key first.
    pub fn parse(text: &str) -> Result<Self, SecretsError> {
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bytes = BASE64.decode(line).map_err(|_| {
                SecretsError::Key(format!("secrets key on line {} is not base64", n + 1))
            })?;
            if bytes.len() != 32 {
                return Err(SecretsError::Key(format!(
                    "secrets key on line {} is {} bytes; it must be 32 (make one with `milepost secrets new-key`)",
                    n + 1,
                    bytes.len()
                )));
            }
            keys.push((
                key_id(&bytes),
                XChaCha20Poly1305::new(Key::from_slice(&bytes)),
            ));
        }
        if keys.is_empty() {
            return Err(SecretsError::Key(
                "the secrets key file holds no key".into(),
            ));
        }
        Ok(Self { keys })
    }

    /// A new random key, base64.
    pub fn new_key() -> String {
        BASE64.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// The sealing key's id.
    pub fn current_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, plain: &str) -> String {
        let (id, cipher) = &self.keys[0];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("sealing in memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{id}:{}", BASE64.encode(bytes))
    }

    /// The plain secret; a value stored before encryption is returned as it is.
    pub fn open(&self, stored: &str) -> Result<String, SecretsError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let (id, body) = rest.split_once(':').ok_or(SecretsError::Malformed)?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .ok_or_else(|| SecretsError::UnknownKey(id.to_string()))?;
        let bytes = BASE64.decode(body).map_err(|_| SecretsError::Malformed)?;
        if bytes.len() < NONCE_BYTES {
            return Err(SecretsError::Malformed);
        }
        let plain = cipher
            .decrypt(
                XNonce::from_slice(&bytes[..NONCE_BYTES]),
                &bytes[NONCE_BYTES..],
            )
            .map_err(|_| SecretsError::Tampered)?;
        String::from_utf8(plain).map_err(|_| SecretsError::Tampered)
    }

    /// Whether `stored` is sealed under the current key (nothing to do when rotating).
    fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.current_id())
    }

    /// Each string value of a JSON object sealed (for `connector.secrets`).
    pub fn seal_values(&self, secrets: &Value) -> Value {
        match secrets {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = match v.as_str() {
                            Some(s) => Value::String(self.seal(s)),
                            None => v.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Where the key comes from.
pub fn load(data_dir: &Path) -> Result<Keyring, SecretsError> {
    if let Some(key) = std::env::var("MILEPOST_SECRETS_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        return Keyring::parse(&key)
            .map_err(|e| SecretsError::Key(format!("MILEPOST_SECRETS_KEY: {e}")));
    }
    let file = std::env::var("MILEPOST_SECRETS_KEY_FILE")
        .ok()
        .filter(|f| !f.trim().is_empty())
        .map(PathBuf::from);
    let path = match file {
        Some(path) => path,
        None => {
            let path = data_dir.join("secrets.key");
            make_key_file_once(&path)?;
            path
        }
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| SecretsError::Key(format!("reading {}: {e}", path.display())))?;
    Keyring::parse(&text).map_err(|e| SecretsError::Key(format!("{}: {e}", path.display())))
}

/// Makes the default key file when there is none. Written aside and linked into place, so a
/// process racing this one reads either no file or a whole one.
fn make_key_file_once(path: &Path) -> Result<(), SecretsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return Ok(());
    }
    let fail = |e: std::io::Error| SecretsError::Key(format!("making {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let aside = path.with_extension(format!("new-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&aside)
        .map_err(fail)?;
    writeln!(
        file,
        "# Milepost's secrets key (docs/SECURITY.md). Back it up: without it, stored secrets cannot be read.\n{}",
        Keyring::new_key()
    )
    .map_err(fail)?;
    file.sync_all().map_err(fail)?;
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "made a new secrets key");
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(e)),
    }
}

static KEYRING: OnceLock<Keyring> = OnceLock::new();

/// Installs the process's key ring (the binary does this first thing, so a bad key stops it
/// with a clear message). Installing twice keeps the first.
pub fn install(keyring: Keyring) {
    let _ = KEYRING.set(keyring);
}

/// The process's key ring: the installed one, else loaded from the environment as `load` does
/// with the data directory of `MILEPOST_DATA_DIR` (library users and tests).
pub fn keyring() -> &'static Keyring {
    KEYRING.get_or_init(|| {
        let data_dir = std::env::var("MILEPOST_DATA_DIR").unwrap_or_else(|_| ".milepost".into());
        load(Path::new(&data_dir)).unwrap_or_else(|e| panic!("the secrets key: {e}"))
    })
}

/// Seals every stored secret that is still plain text (from before encryption); with `rotate`,
/// also every one sealed under an older key. Returns how many were sealed.
pub async fn seal_stored(pool: &PgPool, rotate: bool) -> anyhow::Result<u64> {
    let ring = keyring();
    let needs = |s: &str| {
        if rotate {
            !ring.is_current(s)
        } else {
            !s.starts_with(PREFIX)
        }
    };
    let mut tx = pool.begin().await?;
    let mut sealed = 0;
    for (id, secrets) in crate::store::connectors::all_secrets(&mut *tx).await? {
        let Value::Object(map) = &secrets else {
            continue;
        };
        let mut changed = false;
        let mut out = map.clone();
        for (_, v) in out.iter_mut() {
            if let Some(s) = v.as_str().filter(|s| needs(s)) {
                *v = Value::String(ring.seal(&ring.open(s)?));
                changed = true;
                sealed += 1;
            }
        }
        if changed {
            crate::store::connectors::replace_secrets(&mut *tx, id, &Value::Object(out)).await?;
        }
    }
    for (id, secret) in crate::store::webhooks::all_secrets(&mut *tx).await? {
        if needs(&secret) {
            let resealed = ring.seal(&ring.open(&secret)?);
            crate::store::webhooks::replace_secret(&mut *tx, id, &resealed).await?;
            sealed += 1;
        }
    }
    tx.commit().await?;
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(keys: &[&str]) -> Keyring {
        Keyring::parse(&keys.join("\n")).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_to_itself_and_never_shows_it() {
        let k = Keyring::new_key();
        let r = ring(&[&k]);
        let sealed = r.seal("whsec_abc123");
        assert!(sealed.starts_with("mpenc:v1:"), "{sealed}");
        assert!(!sealed.contains("abc123"));
        assert_ne!(sealed, r.seal("whsec_abc123"), "a fresh nonce each time");
        assert_eq!(r.open(&sealed).unwrap(), "whsec_abc123");
    }

    #[test]
    fn a_changed_byte_is_an_error_not_a_wrong_secret() {
        let r = ring(&[&Keyring::new_key()]);
        let sealed = r.seal("token");
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = BASE64.decode(body).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{head}:{}", BASE64.encode(bytes));
        assert!(matches!(r.open(&tampered), Err(SecretsError::Tampered)));
    }

    #[test]
    fn after_rotation_old_values_open_and_new_ones_use_the_new_key() {
        let (old, new) = (Keyring::new_key(), Keyring::new_key());
        let before = ring(&[&old]).seal("s3cret");
        let rotated = ring(&[&new, &old]);
        assert_eq!(rotated.open(&before).unwrap(), "s3cret");
        assert!(!rotated.is_current(&before));
        let after = rotated.seal("s3cret");
        assert!(rotated.is_current(&after));
        let only_new = ring(&[&new]);
        assert!(matches!(
            only_new.open(&before),
            Err(SecretsError::UnknownKey(_))
        ));
        assert_eq!(only_new.open(&after).unwrap(), "s3cret");
    }

    #[test]
    fn plain_text_from_before_encryption_reads_as_it_is() {
        let r = ring(&[&Keyring::new_key()]);
        assert_eq!(r.open("whsec_legacy").unwrap(), "whsec_legacy");
    }

    #[test]
    fn a_bad_key_says_how_to_make_a_good_one() {
        let e = Keyring::parse("c2hvcnQ=").err().unwrap().to_string();
        assert!(
            e.contains("32") && e.contains("milepost secrets new-key"),
            "{e}"
        );
    }

    #[test]
    fn the_default_key_file_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("mp-secrets-{}", uuid::Uuid::new_v4()));
        let path = dir.join("secrets.key");
        make_key_file_once(&path).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        make_key_file_once(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        Keyring::parse(&first).unwrap();
        std::fs::remove_dir_all(dir).unwrap();
    }
}
