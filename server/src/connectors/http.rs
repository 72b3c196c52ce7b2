//! The one way Milepost calls out over HTTP (Odoo, the WMS, customer webhooks), guarded against
//! being turned on the network it runs in (SSRF):
//!
//! - **No redirects.** A 3xx is an answer, recorded as it came; following it would re-send the
//!   request, credentials included, to wherever the other side pointed.
//! - **Public targets only**, unless an admin allowed a private network for that one connector or
//!   subscription (`allow_private_network`; the stand-ins and tests run on loopback). Loopback,
//!   private (RFC 1918, unique-local), link-local (cloud metadata at 169.254.169.254), CGNAT,
//!   multicast and unspecified addresses are refused, both when the URL names an address and when
//!   a name resolves to one (the resolver below filters every answer, so a name that resolves to
//!   a private address cannot slip through, and the address checked is the one connected to).
//! - **Bounded answers.** Only the first `MAX_RESPONSE_BYTES` of a response are read.
//!
//! `Retry-After` is clamped where it is read (`attempt::parse_retry_after`).

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most of a response body Milepost reads; the rest is left unread.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Where an outbound client may connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Targets {
    /// Public internet addresses only (the default).
    #[default]
    PublicOnly,
    /// Also loopback and private networks: allowed by an admin for one connector or
    /// subscription.
    AllowPrivate,
}

impl Targets {
    pub fn allowing_private(allow: bool) -> Self {
        if allow {
            Targets::AllowPrivate
        } else {
            Targets::PublicOnly
        }
    }
}

/// A client for `targets`, with `timeout` for the whole exchange and no redirects.
pub fn client(timeout: Duration, targets: Targets) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    match targets {
        Targets::AllowPrivate => builder.build(),
        Targets::PublicOnly => builder.dns_resolver(Arc::new(PublicOnly)).build(),
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT; 0.0.0.0/8; 198.18.0.0/15 benchmarking.
                || (a == 100 && (64..128).contains(&b))
                || a == 0
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Checks a URL before it is called: http or https, a host, and (when the host is an address
/// and only public targets are allowed) a public one. Names are checked when they resolve.
pub fn check_url(url: &str, targets: Targets) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "{url} must be an http(s) URL: only http and https are called"
        ));
    }
    let host = parsed.host().ok_or_else(|| format!("{url} has no host"))?;
    let ip = match host {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    };
    match ip {
        Some(ip) if targets == Targets::PublicOnly && !is_public(ip) => Err(format!(
            "{url} points at {ip}, a private, loopback or link-local address; an admin must allow private networks for this connector first"
        )),
        _ => Ok(()),
    }
}

/// Resolves with the system resolver and keeps public addresses only.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{host} resolves only to private, loopback or link-local addresses; an admin must allow private networks for this connector first"
                )
                .into();
                return Err(refused);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Reads at most `MAX_RESPONSE_BYTES` of the body as text (lossy UTF-8); the rest is not read.
pub async fn bounded_text(mut response: reqwest::Response) -> reqwest::Result<String> {
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_RESPONSE_BYTES - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Reads the body as bytes up to `limit`; `None` when it is longer (the rest is not read).
pub async fn bounded_bytes(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<Option<Vec<u8>>> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Ok(None);
    }
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_url_naming_a_private_address_is_refused_unless_allowed() {
        let err = check_url(
            "http://169.254.169.254/latest/meta-data",
            Targets::PublicOnly,
        )
        .unwrap_err();
        assert!(err.contains("169.254.169.254"), "{err}");
        assert!(check_url("http://[::1]:8069", Targets::PublicOnly).is_err());
        assert!(check_url("http://127.0.0.1:8069", Targets::AllowPrivate).is_ok());
        assert!(check_url("https://erp.example.com", Targets::PublicOnly).is_ok());
        assert!(check_url("file:///etc/passwd", Targets::AllowPrivate).is_err());
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_when_connecting() {
        let client = client(Duration::from_secs(5), Targets::PublicOnly).unwrap();
        let err = client.get("http://localhost:9/").send().await.unwrap_err();
        let chain = format!("{err:?}");
        assert!(chain.contains("private, loopback"), "{chain}");
    }
}
