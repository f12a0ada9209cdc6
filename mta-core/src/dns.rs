//! Injectable DNS: the SMTP relay looks up MX and address records through
//! [`Resolver`], so tests can answer from a table; [`HickoryResolver`] is
//! the real one.
//!
//! The trait reports what RFC 5321 section 5.1 needs to tell apart: a
//! domain that does not exist (NXDOMAIN: the mail bounces), a name that
//! exists without records of the type (no MX: fall back to the domain's
//! address records as an implicit MX), and a failure to get an answer
//! (defer and retry). Interpreting the answer (sorting by preference, the
//! implicit MX, RFC 7505's null MX) is the relay's job.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError as HickoryDnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::RData;

/// One MX record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MxRecord {
    /// The preference (lower is preferred).
    pub preference: u16,
    /// The mail exchanger's host name, lowercased, without the final dot.
    /// Empty for the root name `.`, RFC 7505's "null MX" (the domain
    /// accepts no mail).
    pub exchange: String,
}

/// Why a lookup gave no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The name does not exist (NXDOMAIN): a permanent failure.
    #[error("{name}: host or domain name not found")]
    NotFound {
        /// The name looked up.
        name: String,
    },
    /// The name exists but has no records of this type (NOERROR, no data).
    #[error("{name}: no {record} records")]
    NoRecords {
        /// The name looked up.
        name: String,
        /// The record type (`MX`, `A/AAAA`).
        record: &'static str,
    },
    /// No answer could be had (timeout, SERVFAIL, refused, network error):
    /// a temporary failure.
    #[error("{name}: temporary DNS failure: {reason}")]
    Temporary {
        /// The name looked up.
        name: String,
        /// The resolver's message.
        reason: String,
    },
    /// The name is not a valid domain name.
    #[error("{name:?} is not a valid domain name")]
    BadName {
        /// The name given.
        name: String,
    },
    /// The resolver could not be set up (unreadable resolv.conf, no name
    /// servers).
    #[error("cannot set up the DNS resolver: {reason}")]
    Setup {
        /// The resolver's message.
        reason: String,
    },
}

impl DnsError {
    /// True for failures worth retrying later.
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        matches!(self, DnsError::Temporary { .. } | DnsError::Setup { .. })
    }
}

/// Looks up the records an SMTP relay needs.
#[async_trait::async_trait]
pub trait Resolver: Send + Sync {
    /// The MX records of `domain`, in the order received.
    ///
    /// # Errors
    ///
    /// [`DnsError::NotFound`], [`DnsError::NoRecords`] (no MX: RFC 5321
    /// section 5.1's implicit MX applies), [`DnsError::Temporary`].
    async fn mx(&self, domain: &str) -> Result<Vec<MxRecord>, DnsError>;

    /// The IPv4 and IPv6 addresses of `host` (an address literal is
    /// returned as is).
    ///
    /// # Errors
    ///
    /// As [`Resolver::mx`].
    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError>;
}

#[async_trait::async_trait]
impl<R: Resolver + ?Sized> Resolver for std::sync::Arc<R> {
    async fn mx(&self, domain: &str) -> Result<Vec<MxRecord>, DnsError> {
        (**self).mx(domain).await
    }

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        (**self).addresses(host).await
    }
}

/// The real resolver: hickory-resolver over tokio.
///
/// Names are looked up as fully qualified (a final dot is added), so the
/// search domains of resolv.conf never turn `example.com` into
/// `example.com.corp.example`.
#[derive(Clone)]
pub struct HickoryResolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HickoryResolver").finish_non_exhaustive()
    }
}

impl HickoryResolver {
    /// The system's configuration (`/etc/resolv.conf` on Unix).
    ///
    /// # Errors
    ///
    /// [`DnsError::Setup`] when the configuration cannot be read.
    pub fn from_system_conf() -> Result<Self, DnsError> {
        let builder = TokioResolver::builder_tokio().map_err(setup)?;
        Ok(HickoryResolver {
            inner: builder.build().map_err(setup)?,
        })
    }

    /// Queries the given name servers (UDP, then TCP for truncated
    /// answers), each attempt waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`DnsError::Setup`] when no server is given or the resolver cannot
    /// be built.
    pub fn with_name_servers(servers: &[SocketAddr], timeout: Duration) -> Result<Self, DnsError> {
        if servers.is_empty() {
            return Err(DnsError::Setup {
                reason: "no name servers".to_owned(),
            });
        }
        let name_servers = servers
            .iter()
            .map(|s| {
                let mut ns = NameServerConfig::udp_and_tcp(s.ip());
                for c in &mut ns.connections {
                    c.port = s.port();
                }
                ns
            })
            .collect();
        let mut builder = TokioResolver::builder_with_config(
            ResolverConfig::from_name_servers(name_servers),
            TokioRuntimeProvider::default(),
        );
        let options = builder.options_mut();
        options.timeout = timeout;
        options.attempts = 2;
        Ok(HickoryResolver {
            inner: builder.build().map_err(setup)?,
        })
    }
}

fn setup(e: NetError) -> DnsError {
    DnsError::Setup {
        reason: e.to_string(),
    }
}

/// `name` as a fully qualified name (with the final dot).
fn fqdn(name: &str) -> Result<String, DnsError> {
    let bad = || DnsError::BadName {
        name: name.to_owned(),
    };
    if name.is_empty()
        || name.len() > 254
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad());
    }
    Ok(if name.ends_with('.') {
        name.to_owned()
    } else {
        format!("{name}.")
    })
}

fn classify(name: &str, record: &'static str, e: &NetError) -> DnsError {
    match e {
        NetError::Dns(HickoryDnsError::NoRecordsFound(no)) => {
            if no.response_code == ResponseCode::NXDomain {
                DnsError::NotFound {
                    name: name.to_owned(),
                }
            } else {
                DnsError::NoRecords {
                    name: name.to_owned(),
                    record,
                }
            }
        }
        other => DnsError::Temporary {
            name: name.to_owned(),
            reason: other.to_string(),
        },
    }
}

#[async_trait::async_trait]
impl Resolver for HickoryResolver {
    async fn mx(&self, domain: &str) -> Result<Vec<MxRecord>, DnsError> {
        let query = fqdn(domain)?;
        let lookup = self
            .inner
            .mx_lookup(query.as_str())
            .await
            .map_err(|e| classify(domain, "MX", &e))?;
        let records: Vec<MxRecord> = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::MX(mx) => Some(MxRecord {
                    preference: mx.preference,
                    exchange: mx
                        .exchange
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                }),
                _ => None,
            })
            .collect();
        if records.is_empty() {
            // Only CNAMEs or other types in the answer.
            return Err(DnsError::NoRecords {
                name: domain.to_owned(),
                record: "MX",
            });
        }
        Ok(records)
    }

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, DnsError> {
        if let Ok(ip) = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
        {
            return Ok(vec![ip]);
        }
        let query = fqdn(host)?;
        let lookup = self
            .inner
            .lookup_ip(query.as_str())
            .await
            .map_err(|e| classify(host, "A/AAAA", &e))?;
        let addresses: Vec<IpAddr> = lookup.iter().collect();
        if addresses.is_empty() {
            return Err(DnsError::NoRecords {
                name: host.to_owned(),
                record: "A/AAAA",
            });
        }
        Ok(addresses)
    }
}
