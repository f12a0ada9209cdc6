//! Resolving a forward-path: virtual aliases, address class, transport
//! table, local aliases, user check.

use std::path::Path;

use super::address::Mailbox;
use super::route::{EnhancedStatus, NextHop, Reply, Resolution, Route};
use super::tables::Tables;
use super::users::LocalUsers;
use crate::config::MainConfig;
use crate::maps::{
    AliasTarget, MAX_TABLE_BYTES, TableRef, parse_alias_targets, split_extension, transport_lookup,
    virtual_lookup,
};

/// How deep `:include:` files may nest.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// How deep alias and virtual alias expansion may nest, whatever
/// virtual_alias_recursion_limit says: the walk is recursive, and this
/// bound keeps its stack use small (a few hundred kilobytes at most).
pub const MAX_EXPANSION_DEPTH: u32 = 100;

/// Which aliases(5) targets other than addresses the router honours.
///
/// Whatever the policy, command, file and include targets are refused for
/// an alias table (or include file) not owned by root, as Postfix's local
/// delivery agent does: a table anyone could edit must not run commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AliasPolicy {
    /// `|command` targets in alias tables (allow_mail_to_commands `alias`).
    pub commands: bool,
    /// `/file` targets in alias tables (allow_mail_to_files `alias`).
    pub files: bool,
    /// `:include:` targets in alias tables.
    pub includes: bool,
    /// `|command` targets inside `:include:` files
    /// (allow_mail_to_commands `include`).
    pub include_commands: bool,
    /// `/file` targets inside `:include:` files (allow_mail_to_files `include`).
    pub include_files: bool,
}

impl AliasPolicy {
    /// Nothing but addresses.
    #[must_use]
    pub fn addresses_only() -> Self {
        AliasPolicy::default()
    }

    /// Postfix's behaviour for a configuration: commands and files as
    /// allow_mail_to_commands / allow_mail_to_files say (Postfix's default
    /// `alias, forward` allows both in aliases), `:include:` always.
    #[must_use]
    pub fn from_config(config: &MainConfig) -> Self {
        AliasPolicy {
            commands: config.allow_mail_to_commands.alias,
            files: config.allow_mail_to_files.alias,
            includes: true,
            include_commands: config.allow_mail_to_commands.include,
            include_files: config.allow_mail_to_files.include,
        }
    }
}

/// The address class of a domain (Postfix ADDRESS_CLASS_README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Local,
    VirtualAlias,
    VirtualMailbox,
    Relay,
    Default,
}

fn reply(code: u16, status: (u8, u16, u16), text: impl Into<String>) -> Reply {
    Reply::new(
        code,
        EnhancedStatus::new(status.0, status.1, status.2),
        text,
    )
}

/// Where a target came from, for the owner and policy checks.
#[derive(Clone, Copy)]
enum Origin {
    AliasTable { root: bool },
    Include { root: bool },
}

pub(crate) struct Walk<'a, U: LocalUsers> {
    pub config: &'a MainConfig,
    pub tables: &'a Tables,
    pub users: &'a U,
    pub policy: AliasPolicy,
    pub routes: Vec<Route>,
    /// Lowercased addresses on the current expansion path (loop detection).
    chain: Vec<String>,
    expansions: u32,
}

impl<'a, U: LocalUsers> Walk<'a, U> {
    pub(crate) fn new(
        config: &'a MainConfig,
        tables: &'a Tables,
        users: &'a U,
        policy: AliasPolicy,
    ) -> Self {
        Walk {
            config,
            tables,
            users,
            policy,
            routes: Vec::new(),
            chain: Vec::new(),
            expansions: 0,
        }
    }

    pub(crate) fn resolve(mut self, forward_path: &Mailbox) -> Resolution {
        self.chain.push(forward_path.key());
        self.address(forward_path.clone(), 0, true);
        let mut routes: Vec<Route> = Vec::with_capacity(self.routes.len());
        for r in self.routes {
            if !routes.contains(&r) {
                routes.push(r);
            }
        }
        Resolution {
            forward_path: forward_path.clone(),
            routes,
        }
    }

    fn push(&mut self, route: Route) {
        self.routes.push(route);
    }

    fn reject(&mut self, recipient: &Mailbox, reply: Reply) {
        self.push(Route::Reject {
            recipient: recipient.clone(),
            reply,
        });
    }

    fn table_has(&self) -> impl Fn(&TableRef, &str) -> bool + '_ {
        |t, k| self.tables.keyed_has(t, k)
    }

    pub(crate) fn class(&self, domain: &str) -> Class {
        let has = self.table_has();
        let c = self.config;
        if c.mydestination.matches(domain, &has) {
            Class::Local
        } else if c.virtual_alias_domains.matches(domain, &has) {
            Class::VirtualAlias
        } else if c.virtual_mailbox_domains.matches(domain, &has) {
            Class::VirtualMailbox
        } else if c.relay_domains.matches(domain, &has) {
            Class::Relay
        } else {
            Class::Default
        }
    }

    /// A target of an alias or virtual alias: `user@domain`, or a bare
    /// name that gets `@$myorigin` (Postfix's append_at_myorigin).
    fn target_mailbox(&self, text: &str) -> Option<Mailbox> {
        if text.contains('@') {
            Mailbox::parse(text).ok()
        } else {
            Mailbox::new(text, &self.config.myorigin).ok()
        }
    }

    /// Guards one more expansion step: loop, depth and size limits.
    /// Returns false (after recording a rejection) when the step must not
    /// happen.
    fn enter(&mut self, from: &Mailbox, target: &Mailbox, depth: u32) -> bool {
        if self.chain.contains(&target.key()) {
            // RFC 3463 5.4.6 "Routing loop detected".
            self.reject(
                from,
                reply(
                    550,
                    (5, 4, 6),
                    format!("<{from}>: mail forwarding loop via <{target}>"),
                ),
            );
            return false;
        }
        self.expansions += 1;
        let limit_hit = depth >= self.config.virtual_alias_recursion_limit
            || depth >= MAX_EXPANSION_DEPTH
            || self.expansions > self.config.virtual_alias_expansion_limit;
        if limit_hit {
            // Postfix's cleanup defers the message when the recursion or
            // expansion limit is exceeded.
            self.reject(
                from,
                reply(
                    451,
                    (4, 3, 0),
                    format!("<{from}>: alias expansion limit exceeded"),
                ),
            );
            return false;
        }
        true
    }

    /// Routes an address: virtual alias expansion first (Postfix cleanup),
    /// then the address class.
    fn address(&mut self, addr: Mailbox, depth: u32, virtual_aliases: bool) {
        if virtual_aliases && !self.tables.virtual_alias.is_empty() {
            let c = self.config;
            let local_domain = addr.domain() == c.myorigin.to_ascii_lowercase()
                || c.mydestination.matches(addr.domain(), &self.table_has());
            let found = virtual_lookup(
                &self.tables.virtual_alias,
                &addr.local_part().to_lowercase(),
                addr.domain(),
                &c.recipient_delimiter,
                local_domain,
                c.propagate_virtual_extensions,
            );
            if let Some(targets) = found {
                for text in targets {
                    let Some(target) = self.target_mailbox(&text) else {
                        self.reject(
                            &addr,
                            reply(
                                451,
                                (4, 3, 5),
                                format!("<{addr}>: bad virtual alias target {text:?}"),
                            ),
                        );
                        continue;
                    };
                    if target.key() == addr.key() {
                        // virtual(5): an address that maps to itself is
                        // delivered as is, without further expansion.
                        self.class_route(addr.clone(), depth);
                    } else if self.enter(&addr, &target, depth + 1) {
                        self.chain.push(target.key());
                        self.address(target, depth + 1, true);
                        self.chain.pop();
                    }
                }
                return;
            }
        }
        self.class_route(addr, depth);
    }

    /// The address class's transport, or the transport table's override.
    fn class_route(&mut self, addr: Mailbox, depth: u32) {
        let c = self.config;
        let class = self.class(addr.domain());
        let (default_transport, default_nexthop) = match class {
            Class::Local => split_transport(&c.local_transport),
            Class::VirtualMailbox => split_transport(&c.virtual_transport),
            Class::Relay => split_transport(&c.relay_transport),
            Class::Default => split_transport(&c.default_transport),
            Class::VirtualAlias => {
                // unknown_virtual_alias_reject_code: 550.
                self.reject(
                    &addr,
                    reply(
                        550,
                        (5, 1, 1),
                        format!(
                            "<{addr}>: Recipient address rejected: User unknown in virtual alias table"
                        ),
                    ),
                );
                return;
            }
        };
        let entry = if self.tables.transport.is_empty() {
            None
        } else {
            transport_lookup(
                &self.tables.transport,
                &addr.local_part().to_lowercase(),
                addr.domain(),
                &c.recipient_delimiter,
                c.parent_matches("transport_maps"),
            )
        };
        let (transport, mut nexthop) = match entry {
            Some(e) => (
                if e.transport.is_empty() {
                    default_transport
                } else {
                    e.transport.clone()
                },
                if e.nexthop.is_empty() {
                    default_nexthop
                } else {
                    e.nexthop.clone()
                },
            ),
            None => (default_transport, default_nexthop),
        };
        if nexthop.is_empty() && matches!(class, Class::Relay | Class::Default) {
            // postconf(5) relayhost: the next hop for non-local mail.
            nexthop = c
                .relayhost
                .clone()
                .unwrap_or_else(|| addr.domain().to_owned());
        }
        match transport.as_str() {
            "local" => self.local(addr, depth, true),
            "virtual" => self.virtual_mailbox(addr),
            "error" => {
                // error(8): the next hop is the reason; a leading d.d.d is
                // the enhanced status, 5.0.0 by default.
                let (status, text) = EnhancedStatus::parse_prefix(&nexthop)
                    .unwrap_or((EnhancedStatus::new(5, 0, 0), nexthop.as_str()));
                let code = if status.class == 4 { 450 } else { 550 };
                let text = if text.is_empty() {
                    "delivery refused"
                } else {
                    text
                };
                self.reject(&addr, Reply::new(code, status, format!("<{addr}>: {text}")));
            }
            "discard" => self.push(Route::Discard {
                recipient: addr,
                reason: nexthop,
            }),
            "smtp" | "relay" | "lmtp" => {
                let target = if nexthop.is_empty() {
                    addr.domain().to_owned()
                } else {
                    nexthop
                };
                match NextHop::parse(&target) {
                    Some(next_hop) => self.push(Route::Relay {
                        recipient: addr,
                        transport,
                        next_hop,
                    }),
                    None => {
                        let r = reply(
                            451,
                            (4, 3, 5),
                            format!("<{addr}>: bad next hop {target:?} for transport {transport}"),
                        );
                        self.reject(&addr, r);
                    }
                }
            }
            _ => self.push(Route::Transport {
                recipient: addr,
                transport,
                nexthop,
            }),
        }
    }

    /// local(8): aliases (`user+ext`, then `user`), then the user check.
    fn local(&mut self, addr: Mailbox, depth: u32, expand: bool) {
        let c = self.config;
        let local = addr.local_part().to_lowercase();
        let (user, extension) = split_extension(&local, &c.recipient_delimiter);
        let (user, extension) = (user.to_owned(), extension.map(str::to_owned));
        if expand {
            let found = self
                .tables
                .aliases
                .get_with_table(&local)
                .or_else(|| {
                    (extension.is_some())
                        .then(|| self.tables.aliases.get_with_table(&user))
                        .flatten()
                })
                .map(|(targets, table)| (targets.clone(), table.owner_is_root()));
            if let Some((targets, root)) = found {
                self.alias_targets(&addr, &user, targets, Origin::AliasTable { root }, depth, 0);
                return;
            }
        }
        match self.users.exists(&user) {
            Ok(true) => self.push(Route::Local {
                recipient: addr,
                user,
                extension,
            }),
            Ok(false) => {
                let r = reply(
                    c.codes.unknown_local,
                    (5, 1, 1),
                    format!(
                        "<{addr}>: Recipient address rejected: User unknown in local recipient table"
                    ),
                );
                self.reject(&addr, r);
            }
            Err(_) => {
                let r = reply(
                    451,
                    (4, 3, 0),
                    format!("<{addr}>: Temporary lookup failure"),
                );
                self.reject(&addr, r);
            }
        }
    }

    fn alias_targets(
        &mut self,
        addr: &Mailbox,
        user: &str,
        targets: Vec<AliasTarget>,
        origin: Origin,
        depth: u32,
        include_depth: usize,
    ) {
        let (root, commands, files) = match origin {
            Origin::AliasTable { root } => (root, self.policy.commands, self.policy.files),
            Origin::Include { root } => (
                root,
                self.policy.include_commands,
                self.policy.include_files,
            ),
        };
        if targets.is_empty() {
            // An :include: file without addresses: refuse rather than
            // accept mail that would go nowhere.
            let r = reply(
                550,
                (5, 1, 1),
                format!("<{addr}>: alias expands to no recipients"),
            );
            self.reject(addr, r);
            return;
        }
        let restricted = |what: &str| {
            reply(
                550,
                (5, 7, 1),
                format!("<{addr}>: mail to {what} is restricted"),
            )
        };
        for target in targets {
            match target {
                AliasTarget::Address { address, expand } => {
                    let Some(t) = self.target_mailbox(&address) else {
                        let r = reply(
                            451,
                            (4, 3, 5),
                            format!("<{addr}>: bad alias target {address:?}"),
                        );
                        self.reject(addr, r);
                        continue;
                    };
                    let self_reference = t.key() == addr.key()
                        || (!address.contains('@') && address.eq_ignore_ascii_case(user));
                    if !expand || self_reference {
                        // `\user` or `user: user, ...`: the mailbox itself.
                        if self.class(t.domain()) == Class::Local {
                            self.local(t, depth, false);
                        } else {
                            self.class_route(t, depth);
                        }
                    } else if self.enter(addr, &t, depth + 1) {
                        self.chain.push(t.key());
                        self.address(t, depth + 1, true);
                        self.chain.pop();
                    }
                }
                AliasTarget::Command(command) => {
                    if root && commands {
                        self.push(Route::Command {
                            recipient: addr.clone(),
                            command,
                        });
                    } else {
                        self.reject(addr, restricted("command"));
                    }
                }
                AliasTarget::File(path) => {
                    if root && files {
                        self.push(Route::File {
                            recipient: addr.clone(),
                            path,
                        });
                    } else {
                        self.reject(addr, restricted("file"));
                    }
                }
                AliasTarget::Include(path) => {
                    let allowed = root && self.policy.includes;
                    if !allowed || include_depth >= MAX_INCLUDE_DEPTH {
                        self.reject(addr, restricted(":include: file"));
                        continue;
                    }
                    match read_include(&path) {
                        Ok((targets, include_root)) => self.alias_targets(
                            addr,
                            user,
                            targets,
                            Origin::Include { root: include_root },
                            depth,
                            include_depth + 1,
                        ),
                        Err(_) => {
                            let r = reply(
                                451,
                                (4, 3, 0),
                                format!("<{addr}>: cannot read include file {}", path.display()),
                            );
                            self.reject(addr, r);
                        }
                    }
                }
            }
        }
    }

    /// virtual(8): virtual_mailbox_maps for `user+ext@domain`,
    /// `user@domain`, then `@domain`.
    fn virtual_mailbox(&mut self, addr: Mailbox) {
        match self.virtual_mailbox_result(&addr) {
            Some(result) => {
                let maildir = result.ends_with('/');
                let maildrop = self
                    .config
                    .virtual_mailbox_base
                    .join(result.trim_start_matches('/'));
                self.push(Route::VirtualMailbox {
                    recipient: addr,
                    maildrop,
                    maildir,
                });
            }
            None => {
                let r = reply(
                    550,
                    (5, 1, 1),
                    format!(
                        "<{addr}>: Recipient address rejected: User unknown in virtual mailbox table"
                    ),
                );
                self.reject(&addr, r);
            }
        }
    }

    pub(crate) fn virtual_mailbox_result(&self, addr: &Mailbox) -> Option<String> {
        let local = addr.local_part().to_lowercase();
        let (user, ext) = split_extension(&local, &self.config.recipient_delimiter);
        let mut keys = vec![format!("{local}@{}", addr.domain())];
        if ext.is_some() {
            keys.push(format!("{user}@{}", addr.domain()));
        }
        keys.push(format!("@{}", addr.domain()));
        keys.iter()
            .find_map(|k| self.tables.virtual_mailbox.get(k))
            .cloned()
    }
}

/// `local:$myhostname` -> (`local`, `myhostname`).
fn split_transport(s: &str) -> (String, String) {
    match s.split_once(':') {
        Some((t, n)) => (t.trim().to_owned(), n.trim().to_owned()),
        None => (s.trim().to_owned(), String::new()),
    }
}

/// Reads an `:include:` file: its targets and whether root owns it.
fn read_include(path: &Path) -> std::io::Result<(Vec<AliasTarget>, bool)> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let mut text = String::new();
    file.take(MAX_TABLE_BYTES).read_to_string(&mut text)?;
    #[cfg(unix)]
    let root = std::os::unix::fs::MetadataExt::uid(&meta) == 0;
    #[cfg(not(unix))]
    let root = {
        let _ = &meta;
        false
    };
    let joined: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(",");
    let targets = parse_alias_targets(&joined)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok((targets, root))
}
