//! Which address a request came from, for throttling and rate limits.
//!
//! A forwarding header (`X-Forwarded-For` and the like) is written by whoever sends the request,
//! so its values are only as trustworthy as the hop that appended them. Each proxy appends the
//! address it received the request from; reading from the right, the first address that is not
//! one of our own proxies is the client. Values to its left were written by the client and are
//! ignored, so nobody can lock out another address or rotate past a per-address limit by writing
//! the header themselves. A request that did not come through a trusted proxy is its TCP peer,
//! whatever headers it carries.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// Where the client's address is read from.
#[derive(Clone, Debug, Default)]
pub struct ClientAddrPolicy {
    /// The header trusted proxies append the client address to (lowercase), e.g.
    /// `x-forwarded-for`; `None` when Milepost faces clients directly.
    pub header: Option<String>,
    /// The proxies' own addresses (`MILEPOST_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
}

impl ClientAddrPolicy {
    fn trusted(&self, addr: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&addr))
    }

    /// The client's address: the right-most address in the header that is not a trusted proxy,
    /// when the request reached us through one; else the TCP peer.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let Some(name) = self.header.as_deref() else {
            return peer;
        };
        if !self.trusted(peer) {
            return peer;
        }
        // Several header lines count as one comma-separated list, in order.
        let hops: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(addr) if self.trusted(addr) => client = addr,
                Some(addr) => return addr,
                // Garbage where an address should be: the last trusted hop is all we know.
                None => return client,
            }
        }
        client
    }
}

/// One hop as proxies write it: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`, `1.2.3.4:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    None
}

/// Parses `MILEPOST_TRUSTED_PROXIES`: addresses or CIDR ranges, separated by commas.
pub fn parse_trusted_proxies(value: &str) -> Result<Vec<IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<IpNet>()
                .or_else(|_| v.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{v}` is not an IP address or CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &str) -> ClientAddrPolicy {
        ClientAddrPolicy {
            header: Some("x-forwarded-for".into()),
            trusted_proxies: parse_trusted_proxies(trusted).unwrap(),
        }
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_value_the_client_wrote_left_of_the_proxy_is_ignored() {
        // The client sent "X-Forwarded-For: 198.51.100.9"; the proxy appended the real peer.
        let p = policy("10.0.0.0/8");
        let got = p.resolve(ip("10.0.0.2"), &headers(&["198.51.100.9, 203.0.113.7"]));
        assert_eq!(got, ip("203.0.113.7"));
    }

    #[test]
    fn chained_trusted_proxies_are_skipped_from_the_right() {
        let p = policy("10.0.0.0/8, 192.168.1.1");
        let got = p.resolve(
            ip("10.0.0.2"),
            &headers(&["1.1.1.1, 203.0.113.7", "192.168.1.1, 10.0.0.9"]),
        );
        assert_eq!(got, ip("203.0.113.7"));
    }

    #[test]
    fn a_request_not_from_a_trusted_proxy_is_its_peer_whatever_it_claims() {
        let p = policy("10.0.0.0/8");
        let got = p.resolve(ip("203.0.113.50"), &headers(&["127.0.0.1"]));
        assert_eq!(got, ip("203.0.113.50"));
    }

    #[test]
    fn without_a_header_setting_the_peer_is_the_client() {
        let p = ClientAddrPolicy::default();
        assert_eq!(
            p.resolve(ip("127.0.0.1"), &headers(&["9.9.9.9"])),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_trusted_hop() {
        let p = policy("10.0.0.0/8");
        let got = p.resolve(ip("10.0.0.2"), &headers(&["not-an-ip, 10.0.0.3"]));
        assert_eq!(got, ip("10.0.0.3"));
    }

    #[test]
    fn ports_and_brackets_are_read() {
        let p = policy("10.0.0.0/8");
        assert_eq!(
            p.resolve(ip("10.0.0.2"), &headers(&["[2001:db8::1]:443"])),
            ip("2001:db8::1")
        );
        assert_eq!(
            p.resolve(ip("10.0.0.2"), &headers(&["203.0.113.7:8080"])),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_bad_trusted_proxy_setting_names_the_value() {
        let err = parse_trusted_proxies("10.0.0.0/8, proxy.internal").unwrap_err();
        assert!(err.contains("proxy.internal"), "{err}");
    }
}
