//! IP networks (`address/prefix`) with std::net only.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 network: an address and a prefix length. The address is
/// stored with the host bits cleared.
///
/// Parses `192.0.2.0/24`, `192.0.2.1` (a host: /32), `2001:db8::/32`,
/// `::1` (/128) and Postfix's bracketed IPv6 forms `[::1]/128`,
/// `[2001:db8::]/32`. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
/// matched as the IPv4 address, so `127.0.0.0/8` covers `::ffff:127.0.0.1`.
///
/// # Examples
///
/// ```
/// use mta_core::maps::IpNetwork;
///
/// let net: IpNetwork = "[::ffff:127.0.0.0]/104".parse().unwrap();
/// assert!(net.contains("127.0.0.1".parse().unwrap()));
/// let lo: IpNetwork = "127.0.0.0/8".parse().unwrap();
/// assert!(lo.contains("::ffff:127.0.0.2".parse().unwrap()));
/// assert!(!lo.contains("10.0.0.1".parse().unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNetwork {
    addr: IpAddr,
    prefix: u8,
}

/// A string that is not an address or `address/prefix`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or network/prefix")]
pub struct NetworkParseError(pub String);

impl IpNetwork {
    /// A network from an address and prefix length (host bits are cleared).
    /// Returns `None` when the prefix is longer than the address.
    #[must_use]
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return None;
        }
        Some(IpNetwork {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// A single host (/32 or /128).
    #[must_use]
    pub fn host(addr: IpAddr) -> Self {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        IpNetwork { addr, prefix }
    }

    /// The network address.
    #[must_use]
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    #[must_use]
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// True when `ip` lies in this network.
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            // A mapped network such as [::ffff:127.0.0.0]/104 against a
            // plain IPv4 client.
            (IpAddr::V6(net), IpAddr::V4(v4)) => {
                mask(IpAddr::V6(v4.to_ipv6_mapped()), self.prefix) == IpAddr::V6(net)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) => false,
        }
    }
}

impl fmt::Display for IpNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.addr {
            IpAddr::V4(a) => write!(f, "{a}/{}", self.prefix),
            IpAddr::V6(a) => write!(f, "[{a}]/{}", self.prefix),
        }
    }
}

impl std::str::FromStr for IpNetwork {
    type Err = NetworkParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || NetworkParseError(s.to_owned());
        let (addr_text, prefix_text) = match s.rsplit_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr_text = match addr_text.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
            None => addr_text,
        };
        let addr: IpAddr = addr_text.parse().map_err(|_| bad())?;
        match prefix_text {
            None => Ok(IpNetwork::host(addr)),
            Some(p) => {
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let prefix: u8 = p.parse().map_err(|_| bad())?;
                IpNetwork::new(addr, prefix).ok_or_else(bad)
            }
        }
    }
}

/// An IPv4-mapped IPv6 address becomes the IPv4 address; others unchanged.
#[must_use]
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix.min(32)))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}
