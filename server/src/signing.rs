//! HMAC signing shared by both directions: intake verifies partners' signatures with it
//! (`ingest::signature`), customer webhooks are signed with it (`connectors::webhooks`), and the
//! demo, the stand-ins and the tests sign like a sender would. Comparisons are constant-time.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 of the parts, in order, under `key`.
pub fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Constant-time equality.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Standard Webhooks' `webhook-signature` value: `v1,` and the base64 HMAC of `id.timestamp.body`
/// under the base64 key after `whsec_`.
pub fn standard_webhooks(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = BASE64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .expect("a whsec_ secret");
    let ts = timestamp.to_string();
    format!(
        "v1,{}",
        BASE64.encode(mac(&key, &[id.as_bytes(), b".", ts.as_bytes(), b".", body]))
    )
}

/// Checks a Standard Webhooks secret: `whsec_` (optional) and base64 of at least 16 bytes.
pub fn check_whsec(secret: &str) -> Result<(), String> {
    match BASE64.decode(secret.strip_prefix("whsec_").unwrap_or(secret)) {
        Ok(key) if key.len() >= 16 => Ok(()),
        Ok(_) => Err("the key is shorter than 16 bytes".into()),
        Err(e) => Err(format!("expected whsec_ and base64: {e}")),
    }
}

/// Base64 HMAC of the body (AfterShip, ShipHero).
pub fn hmac_base64(secret: &str, body: &[u8]) -> String {
    BASE64.encode(mac(secret.as_bytes(), &[body]))
}

/// EasyPost's `X-Hmac-Signature` value.
pub fn easypost(secret: &str, body: &[u8]) -> String {
    format!(
        "hmac-sha256-hex={}",
        to_hex(&mac(secret.as_bytes(), &[body]))
    )
}
