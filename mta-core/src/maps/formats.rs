//! The table formats: aliases(5), access(5), transport(5), virtual(5).

use std::path::PathBuf;

use super::error::EntryProblem;
use super::table::TableFormat;
use crate::config::{Restriction, split_list};

/// One target of an aliases(5) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AliasTarget {
    /// A mail address (`user` or `user@domain`). `expand` is false for the
    /// `\user` form, which delivers to the user's mailbox without further
    /// alias expansion.
    Address {
        /// The address, without the backslash.
        address: String,
        /// Whether it is subject to further alias expansion.
        expand: bool,
    },
    /// `|command`: pipe the message to a command.
    Command(String),
    /// `/file/name`: append the message to a file (a name ending in `/` is
    /// a Maildir).
    File(PathBuf),
    /// `:include:/file/name`: the targets listed in that file.
    Include(PathBuf),
}

impl AliasTarget {
    /// Classifies one (unquoted) target.
    #[must_use]
    pub fn parse(item: &str) -> AliasTarget {
        if let Some(cmd) = item.strip_prefix('|') {
            AliasTarget::Command(cmd.trim().to_owned())
        } else if let Some(path) = item
            .get(..9)
            .filter(|p| p.eq_ignore_ascii_case(":include:"))
            .and_then(|_| item.get(9..))
        {
            AliasTarget::Include(PathBuf::from(path.trim()))
        } else if item.starts_with('/') {
            AliasTarget::File(PathBuf::from(item))
        } else if let Some(user) = item.strip_prefix('\\') {
            AliasTarget::Address {
                address: user.to_owned(),
                expand: false,
            }
        } else {
            AliasTarget::Address {
                address: item.to_owned(),
                expand: true,
            }
        }
    }
}

/// Splits an alias value (or an `:include:` file) on commas outside double
/// quotes and classifies each target. Quotes around a whole target
/// (`"|/usr/bin/vacation user"`) are removed.
///
/// # Errors
///
/// [`EntryProblem::UnterminatedQuote`].
pub fn parse_alias_targets(value: &str) -> Result<Vec<AliasTarget>, EntryProblem> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | '\n' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(EntryProblem::UnterminatedQuote);
    }
    items.push(current);
    Ok(items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s
                .strip_prefix('"')
                .and_then(|i| i.strip_suffix('"'))
                .unwrap_or(s);
            AliasTarget::parse(s)
        })
        .collect())
}

/// aliases(5): `name: value1, value2, ...`; the name may be quoted.
#[derive(Debug, Clone, Copy)]
pub struct Aliases;

impl TableFormat for Aliases {
    type Value = Vec<AliasTarget>;

    fn split_entry(line: &str) -> Option<(String, String)> {
        let line = line.trim();
        let (name, rest) = if let Some(q) = line.strip_prefix('"') {
            let end = q.find('"')?;
            (q[..end].to_owned(), q[end + 1..].trim_start())
        } else {
            let end = line.find(':')?;
            (line[..end].trim_end().to_owned(), &line[end..])
        };
        let value = rest.strip_prefix(':')?.trim();
        (!name.is_empty()).then(|| (name, value.to_owned()))
    }

    fn parse_value(key: &str, value: &str) -> Result<Self::Value, EntryProblem> {
        let targets = parse_alias_targets(value)?;
        if targets.is_empty() {
            return Err(EntryProblem::MissingValue(key.to_owned()));
        }
        Ok(targets)
    }
}

/// The action of an access(5) entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessAction {
    /// `OK`, or an all-numerical result: permit.
    Ok,
    /// `RELAY`: accepted and treated like `OK` (permit). Postfix's access(5)
    /// has no RELAY action (it is sendmail's); in smtpd_relay_restrictions
    /// OK already authorizes relaying, so both mean the same here.
    Relay,
    /// `DUNNO`: as if not found, and stop trying shorter keys.
    Dunno,
    /// `REJECT [text]`: access_map_reject_code (554).
    Reject(Option<String>),
    /// `DEFER [text]`: access_map_defer_code (450).
    Defer(Option<String>),
    /// `4NN text` / `5NN text`: that reply.
    Reply {
        /// The three-digit code.
        code: u16,
        /// The text (may start with an enhanced status code).
        text: String,
    },
    /// A restriction name (`permit_mynetworks`, `reject`, ...) applied in
    /// place.
    Restriction(Restriction),
    /// Any other action (DISCARD, HOLD, FILTER, REDIRECT, WARN, ...): not
    /// implemented; evaluating it answers "451 4.3.5 Server configuration
    /// error", as Postfix does for an unknown action.
    Unsupported(String),
}

impl AccessAction {
    /// Parses an action.
    ///
    /// # Errors
    ///
    /// [`EntryProblem::BadAction`] for a 4xx/5xx form with a bad code.
    pub fn parse(value: &str) -> Result<AccessAction, EntryProblem> {
        let value = value.trim();
        let (word, rest) = match value.find(char::is_whitespace) {
            Some(i) => (&value[..i], value[i..].trim()),
            None => (value, ""),
        };
        let text = (!rest.is_empty()).then(|| rest.to_owned());
        let upper = word.to_ascii_uppercase();
        Ok(match upper.as_str() {
            "OK" => AccessAction::Ok,
            "RELAY" => AccessAction::Relay,
            "DUNNO" => AccessAction::Dunno,
            "REJECT" => AccessAction::Reject(text),
            "DEFER" => AccessAction::Defer(text),
            // access(5): "An all-numerical result is treated as OK."
            _ if value.bytes().all(|b| b.is_ascii_digit()) => AccessAction::Ok,
            _ if word.len() == 3 && word.bytes().all(|b| b.is_ascii_digit()) => {
                if !(word.starts_with('4') || word.starts_with('5')) {
                    return Err(EntryProblem::BadAction(value.to_owned()));
                }
                let code = word
                    .parse()
                    .map_err(|_| EntryProblem::BadAction(value.to_owned()))?;
                AccessAction::Reply {
                    code,
                    text: rest.to_owned(),
                }
            }
            _ => match Restriction::simple(word) {
                Some(r) if rest.is_empty() => AccessAction::Restriction(r),
                _ => AccessAction::Unsupported(value.to_owned()),
            },
        })
    }
}

/// access(5) tables.
#[derive(Debug, Clone, Copy)]
pub struct Access;

impl TableFormat for Access {
    type Value = AccessAction;

    fn parse_value(_key: &str, value: &str) -> Result<AccessAction, EntryProblem> {
        AccessAction::parse(value)
    }
}

/// A transport(5) result: `transport:nexthop`, either part may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportEntry {
    /// The transport (`local`, `smtp`, `relay`, `lmtp`, `error`,
    /// `discard`, ...); empty means "the address class's default".
    pub transport: String,
    /// The next hop (`[host]:port`, `host`, `unix:/path`, error text);
    /// empty means "the default for the transport".
    pub nexthop: String,
}

impl TransportEntry {
    /// Parses `transport:nexthop` (a result without `:` is a transport).
    #[must_use]
    pub fn parse(value: &str) -> TransportEntry {
        let value = value.trim();
        match value.split_once(':') {
            Some((t, n)) => TransportEntry {
                transport: t.trim().to_owned(),
                nexthop: n.trim().to_owned(),
            },
            None => TransportEntry {
                transport: value.to_owned(),
                nexthop: String::new(),
            },
        }
    }
}

/// transport(5) tables.
#[derive(Debug, Clone, Copy)]
pub struct Transport;

impl TableFormat for Transport {
    type Value = TransportEntry;

    fn parse_value(_key: &str, value: &str) -> Result<TransportEntry, EntryProblem> {
        Ok(TransportEntry::parse(value))
    }
}

/// virtual(5) tables: a key maps to one or more addresses (comma or white
/// space separated).
#[derive(Debug, Clone, Copy)]
pub struct Virtual;

impl TableFormat for Virtual {
    type Value = Vec<String>;

    fn parse_value(key: &str, value: &str) -> Result<Vec<String>, EntryProblem> {
        let list = split_list(value);
        if list.is_empty() {
            return Err(EntryProblem::MissingValue(key.to_owned()));
        }
        Ok(list)
    }
}
