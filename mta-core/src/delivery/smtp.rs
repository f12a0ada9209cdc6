//! The SMTP and LMTP delivery agents: find the next hop's addresses (MX
//! records, falling back to the address records, RFC 5321 section 5.1),
//! connect, and hand the message over with smtp-proto's client session.
//!
//! With `starttls` set, STARTTLS is used whenever the server offers it,
//! without authenticating the server (RFC 7435 opportunistic security,
//! Postfix's `smtp_tls_security_level = may`, see [`crate::tls`]); when
//! the handshake fails, the same address is tried again in plaintext, as
//! Postfix does at that level.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use smtp_proto::client::{Config, Envelope, Mode};
use smtp_proto::error::DriverError;
use smtp_proto::{ForwardPath, Host, Mailbox, ReversePath};

use super::Outcome;
use crate::dns::{DnsError, Resolver};
use crate::router::NextHop;

/// How long a TCP connect may take before the next address is tried.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One transaction's target and participants.
pub(crate) struct Transfer<'a> {
    pub next_hop: &'a NextHop,
    pub lmtp: bool,
    pub helo: &'a str,
    pub reverse_path: &'a str,
    pub recipients: &'a [String],
    pub content: Bytes,
    pub starttls: bool,
}

/// The result: a relay description and one outcome per recipient.
pub(crate) struct Transferred {
    pub relay: String,
    pub outcomes: Vec<Outcome>,
}

fn all(n: usize, o: &Outcome) -> Vec<Outcome> {
    vec![o.clone(); n]
}

/// The addresses to try, in order, for a next hop.
async fn targets(
    resolver: &dyn Resolver,
    next_hop: &NextHop,
    default_port: u16,
) -> Result<Vec<(String, SocketAddr)>, Outcome> {
    let (hosts, port) = match next_hop {
        NextHop::Host { host, port } => (vec![host.clone()], port.unwrap_or(default_port)),
        NextHop::Mx { domain, port } => {
            let port = port.unwrap_or(default_port);
            match resolver.mx(domain).await {
                Ok(mut mx) => {
                    mx.sort_by_key(|m| m.preference);
                    if mx.iter().any(|m| m.exchange.is_empty()) {
                        // RFC 7505 section 3: a null MX means no mail.
                        return Err(Outcome::bounced(format!(
                            "556 5.1.10 domain {domain} does not accept mail (null MX)"
                        )));
                    }
                    (mx.into_iter().map(|m| m.exchange).collect(), port)
                }
                // RFC 5321 section 5.1: no MX, the domain is its own mail
                // exchanger.
                Err(DnsError::NoRecords { .. }) => (vec![domain.clone()], port),
                Err(e @ DnsError::NotFound { .. }) => {
                    return Err(Outcome::bounced(format!("550 5.4.4 {e}")));
                }
                Err(e) => return Err(Outcome::deferred(format!("451 4.4.3 {e}"))),
            }
        }
        NextHop::Unix(_) => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    let mut last = None;
    for h in hosts {
        match resolver.addresses(&h).await {
            Ok(addrs) => out.extend(
                addrs
                    .into_iter()
                    .map(|ip: IpAddr| (h.clone(), SocketAddr::new(ip, port))),
            ),
            Err(e) => last = Some(e),
        }
    }
    if out.is_empty() {
        return Err(match last {
            Some(e @ DnsError::NotFound { .. }) => Outcome::bounced(format!("550 5.4.4 {e}")),
            Some(e) => Outcome::deferred(format!("451 4.4.3 {e}")),
            None => Outcome::deferred("451 4.4.3 no address for the next hop".to_owned()),
        });
    }
    Ok(out)
}

fn envelope(t: &Transfer<'_>) -> Result<Envelope, (usize, Outcome)> {
    let reverse_path = if t.reverse_path.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(Mailbox::parse(t.reverse_path).map_err(|_| {
            (
                usize::MAX,
                Outcome::bounced(format!("553 5.1.7 bad sender address {}", t.reverse_path)),
            )
        })?)
    };
    let mut recipients = Vec::new();
    for (i, r) in t.recipients.iter().enumerate() {
        let m = Mailbox::parse(r).map_err(|_| {
            (
                i,
                Outcome::bounced(format!("553 5.1.3 bad recipient address {r}")),
            )
        })?;
        recipients.push((ForwardPath::Mailbox(m), Default::default()));
    }
    Ok(Envelope {
        reverse_path,
        parameters: Default::default(),
        recipients,
    })
}

/// Runs one transaction against the next hop's addresses in turn.
pub(crate) async fn transfer(resolver: &dyn Resolver, t: Transfer<'_>) -> Transferred {
    let n = t.recipients.len();
    let env = match envelope(&t) {
        Ok(e) => e,
        Err((i, o)) => {
            let outcomes = if i == usize::MAX {
                all(n, &o)
            } else {
                // One bad address: bounce it, keep the others for a retry.
                (0..n)
                    .map(|k| {
                        if k == i {
                            o.clone()
                        } else {
                            Outcome::deferred(
                                "451 4.3.0 another recipient had a bad address".into(),
                            )
                        }
                    })
                    .collect()
            };
            return Transferred {
                relay: "none".into(),
                outcomes,
            };
        }
    };
    let helo = Host::parse(t.helo)
        .unwrap_or_else(|_| Host::parse("localhost").unwrap_or_else(|_| unreachable_host()));
    let mut config = Config::new(helo);
    if t.lmtp {
        config.mode = Mode::Lmtp;
    }
    if let NextHop::Unix(path) = t.next_hop {
        let relay = format!("{}", path.display());
        let r = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::UnixStream::connect(path))
            .await
        {
            Ok(Ok(s)) => {
                smtp_proto::tokio::send_message(s, config, env, t.content.clone(), None).await
            }
            Ok(Err(e)) => Err(DriverError::Io(e)),
            Err(_) => Err(DriverError::Timeout),
        };
        return Transferred {
            outcomes: outcomes_of(n, r),
            relay,
        };
    }
    let default_port = if t.lmtp { 24 } else { 25 };
    let targets = match targets(resolver, t.next_hop, default_port).await {
        Ok(v) => v,
        Err(o) => {
            return Transferred {
                relay: "none".into(),
                outcomes: all(n, &o),
            };
        }
    };
    let mut last = Outcome::deferred("451 4.4.1 no server answered".into());
    let mut relay = "none".to_owned();
    for (host, addr) in targets {
        relay = format!("{host}[{}]:{}", addr.ip(), addr.port());
        let stream =
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    last = Outcome::deferred(format!("451 4.4.1 connect to {relay}: {e}"));
                    continue;
                }
                Err(_) => {
                    last = Outcome::deferred(format!("451 4.4.1 connect to {relay}: timed out"));
                    continue;
                }
            };
        let connector = if t.starttls && !t.lmtp {
            crate::tls::Connector::opportunistic(&host).ok()
        } else {
            None
        };
        let tls = connector
            .as_ref()
            .map(|c| c as &dyn smtp_proto::tokio::TlsConnector);
        let mut r = smtp_proto::tokio::send_message(
            stream,
            config.clone(),
            env.clone(),
            t.content.clone(),
            tls,
        )
        .await;
        if matches!(r, Err(DriverError::Tls(_))) && tls.is_some() {
            // The handshake failed: at the `may` level the delivery goes on
            // in plaintext over a new connection.
            r = match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(s)) => {
                    smtp_proto::tokio::send_message(
                        s,
                        config.clone(),
                        env.clone(),
                        t.content.clone(),
                        None,
                    )
                    .await
                }
                Ok(Err(e)) => Err(DriverError::Io(e)),
                Err(_) => Err(DriverError::Timeout),
            };
        }
        match r {
            Ok(o) => {
                return Transferred {
                    relay,
                    outcomes: outcomes_of(n, Ok(o)),
                };
            }
            // The session failed before the transaction (greeting, EHLO,
            // a broken connection): try the next address, as RFC 5321
            // section 5.1 asks.
            Err(e) => last = failure(&e),
        }
    }
    Transferred {
        relay,
        outcomes: all(n, &last),
    }
}

#[cold]
fn unreachable_host() -> Host {
    Host::Literal(smtp_proto::AddressLiteral::Ipv4(
        std::net::Ipv4Addr::LOCALHOST,
    ))
}

fn failure(e: &DriverError) -> Outcome {
    Outcome::deferred(format!("451 4.4.2 {e}"))
}

fn outcomes_of(n: usize, r: Result<smtp_proto::client::Outcome, DriverError>) -> Vec<Outcome> {
    match r {
        Ok(o) => {
            let mut v: Vec<Outcome> = o
                .recipients
                .iter()
                .map(|rr| {
                    let text = reply_text(&rr.reply);
                    if rr.reply.is_positive() {
                        Outcome::sent(text)
                    } else if rr.reply.is_permanent() {
                        Outcome::bounced(text)
                    } else {
                        Outcome::deferred(text)
                    }
                })
                .collect();
            v.resize(
                n,
                Outcome::deferred("451 4.4.2 no reply for this recipient".into()),
            );
            v
        }
        Err(e) => all(n, &failure(&e)),
    }
}

/// A reply on one line: `250 2.0.0 text`.
fn reply_text(r: &smtp_proto::Reply) -> String {
    let mut s = r.code().get().to_string();
    if let Some(e) = r.enhanced() {
        s.push(' ');
        s.push_str(&e.to_string());
    }
    for l in r.lines() {
        s.push(' ');
        s.push_str(l);
    }
    s
}
