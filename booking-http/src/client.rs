//! The client's address: the TCP peer's, or, when the peer is a proxy the
//! server is told to trust (`--trusted-proxy`), the one it forwards.
//!
//! The forwarded chain is read from the right, the way it was built: each
//! proxy appends the address it received the request from. The first hop
//! from the right that is not a trusted proxy is the client; anything to
//! its left was written by that client and proves nothing. `X-Forwarded-For`
//! is read when present, else `Forwarded` (RFC 7239 `for=`). A proxy that
//! sets only `Forwarded` must drop a client's `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::state::AppState;

/// The client's address (`0.0.0.0` when unknown, as in tests that drive
/// the router without a socket).
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<Arc<AppState<S>>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(client_address(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

/// The client of a request that `peer` sent with `headers`.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted =
        |address: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*address)));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop that is not an address ends the chain we can vouch for.
        let Some(address) = hop else { break };
        client = *address;
        if !is_trusted(address) {
            break;
        }
    }
    client
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}

/// The forwarded chain, left (first client) to right (last proxy); `None`
/// for a hop that is not an address (`unknown`, an obfuscated name).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or("garbage"))
            .collect::<Vec<_>>()
            .join(",")
    };
    if headers.contains_key("x-forwarded-for") {
        return values("x-forwarded-for")
            .split(',')
            .map(|hop| parse_hop(hop.trim()))
            .collect();
    }
    values("forwarded")
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.trim().split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| parse_hop(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    if let Ok(socket) = hop.parse::<SocketAddr>() {
        return Some(canonical(socket.ip()));
    }
    let inner = hop.strip_prefix('[')?.strip_suffix(']')?;
    inner.parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn proxies() -> Vec<IpNet> {
        vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let h = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]);
        assert_eq!(client_address(ip("9.9.9.9"), &h, &proxies()), ip("9.9.9.9"));
        assert_eq!(client_address(ip("127.0.0.1"), &h, &[]), ip("127.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let trusted = proxies();
        let at = |value: &str| {
            client_address(
                ip("127.0.0.1"),
                &headers(&[("x-forwarded-for", value)]),
                &trusted,
            )
        };
        assert_eq!(at("203.0.113.7"), ip("203.0.113.7"));
        // The client wrote the left part itself.
        assert_eq!(at("6.6.6.6, 203.0.113.7"), ip("203.0.113.7"));
        // Through two of our proxies.
        assert_eq!(at("6.6.6.6, 203.0.113.7, 10.1.1.1"), ip("203.0.113.7"));
        assert_eq!(at("[2001:db8::7]:4711, 10.1.1.1"), ip("2001:db8::7"));
        // Garbage stops the chain at the last proxy we trust.
        assert_eq!(at("203.0.113.7, garbage, 10.1.1.1"), ip("10.1.1.1"));
        // Only trusted hops: the left-most.
        assert_eq!(at("10.2.2.2, 10.1.1.1"), ip("10.2.2.2"));
        // Several header lines are one list.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &trusted),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https, for=10.1.1.1",
        )]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &h, &proxies()),
            ip("2001:db8::7")
        );
    }
}
