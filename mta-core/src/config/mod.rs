//! Configuration: a Postfix-style `main.cf` and the access-server settings
//! in Dovecot's words.
//!
//! Reading is in two steps. [`MainCf`] parses the file syntax (comments,
//! continuation lines, `name = value`, last setting wins) and holds the
//! caller's overrides and defaults. [`MainConfig::from_cf`] then expands
//! `$name` references lazily, as Postfix does, so the order of lines does
//! not matter, and converts each parameter to its type with Postfix's
//! documented default.
//!
//! Expansion forms (postconf(5)): `$name`, `${name}`, `$(name)`;
//! `${name?value}` and `${name?{value}}` (value when `name` is non-empty);
//! `${name:value}` and `${name:{value}}` (value when `name` is empty or
//! undefined); `${name?{value1}:{value2}}`; `$$` for a literal `$`. An
//! undefined name expands to nothing (with a warning); nesting deeper than
//! [`MAX_EXPANSION_DEPTH`] (a loop) is an error, and so is a value that
//! takes more than [`MAX_EXPANSION_STEPS`] references or grows past
//! [`MAX_EXPANDED_LEN`] bytes. Postfix 3's relational `${{...}}` forms
//! are refused as unsupported.
//!
//! Unknown parameters come back as [`Warning`]s; bad values fail with a
//! [`ConfigError`] naming the file, line and parameter.
//!
//! ```
//! use mta_core::config::{Environment, MainCf, MainConfig, MynetworksStyle};
//!
//! let text = "# comment\n\
//!             myhostname = mx.example.com\n\
//!             mydestination = $myhostname,\n    localhost\n\
//!             relay_domains = ${mydomain?.$mydomain}\n\
//!             no_such_parameter = 1\n";
//! let cf = MainCf::parse_str(text, "/etc/missive/main.cf").unwrap();
//! let loaded = MainConfig::from_cf(&cf, &Environment::loopback("localhost")).unwrap();
//! assert_eq!(loaded.warnings.len(), 1); // no_such_parameter
//! let c = &loaded.config;
//! assert_eq!(c.mynetworks_style, MynetworksStyle::Host);
//! let no_tables = |_: &mta_core::maps::TableRef, _: &str| false;
//! assert!(c.mydestination.matches("MX.example.com", &no_tables));
//! assert!(c.relay_domains.matches("sub.example.com", &no_tables));
//! ```

mod dovecot;
mod error;
mod expand;
mod main_cf;
pub(crate) mod parse;
mod values;

pub use dovecot::{
    AccessConfig, AuthDb, LoadedAccess, MAX_SECTION_DEPTH, MailLocation, MailboxFormat,
    PasswdFileArgs, Protocol, SslMode,
};
pub use error::{ConfigError, Location, SyntaxProblem, ValueProblem, Warning, WarningKind};
pub use expand::{
    MAX_DEPTH as MAX_EXPANSION_DEPTH, MAX_EXPANDED_LEN, MAX_STEPS as MAX_EXPANSION_STEPS,
};
pub use main_cf::{
    AllowClasses, Environment, InetInterfaces, InetProtocols, Loaded, MainConfig, MynetworksStyle,
    ReplyCodes, TlsSecurityLevel, derive_mynetworks,
};
pub use parse::{MAX_CONFIG_BYTES, MainCf, RawValue};
pub(crate) use values::parent_keys as values_parent_keys;
pub use values::{
    DomainList, DomainPattern, NetworkList, NetworkPattern, Restriction, parse_time, split_list,
};
