//! What a forward-path resolves to.

use std::fmt;
use std::path::PathBuf;

use super::address::Mailbox;

/// An RFC 3463 enhanced status code `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    /// 2, 4 or 5.
    pub class: u8,
    /// The subject.
    pub subject: u16,
    /// The detail.
    pub detail: u16,
}

impl EnhancedStatus {
    /// A status from its parts.
    #[must_use]
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedStatus {
            class,
            subject,
            detail,
        }
    }

    /// Parses `d.ddd.ddd` at the start of `text`; returns it and the rest.
    #[must_use]
    pub fn parse_prefix(text: &str) -> Option<(EnhancedStatus, &str)> {
        let word_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let (word, rest) = text.split_at(word_end);
        let mut parts = word.split('.');
        let class: u8 = parts.next()?.parse().ok()?;
        let subject: u16 = parts.next()?.parse().ok()?;
        let detail: u16 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(2..=5).contains(&class) || subject > 999 || detail > 999 {
            return None;
        }
        Some((
            EnhancedStatus::new(class, subject, detail),
            rest.trim_start(),
        ))
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// An SMTP reply the router or the restrictions chose (RFC 5321 section
/// 4.2 with an RFC 3463 enhanced status code).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reply {
    /// The three-digit reply code.
    pub code: u16,
    /// The enhanced status code.
    pub status: EnhancedStatus,
    /// The text after the codes.
    pub text: String,
}

impl Reply {
    /// A reply from its parts.
    #[must_use]
    pub fn new(code: u16, status: EnhancedStatus, text: impl Into<String>) -> Self {
        Reply {
            code,
            status,
            text: text.into(),
        }
    }

    /// True for a 4xx reply (try again later).
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.code, self.status, self.text)
    }
}

/// Where a relay delivery goes (transport(5) "nexthop").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NextHop {
    /// A domain or host name whose MX records are looked up (falling back
    /// to its address records): `example.com`, `example.com:587`.
    Mx {
        /// The name.
        domain: String,
        /// The port when given.
        port: Option<u16>,
    },
    /// A host whose address records are used directly, no MX lookup:
    /// `[mail.example.com]`, `[192.0.2.1]:2525`.
    Host {
        /// The host name or address (without brackets).
        host: String,
        /// The port when given.
        port: Option<u16>,
    },
    /// An LMTP server on a UNIX-domain socket: `unix:/path`.
    Unix(PathBuf),
}

impl NextHop {
    /// Parses a next hop (`[host]:port`, `host:port`, `host`, and for LMTP
    /// `unix:/path` and `inet:host:port`). A port may be a number or one of
    /// the service names smtp (25), lmtp (24), submission (587),
    /// smtps / submissions (465). Returns `None` for anything else.
    #[must_use]
    pub fn parse(text: &str) -> Option<NextHop> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            return (!path.is_empty()).then(|| NextHop::Unix(PathBuf::from(path)));
        }
        let text = text.strip_prefix("inet:").unwrap_or(text);
        if text.is_empty() || text.contains(char::is_whitespace) {
            return None;
        }
        if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(parse_port(p.strip_prefix(':')?)?),
            };
            return (!host.is_empty()).then(|| NextHop::Host {
                host: host.to_owned(),
                port,
            });
        }
        let (domain, port) = match text.rsplit_once(':') {
            Some((d, p)) => (d, Some(parse_port(p)?)),
            None => (text, None),
        };
        (!domain.is_empty()).then(|| NextHop::Mx {
            domain: domain.to_ascii_lowercase(),
            port,
        })
    }
}

fn parse_port(p: &str) -> Option<u16> {
    match p {
        "smtp" => Some(25),
        "lmtp" => Some(24),
        "submission" => Some(587),
        "smtps" | "submissions" => Some(465),
        _ => p.parse().ok().filter(|n| *n != 0),
    }
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextHop::Mx { domain, port } => match port {
                Some(p) => write!(f, "{domain}:{p}"),
                None => write!(f, "{domain}"),
            },
            NextHop::Host { host, port } => match port {
                Some(p) => write!(f, "[{host}]:{p}"),
                None => write!(f, "[{host}]"),
            },
            NextHop::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// Where one recipient goes. A forward-path can resolve to several routes
/// (an alias with several targets) and each route names the address it
/// delivers for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Route {
    /// Deliver to a local user's mailbox (the local delivery agent chooses
    /// the spool or home_mailbox).
    Local {
        /// The final address.
        recipient: Mailbox,
        /// The user (local part without extension, lowercased).
        user: String,
        /// The address extension (`tag` of `user+tag`), kept for delivery
        /// (Postfix passes it on as $extension).
        extension: Option<String>,
    },
    /// Deliver to a virtual mailbox.
    VirtualMailbox {
        /// The final address.
        recipient: Mailbox,
        /// virtual_mailbox_base joined with the table's result; a result
        /// ending in `/` is a Maildir.
        maildrop: PathBuf,
        /// Whether `maildrop` is a Maildir (the table result ended in `/`).
        maildir: bool,
    },
    /// Relay to another server (transports smtp, relay, lmtp).
    Relay {
        /// The final address.
        recipient: Mailbox,
        /// The transport name.
        transport: String,
        /// Where to.
        next_hop: NextHop,
    },
    /// A transport the router does not know (a master.cf service): passed
    /// on with its next hop as written.
    Transport {
        /// The final address.
        recipient: Mailbox,
        /// The transport name.
        transport: String,
        /// The next hop text.
        nexthop: String,
    },
    /// Pipe the message to a command (an aliases(5) `|command` target,
    /// allowed by policy in a root-owned table).
    Command {
        /// The alias address that led here.
        recipient: Mailbox,
        /// The command line.
        command: String,
    },
    /// Append the message to a file (an aliases(5) `/file` target).
    File {
        /// The alias address that led here.
        recipient: Mailbox,
        /// The file (ending in `/`: a Maildir).
        path: PathBuf,
    },
    /// Accept and drop (transport `discard:`).
    Discard {
        /// The address.
        recipient: Mailbox,
        /// The text after `discard:`.
        reason: String,
    },
    /// Refuse: unknown user, `error:` transport, a loop, a restricted alias
    /// target, or a temporary failure (4xx).
    Reject {
        /// The address.
        recipient: Mailbox,
        /// The reply.
        reply: Reply,
    },
}

impl Route {
    /// The address this route delivers for.
    #[must_use]
    pub fn recipient(&self) -> &Mailbox {
        match self {
            Route::Local { recipient, .. }
            | Route::VirtualMailbox { recipient, .. }
            | Route::Relay { recipient, .. }
            | Route::Transport { recipient, .. }
            | Route::Command { recipient, .. }
            | Route::File { recipient, .. }
            | Route::Discard { recipient, .. }
            | Route::Reject { recipient, .. } => recipient,
        }
    }
}

/// The result of resolving one forward-path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The forward-path as given.
    pub forward_path: Mailbox,
    /// The routes, in expansion order, without duplicates.
    pub routes: Vec<Route>,
}

impl Resolution {
    /// The first rejection, if any route is one.
    #[must_use]
    pub fn rejection(&self) -> Option<&Reply> {
        self.routes.iter().find_map(|r| match r {
            Route::Reject { reply, .. } => Some(reply),
            _ => None,
        })
    }
}
