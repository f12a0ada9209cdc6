//! The typed `main.cf` configuration with Postfix's defaults.
//!
//! Every default below is Postfix's documented one (postconf(5), the
//! values `postconf -d` prints for Postfix 3.x at compatibility_level 3.6
//! or later). missive's own start-anywhere defaults (DESIGN.md "Defaults")
//! are applied by its callers through [`MainCf::default_param`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Location, ValueProblem, Warning, WarningKind};
use super::expand::Expander;
use super::parse::MainCf;
use super::values::{
    DomainList, NetworkList, NetworkPattern, Restriction, parse_bool, parse_domain_list,
    parse_network_list, parse_number, parse_restrictions, parse_table_list, parse_time, split_list,
};
use crate::maps::{IpNetwork, TableRef};

/// Postfix's documented defaults, as `name = value` text to be expanded.
/// myhostname, mydomain and mynetworks are computed (see [`Environment`]).
///
/// Sources: postconf(5); Postfix's global/mail_params.h `DEF_*` values.
const DEFAULTS: &[(&str, &str)] = &[
    // postconf(5) mail_name: "Postfix".
    ("mail_name", "Postfix"),
    // postconf(5) myorigin: $myhostname.
    ("myorigin", "$myhostname"),
    // postconf(5) mydestination: $myhostname, localhost.$mydomain, localhost.
    (
        "mydestination",
        "$myhostname, localhost.$mydomain, localhost",
    ),
    // postconf(5) mynetworks_style: host (Postfix >= 3.0, compatibility_level >= 2).
    ("mynetworks_style", "host"),
    // postconf(5) relay_domains: empty (Postfix >= 3.0, compatibility_level >= 2).
    ("relay_domains", ""),
    // postconf(5) relayhost: empty (deliver directly, MX lookup).
    ("relayhost", ""),
    // postconf(5) inet_interfaces: all.
    ("inet_interfaces", "all"),
    // postconf(5) inet_protocols: all (Postfix >= 3.0).
    ("inet_protocols", "all"),
    // postconf(5) smtpd_banner: $myhostname ESMTP $mail_name.
    ("smtpd_banner", "$myhostname ESMTP $mail_name"),
    // postconf(5) message_size_limit: 10240000 bytes.
    ("message_size_limit", "10240000"),
    // postconf(5) recipient_delimiter: empty (no extensions).
    ("recipient_delimiter", ""),
    // postconf(5) mail_spool_directory: system dependent, /var/mail on Linux.
    ("mail_spool_directory", "/var/mail"),
    // postconf(5) home_mailbox: empty (deliver to the spool).
    ("home_mailbox", ""),
    // postconf(5) alias_maps: hash:/etc/aliases (systems without NIS).
    ("alias_maps", "hash:/etc/aliases"),
    // postconf(5) transport_maps: empty.
    ("transport_maps", ""),
    // postconf(5) virtual_maps (legacy name): empty.
    ("virtual_maps", ""),
    // postconf(5) virtual_alias_maps: $virtual_maps.
    ("virtual_alias_maps", "$virtual_maps"),
    // postconf(5) virtual_alias_domains: $virtual_alias_maps.
    ("virtual_alias_domains", "$virtual_alias_maps"),
    // postconf(5) virtual_mailbox_maps: empty.
    ("virtual_mailbox_maps", ""),
    // postconf(5) virtual_mailbox_domains: $virtual_mailbox_maps.
    ("virtual_mailbox_domains", "$virtual_mailbox_maps"),
    // postconf(5) virtual_mailbox_base: empty.
    ("virtual_mailbox_base", ""),
    // postconf(5) smtpd_relay_restrictions (Postfix >= 2.10, compatibility_level >= 1).
    (
        "smtpd_relay_restrictions",
        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    ),
    // postconf(5) smtpd_recipient_restrictions: empty (Postfix >= 2.10).
    ("smtpd_recipient_restrictions", ""),
    // postconf(5) smtpd_tls_cert_file: empty.
    ("smtpd_tls_cert_file", ""),
    // postconf(5) smtpd_tls_key_file: $smtpd_tls_cert_file.
    ("smtpd_tls_key_file", "$smtpd_tls_cert_file"),
    // postconf(5) smtpd_tls_security_level: empty (no TLS unless enabled).
    ("smtpd_tls_security_level", ""),
    // postconf(5) smtpd_sasl_auth_enable: no (no AUTH on port 25).
    ("smtpd_sasl_auth_enable", "no"),
    // postconf(5) maximal_queue_lifetime: 5d (default unit d).
    ("maximal_queue_lifetime", "5d"),
    // postconf(5) bounce_queue_lifetime: 5d (default unit d).
    ("bounce_queue_lifetime", "5d"),
    // postconf(5) minimal_backoff_time: 300s (default unit s).
    ("minimal_backoff_time", "300s"),
    // postconf(5) maximal_backoff_time: 4000s (default unit s).
    ("maximal_backoff_time", "4000s"),
    // postconf(5) queue_directory: /var/spool/postfix.
    ("queue_directory", "/var/spool/postfix"),
    // postconf(5) hopcount_limit: 50.
    ("hopcount_limit", "50"),
    // postconf(5) default_transport: smtp.
    ("default_transport", "smtp"),
    // postconf(5) relay_transport: relay.
    ("relay_transport", "relay"),
    // postconf(5) local_transport: local:$myhostname.
    ("local_transport", "local:$myhostname"),
    // postconf(5) virtual_transport: virtual.
    ("virtual_transport", "virtual"),
    // postconf(5) virtual_alias_recursion_limit: 1000.
    ("virtual_alias_recursion_limit", "1000"),
    // postconf(5) virtual_alias_expansion_limit: 1000.
    ("virtual_alias_expansion_limit", "1000"),
    // postconf(5) parent_domain_matches_subdomains.
    (
        "parent_domain_matches_subdomains",
        "debug_peer_list, fast_flush_domains, mynetworks, permit_mx_backup_networks, \
         qmqpd_authorized_clients, relay_domains, smtpd_access_maps",
    ),
    // postconf(5) smtpd_null_access_lookup_key: <>.
    ("smtpd_null_access_lookup_key", "<>"),
    // postconf(5) allow_mail_to_commands: alias, forward.
    ("allow_mail_to_commands", "alias, forward"),
    // postconf(5) allow_mail_to_files: alias, forward.
    ("allow_mail_to_files", "alias, forward"),
    // postconf(5) propagate_unmatched_extensions: canonical, virtual.
    ("propagate_unmatched_extensions", "canonical, virtual"),
    // postconf(5) smtpd_reject_unlisted_recipient: yes.
    ("smtpd_reject_unlisted_recipient", "yes"),
    // postconf(5) unknown_local_recipient_reject_code: 550.
    ("unknown_local_recipient_reject_code", "550"),
    // postconf(5) reject_code: 554; defer_code: 450.
    ("reject_code", "554"),
    ("defer_code", "450"),
    // postconf(5) relay_domains_reject_code: 554.
    ("relay_domains_reject_code", "554"),
    // postconf(5) access_map_reject_code: 554; access_map_defer_code: 450.
    ("access_map_reject_code", "554"),
    ("access_map_defer_code", "450"),
    // Accepted for compatibility; missive always applies the defaults of
    // compatibility_level 3.6 and later (relay restrictions first).
    ("compatibility_level", "0"),
];

/// Parameters known without a default of their own.
const COMPUTED: &[&str] = &["myhostname", "mydomain", "mynetworks"];

/// What the configuration cannot know by reading files: the host's name
/// and its interface addresses (std cannot enumerate interfaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// The host name (myhostname's default; Postfix uses gethostname()).
    pub hostname: String,
    /// The addresses of the local interfaces with their prefix lengths,
    /// from which mynetworks_style derives mynetworks.
    pub interfaces: Vec<(IpAddr, u8)>,
}

impl Environment {
    /// The loopback interfaces (127.0.0.1/8 and ::1/128) and the given name.
    #[must_use]
    pub fn loopback(hostname: &str) -> Self {
        Environment {
            hostname: hostname.to_owned(),
            interfaces: vec![
                (IpAddr::from([127, 0, 0, 1]), 8),
                (IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), 128),
            ],
        }
    }

    /// The system's host name (Linux: /proc/sys/kernel/hostname, else
    /// `localhost`) with the loopback interfaces only.
    #[must_use]
    pub fn from_system() -> Self {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        Environment::loopback(&name)
    }
}

/// mynetworks_style (postconf(5)): how mynetworks is derived when not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MynetworksStyle {
    /// Trust only the local machine: each interface address as /32 or /128.
    Host,
    /// Trust the subnets of the interfaces (address masked with its prefix).
    Subnet,
    /// Trust the class A/B/C networks of the IPv4 interfaces (IPv6
    /// interfaces are treated as `subnet`, as Postfix does).
    Class,
}

/// inet_interfaces (postconf(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InetInterfaces {
    /// `all`.
    All,
    /// `loopback-only`.
    LoopbackOnly,
    /// Explicit addresses or host names.
    Addresses(Vec<String>),
}

/// inet_protocols (postconf(5)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InetProtocols {
    /// IPv4 enabled.
    pub ipv4: bool,
    /// IPv6 enabled.
    pub ipv6: bool,
}

/// smtpd_tls_security_level (postconf(5)); empty means `none` unless the
/// legacy smtpd_use_tls is set, which missive does not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsSecurityLevel {
    /// No STARTTLS.
    None,
    /// Offer STARTTLS, do not require it.
    May,
    /// Require TLS before MAIL FROM.
    Encrypt,
}

/// Which kinds of alias target Postfix's allow_mail_to_commands /
/// allow_mail_to_files permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllowClasses {
    /// In aliases(5) entries.
    pub alias: bool,
    /// In .forward files.
    pub forward: bool,
    /// In `:include:` files.
    pub include: bool,
}

/// The reply codes of the restrictions (postconf(5) *_code parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyCodes {
    /// reject_code (`reject`), default 554.
    pub reject: u16,
    /// defer_code (`defer`), default 450.
    pub defer: u16,
    /// relay_domains_reject_code (`reject_unauth_destination`), default 554.
    pub relay_reject: u16,
    /// access_map_reject_code (`REJECT` in an access table), default 554.
    pub access_reject: u16,
    /// access_map_defer_code (`DEFER` in an access table), default 450.
    pub access_defer: u16,
    /// unknown_local_recipient_reject_code, default 550.
    pub unknown_local: u16,
}

/// The `main.cf` parameters missive understands, typed, expanded, with
/// Postfix's defaults.
///
/// # Examples
///
/// ```
/// use mta_core::config::{Environment, MainCf, MainConfig};
///
/// let cf = MainCf::parse_str("myhostname = mx.example.com\n", "main.cf").unwrap();
/// let loaded = MainConfig::from_cf(&cf, &Environment::loopback("ignored")).unwrap();
/// let c = loaded.config;
/// assert_eq!(c.mydomain, "example.com");
/// assert_eq!(c.smtpd_banner, "mx.example.com ESMTP Postfix");
/// assert_eq!(c.message_size_limit, 10_240_000);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MainConfig {
    /// mail_name (used in smtpd_banner).
    pub mail_name: String,
    /// myhostname: this host's fully qualified name.
    pub myhostname: String,
    /// mydomain: the domain of myhostname, else `localdomain`.
    pub mydomain: String,
    /// myorigin: the domain appended to addresses without one.
    pub myorigin: String,
    /// mydestination: domains delivered locally.
    pub mydestination: DomainList,
    /// mynetworks: trusted clients (set, or derived by mynetworks_style).
    pub mynetworks: NetworkList,
    /// mynetworks_style.
    pub mynetworks_style: MynetworksStyle,
    /// relay_domains: domains this host relays to from anyone.
    pub relay_domains: DomainList,
    /// relayhost: next hop for non-local mail (empty: MX of the domain).
    pub relayhost: Option<String>,
    /// inet_interfaces.
    pub inet_interfaces: InetInterfaces,
    /// inet_protocols.
    pub inet_protocols: InetProtocols,
    /// smtpd_banner (expanded).
    pub smtpd_banner: String,
    /// message_size_limit in bytes (0: no limit).
    pub message_size_limit: u64,
    /// recipient_delimiter: each character is a delimiter (empty: none).
    pub recipient_delimiter: String,
    /// mail_spool_directory.
    pub mail_spool_directory: PathBuf,
    /// home_mailbox (relative to the home directory; `/` suffix: Maildir).
    pub home_mailbox: String,
    /// alias_maps.
    pub alias_maps: Vec<TableRef>,
    /// transport_maps.
    pub transport_maps: Vec<TableRef>,
    /// virtual_alias_maps.
    pub virtual_alias_maps: Vec<TableRef>,
    /// virtual_alias_domains.
    pub virtual_alias_domains: DomainList,
    /// virtual_mailbox_domains.
    pub virtual_mailbox_domains: DomainList,
    /// virtual_mailbox_maps.
    pub virtual_mailbox_maps: Vec<TableRef>,
    /// virtual_mailbox_base.
    pub virtual_mailbox_base: PathBuf,
    /// smtpd_relay_restrictions.
    pub smtpd_relay_restrictions: Vec<Restriction>,
    /// smtpd_recipient_restrictions.
    pub smtpd_recipient_restrictions: Vec<Restriction>,
    /// smtpd_reject_unlisted_recipient.
    pub smtpd_reject_unlisted_recipient: bool,
    /// smtpd_tls_cert_file.
    pub smtpd_tls_cert_file: Option<PathBuf>,
    /// smtpd_tls_key_file.
    pub smtpd_tls_key_file: Option<PathBuf>,
    /// smtpd_tls_security_level.
    pub smtpd_tls_security_level: TlsSecurityLevel,
    /// smtpd_sasl_auth_enable: offer AUTH on the SMTP (port 25) listeners.
    pub smtpd_sasl_auth_enable: bool,
    /// maximal_queue_lifetime.
    pub maximal_queue_lifetime: Duration,
    /// bounce_queue_lifetime.
    pub bounce_queue_lifetime: Duration,
    /// minimal_backoff_time.
    pub minimal_backoff_time: Duration,
    /// maximal_backoff_time.
    pub maximal_backoff_time: Duration,
    /// queue_directory.
    pub queue_directory: PathBuf,
    /// hopcount_limit: most Received: headers before mail counts as looping.
    pub hopcount_limit: u32,
    /// default_transport.
    pub default_transport: String,
    /// relay_transport.
    pub relay_transport: String,
    /// local_transport.
    pub local_transport: String,
    /// virtual_transport.
    pub virtual_transport: String,
    /// virtual_alias_recursion_limit.
    pub virtual_alias_recursion_limit: u32,
    /// virtual_alias_expansion_limit.
    pub virtual_alias_expansion_limit: u32,
    /// parent_domain_matches_subdomains (parameter names).
    pub parent_domain_matches_subdomains: Vec<String>,
    /// smtpd_null_access_lookup_key (the lookup key for `<>`).
    pub smtpd_null_access_lookup_key: String,
    /// allow_mail_to_commands.
    pub allow_mail_to_commands: AllowClasses,
    /// allow_mail_to_files.
    pub allow_mail_to_files: AllowClasses,
    /// `virtual` is in propagate_unmatched_extensions.
    pub propagate_virtual_extensions: bool,
    /// The reply codes.
    pub codes: ReplyCodes,
}

/// A [`MainConfig`] and the warnings met while building it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration.
    pub config: MainConfig,
    /// Unknown parameters, undefined `$name`s, duplicates.
    pub warnings: Vec<Warning>,
}

struct Eval<'a> {
    cf: &'a MainCf,
    computed: BTreeMap<String, String>,
    referenced: BTreeSet<String>,
    warnings: Vec<Warning>,
}

impl Eval<'_> {
    fn raw_of(&self, name: &str) -> Option<String> {
        if let Some(v) = self.cf.raw(name) {
            return Some(v.value);
        }
        if let Some(v) = self.computed.get(name) {
            return Some(v.clone());
        }
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    }

    fn location(&self, name: &str) -> Location {
        self.cf
            .raw(name)
            .map_or_else(Location::default_value, |v| v.location)
    }

    fn error(&self, name: &str, problem: ValueProblem) -> ConfigError {
        ConfigError::Value {
            location: self.location(name),
            parameter: name.to_owned(),
            problem,
        }
    }

    /// The expanded value of `name`.
    fn get(&mut self, name: &str) -> Result<String, ConfigError> {
        let raw = self.raw_of(name).unwrap_or_default();
        let lookup = |n: &str| self.raw_of(n);
        let mut expander = Expander::new(&lookup);
        let result = expander.expand(&raw);
        let referenced = std::mem::take(&mut expander.referenced);
        let undefined = std::mem::take(&mut expander.undefined);
        drop(expander);
        let value = result.map_err(|p| self.error(name, p))?;
        for u in undefined {
            let warning = Warning {
                location: self.location(name),
                kind: WarningKind::UndefinedParameter(u),
            };
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
        self.referenced.extend(referenced);
        Ok(value.trim().to_owned())
    }

    fn typed<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, ValueProblem>,
    ) -> Result<T, ConfigError> {
        let value = self.get(name)?;
        parse(&value).map_err(|p| self.error(name, p))
    }

    fn path(&mut self, name: &str) -> Result<Option<PathBuf>, ConfigError> {
        let v = self.get(name)?;
        Ok((!v.is_empty()).then(|| PathBuf::from(v)))
    }
}

impl MainConfig {
    /// Reads `path` and builds the configuration.
    ///
    /// # Errors
    ///
    /// See [`MainCf::read`] and [`MainConfig::from_cf`].
    pub fn load(path: impl AsRef<Path>, env: &Environment) -> Result<Loaded, ConfigError> {
        let cf = MainCf::read(path)?;
        Self::from_cf(&cf, env)
    }

    /// Builds the typed configuration from parsed `main.cf` settings.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Value`] naming the file, line and parameter of the
    /// first value that cannot be used, including
    /// [`ValueProblem::OpenRelay`] when neither restriction list can refuse
    /// relaying (Postfix refuses to start in that case too).
    pub fn from_cf(cf: &MainCf, env: &Environment) -> Result<Loaded, ConfigError> {
        let mut ev = Eval {
            cf,
            computed: BTreeMap::new(),
            referenced: BTreeSet::new(),
            warnings: cf.warnings.clone(),
        };

        // myhostname: gethostname(); a name without a dot gets .$mydomain
        // when mydomain is set (Postfix's check_myhostname).
        let myhostname = if ev.cf.raw("myhostname").is_some() {
            ev.get("myhostname")?
        } else if !env.hostname.contains('.') && ev.cf.raw("mydomain").is_some() {
            let domain = ev.get("mydomain")?;
            format!("{}.{}", env.hostname, domain)
        } else {
            env.hostname.clone()
        };
        ev.computed.insert("myhostname".into(), myhostname.clone());
        // mydomain: myhostname minus its first label, else "localdomain".
        let mydomain_default = myhostname
            .split_once('.')
            .map(|(_, d)| d.to_owned())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "localdomain".to_owned());
        ev.computed.insert("mydomain".into(), mydomain_default);
        let mydomain = ev.get("mydomain")?;

        let mynetworks_style = ev.typed("mynetworks_style", |v| {
            match v.to_ascii_lowercase().as_str() {
                "host" => Ok(MynetworksStyle::Host),
                "subnet" => Ok(MynetworksStyle::Subnet),
                "class" => Ok(MynetworksStyle::Class),
                _ => Err(ValueProblem::Word {
                    value: v.to_owned(),
                    allowed: "host, subnet, class",
                }),
            }
        })?;
        let derived = derive_mynetworks(mynetworks_style, &env.interfaces);
        ev.computed.insert(
            "mynetworks".into(),
            derived
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        );

        let parent = ev.typed("parent_domain_matches_subdomains", |v| Ok(split_list(v)))?;
        let parent_of = |name: &str| parent.iter().any(|p| p == name);

        let myorigin = {
            let v = ev.get("myorigin")?;
            // Debian's Postfix reads the first line of a file named here
            // (myorigin = /etc/mailname).
            if v.starts_with('/') {
                let text = std::fs::read_to_string(&v).map_err(|e| {
                    ev.error(
                        "myorigin",
                        ValueProblem::File {
                            path: PathBuf::from(&v),
                            reason: e.to_string(),
                        },
                    )
                })?;
                text.lines().next().unwrap_or("").trim().to_owned()
            } else {
                v
            }
        };

        let mydestination = ev.typed("mydestination", |v| {
            parse_domain_list(v, parent_of("mydestination"))
        })?;
        let mynetworks = ev.typed("mynetworks", parse_network_list)?;
        let relay_domains = ev.typed("relay_domains", |v| {
            parse_domain_list(v, parent_of("relay_domains"))
        })?;
        let relayhost = ev.get("relayhost")?;
        let inet_interfaces = ev.typed("inet_interfaces", |v| {
            let items = split_list(v);
            Ok(match items.as_slice() {
                [one] if one.eq_ignore_ascii_case("all") => InetInterfaces::All,
                [one] if one.eq_ignore_ascii_case("loopback-only") => InetInterfaces::LoopbackOnly,
                _ => InetInterfaces::Addresses(items),
            })
        })?;
        let inet_protocols = ev.typed("inet_protocols", |v| {
            let mut p = InetProtocols {
                ipv4: false,
                ipv6: false,
            };
            for item in split_list(v) {
                match item.to_ascii_lowercase().as_str() {
                    "all" => {
                        p.ipv4 = true;
                        p.ipv6 = true;
                    }
                    "ipv4" => p.ipv4 = true,
                    "ipv6" => p.ipv6 = true,
                    _ => {
                        return Err(ValueProblem::Word {
                            value: item,
                            allowed: "all, ipv4, ipv6",
                        });
                    }
                }
            }
            Ok(p)
        })?;
        let relay = ev.typed("smtpd_relay_restrictions", parse_restrictions)?;
        let recipient = ev.typed("smtpd_recipient_restrictions", parse_restrictions)?;
        if !relay
            .iter()
            .chain(recipient.iter())
            .any(Restriction::blocks_relay)
        {
            let name = if cf.raw("smtpd_relay_restrictions").is_some() {
                "smtpd_relay_restrictions"
            } else {
                "smtpd_recipient_restrictions"
            };
            return Err(ev.error(name, ValueProblem::OpenRelay));
        }
        let tls_level = ev.typed("smtpd_tls_security_level", |v| {
            match v.to_ascii_lowercase().as_str() {
                "" | "none" => Ok(TlsSecurityLevel::None),
                "may" => Ok(TlsSecurityLevel::May),
                "encrypt" => Ok(TlsSecurityLevel::Encrypt),
                _ => Err(ValueProblem::Word {
                    value: v.to_owned(),
                    allowed: "none, may, encrypt",
                }),
            }
        })?;
        let number_u16 = |v: &str| {
            let n = parse_number(v)?;
            if (200..600).contains(&n) {
                Ok(n as u16)
            } else {
                Err(ValueProblem::Number(v.to_owned()))
            }
        };
        let number_u32 = |v: &str| {
            u32::try_from(parse_number(v)?).map_err(|_| ValueProblem::Number(v.to_owned()))
        };
        let allow = |v: &str| {
            let mut a = AllowClasses::default();
            for item in split_list(v) {
                match item.to_ascii_lowercase().as_str() {
                    "alias" => a.alias = true,
                    "forward" => a.forward = true,
                    "include" => a.include = true,
                    _ => {
                        return Err(ValueProblem::Word {
                            value: item,
                            allowed: "alias, forward, include",
                        });
                    }
                }
            }
            Ok(a)
        };

        let config = MainConfig {
            mail_name: ev.get("mail_name")?,
            myhostname,
            mydomain,
            myorigin,
            mydestination,
            mynetworks,
            mynetworks_style,
            relay_domains,
            relayhost: (!relayhost.is_empty()).then_some(relayhost),
            inet_interfaces,
            inet_protocols,
            smtpd_banner: ev.get("smtpd_banner")?,
            message_size_limit: ev.typed("message_size_limit", parse_number)?,
            recipient_delimiter: ev.get("recipient_delimiter")?,
            mail_spool_directory: PathBuf::from(ev.get("mail_spool_directory")?),
            home_mailbox: ev.get("home_mailbox")?,
            alias_maps: ev.typed("alias_maps", parse_table_list)?,
            transport_maps: ev.typed("transport_maps", parse_table_list)?,
            virtual_alias_maps: ev.typed("virtual_alias_maps", parse_table_list)?,
            virtual_alias_domains: ev.typed("virtual_alias_domains", |v| {
                parse_domain_list(v, parent_of("virtual_alias_domains"))
            })?,
            virtual_mailbox_domains: ev.typed("virtual_mailbox_domains", |v| {
                parse_domain_list(v, parent_of("virtual_mailbox_domains"))
            })?,
            virtual_mailbox_maps: ev.typed("virtual_mailbox_maps", parse_table_list)?,
            virtual_mailbox_base: PathBuf::from(ev.get("virtual_mailbox_base")?),
            smtpd_relay_restrictions: relay,
            smtpd_recipient_restrictions: recipient,
            smtpd_reject_unlisted_recipient: ev
                .typed("smtpd_reject_unlisted_recipient", parse_bool)?,
            smtpd_tls_cert_file: ev.path("smtpd_tls_cert_file")?,
            smtpd_tls_key_file: ev.path("smtpd_tls_key_file")?,
            smtpd_tls_security_level: tls_level,
            smtpd_sasl_auth_enable: ev.typed("smtpd_sasl_auth_enable", parse_bool)?,
            maximal_queue_lifetime: ev.typed("maximal_queue_lifetime", |v| parse_time(v, 'd'))?,
            bounce_queue_lifetime: ev.typed("bounce_queue_lifetime", |v| parse_time(v, 'd'))?,
            minimal_backoff_time: ev.typed("minimal_backoff_time", |v| parse_time(v, 's'))?,
            maximal_backoff_time: ev.typed("maximal_backoff_time", |v| parse_time(v, 's'))?,
            queue_directory: PathBuf::from(ev.get("queue_directory")?),
            hopcount_limit: ev.typed("hopcount_limit", number_u32)?,
            default_transport: ev.get("default_transport")?,
            relay_transport: ev.get("relay_transport")?,
            local_transport: ev.get("local_transport")?,
            virtual_transport: ev.get("virtual_transport")?,
            virtual_alias_recursion_limit: ev.typed("virtual_alias_recursion_limit", number_u32)?,
            virtual_alias_expansion_limit: ev.typed("virtual_alias_expansion_limit", number_u32)?,
            parent_domain_matches_subdomains: parent.clone(),
            smtpd_null_access_lookup_key: ev.get("smtpd_null_access_lookup_key")?,
            allow_mail_to_commands: ev.typed("allow_mail_to_commands", allow)?,
            allow_mail_to_files: ev.typed("allow_mail_to_files", allow)?,
            propagate_virtual_extensions: ev.typed("propagate_unmatched_extensions", |v| {
                Ok(split_list(v)
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case("virtual")))
            })?,
            codes: ReplyCodes {
                reject: ev.typed("reject_code", number_u16)?,
                defer: ev.typed("defer_code", number_u16)?,
                relay_reject: ev.typed("relay_domains_reject_code", number_u16)?,
                access_reject: ev.typed("access_map_reject_code", number_u16)?,
                access_defer: ev.typed("access_map_defer_code", number_u16)?,
                unknown_local: ev.typed("unknown_local_recipient_reject_code", number_u16)?,
            },
        };
        // compatibility_level is read so that a bad expansion fails, but it
        // changes nothing (see DEFAULTS).
        ev.get("compatibility_level")?;

        // Unknown parameters: warn unless a known parameter refers to them.
        let names: Vec<String> = cf.file_names().map(str::to_owned).collect();
        for name in names {
            let known = DEFAULTS.iter().any(|(n, _)| *n == name) || COMPUTED.contains(&&*name);
            if !known && !ev.referenced.contains(&name) {
                let location = ev.location(&name);
                ev.warnings.push(Warning {
                    location,
                    kind: WarningKind::UnknownParameter(name),
                });
            }
        }
        Ok(Loaded {
            config,
            warnings: ev.warnings,
        })
    }

    /// The names of the parameters this type reads.
    pub fn known_parameters() -> impl Iterator<Item = &'static str> {
        COMPUTED
            .iter()
            .copied()
            .chain(DEFAULTS.iter().map(|(n, _)| *n))
    }

    /// Whether parameter `name` is listed in parent_domain_matches_subdomains.
    #[must_use]
    pub fn parent_matches(&self, name: &str) -> bool {
        self.parent_domain_matches_subdomains
            .iter()
            .any(|p| p == name)
    }
}

/// mynetworks derived from mynetworks_style and the interfaces
/// (postconf(5) mynetworks_style).
#[must_use]
pub fn derive_mynetworks(style: MynetworksStyle, interfaces: &[(IpAddr, u8)]) -> Vec<IpNetwork> {
    let mut out: Vec<IpNetwork> = Vec::new();
    for &(addr, prefix) in interfaces {
        let net = match (style, addr) {
            (MynetworksStyle::Host, _) => Some(IpNetwork::host(addr)),
            (MynetworksStyle::Class, IpAddr::V4(v4)) => {
                let first = v4.octets()[0];
                let class_prefix = match first {
                    0..=127 => 8,
                    128..=191 => 16,
                    192..=223 => 24,
                    _ => 32,
                };
                IpNetwork::new(addr, class_prefix)
            }
            (MynetworksStyle::Subnet | MynetworksStyle::Class, _) => IpNetwork::new(addr, prefix),
        };
        if let Some(net) = net.filter(|n| !out.contains(n)) {
            out.push(net);
        }
    }
    out
}

impl NetworkList {
    /// A list of plain networks.
    #[must_use]
    pub fn from_networks(networks: &[IpNetwork]) -> Self {
        NetworkList {
            patterns: networks
                .iter()
                .copied()
                .map(NetworkPattern::Network)
                .collect(),
        }
    }
}
