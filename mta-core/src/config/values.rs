//! Typed parameter values: times, numbers, lists, domain and network lists,
//! SMTP restrictions.

use std::net::IpAddr;
use std::time::Duration;

use super::error::ValueProblem;
use crate::maps::{IpNetwork, TableRef, looks_like_table};

/// Splits a list value on commas and white space (postconf(5): "lists are
/// separated by comma and/or white space").
#[must_use]
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses `yes` / `no` (any case), as Postfix does.
pub(crate) fn parse_bool(value: &str) -> Result<bool, ValueProblem> {
    if value.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err(ValueProblem::Bool(value.to_owned()))
    }
}

/// Parses a non-negative decimal number. Postfix reads sizes such as
/// message_size_limit as plain byte counts, without units.
pub(crate) fn parse_number(value: &str) -> Result<u64, ValueProblem> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueProblem::Number(value.to_owned()));
    }
    value
        .parse()
        .map_err(|_| ValueProblem::Number(value.to_owned()))
}

/// Parses a time as Postfix does (postconf(5), "time units"): a decimal
/// number with an optional one-letter unit `s` (seconds), `m` (minutes),
/// `h` (hours), `d` (days) or `w` (weeks); a bare number is in the
/// parameter's default unit (`default_unit`, one of those letters).
///
/// # Examples
///
/// ```
/// use mta_core::config::parse_time;
/// use std::time::Duration;
///
/// assert_eq!(parse_time("5d", 'd').unwrap(), Duration::from_secs(5 * 86400));
/// assert_eq!(parse_time("300", 's').unwrap(), Duration::from_secs(300));
/// assert_eq!(parse_time("2", 'd').unwrap(), Duration::from_secs(2 * 86400));
/// assert!(parse_time("1h30m", 's').is_err());
/// ```
///
/// # Errors
///
/// [`ValueProblem::Time`] for anything else (including `1h30m`, which
/// Postfix refuses too).
pub fn parse_time(value: &str, default_unit: char) -> Result<Duration, ValueProblem> {
    let bad = || ValueProblem::Time(value.to_owned());
    let digits_end = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (digits, unit) = value.split_at(digits_end);
    if digits.is_empty() || digits.len() > 12 {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let unit = match unit {
        "" => default_unit,
        u if u.len() == 1 => u.chars().next().ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let scale: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return Err(bad()),
    };
    Ok(Duration::from_secs(n.checked_mul(scale).ok_or_else(bad)?))
}

/// One entry of a domain list (mydestination, relay_domains,
/// virtual_mailbox_domains, virtual_alias_domains).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DomainPattern {
    /// A domain name, lowercased. A leading `.` (`.example.com`) matches
    /// subdomains only.
    Name(String),
    /// A lookup table: the domain (and, see [`DomainList`], its parents) is
    /// looked up as a key.
    Table(TableRef),
    /// `!pattern`: a match ends the search with "no match".
    Not(Box<DomainPattern>),
}

/// A list of domain patterns, matched in order (Postfix's match_list).
///
/// When the parameter is listed in `parent_domain_matches_subdomains` (by
/// default relay_domains is, mydestination and the virtual domain lists are
/// not), a name `example.com` also matches `sub.example.com`; otherwise only
/// `.example.com` does. Tables are searched for the domain and then for each
/// parent (`example.com`) or dotted parent (`.example.com`) in the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainList {
    /// The patterns in order.
    pub patterns: Vec<DomainPattern>,
    /// Whether a parent domain matches its subdomains.
    pub parent_matches_subdomains: bool,
}

impl DomainList {
    /// True when the list is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Matches `domain` (any case) against the list; `table_has` answers
    /// whether a table holds a key.
    pub fn matches(&self, domain: &str, table_has: &dyn Fn(&TableRef, &str) -> bool) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        for pattern in &self.patterns {
            let (negated, pattern) = match pattern {
                DomainPattern::Not(inner) => (true, inner.as_ref()),
                other => (false, other),
            };
            if self.pattern_matches(pattern, &domain, table_has) {
                return !negated;
            }
        }
        false
    }

    fn pattern_matches(
        &self,
        pattern: &DomainPattern,
        domain: &str,
        table_has: &dyn Fn(&TableRef, &str) -> bool,
    ) -> bool {
        match pattern {
            DomainPattern::Name(name) => {
                if let Some(suffix) = name.strip_prefix('.') {
                    domain.len() > suffix.len() + 1 && domain.ends_with(name.as_str())
                } else {
                    domain == name
                        || (self.parent_matches_subdomains
                            && domain.len() > name.len()
                            && domain.ends_with(name.as_str())
                            && domain.as_bytes().get(domain.len() - name.len() - 1) == Some(&b'.'))
                }
            }
            DomainPattern::Table(table) => {
                if table_has(table, domain) {
                    return true;
                }
                parent_keys(domain, self.parent_matches_subdomains)
                    .iter()
                    .any(|k| table_has(table, k))
            }
            DomainPattern::Not(inner) => !self.pattern_matches(inner, domain, table_has),
        }
    }
}

/// The parent-domain keys tried after the domain itself: `b.c`, `c` when
/// parents match subdomains, else `.b.c`, `.c`.
pub(crate) fn parent_keys(domain: &str, parent_style: bool) -> Vec<String> {
    let mut keys = Vec::new();
    let mut rest = domain;
    while let Some(dot) = rest.find('.') {
        let parent = &rest[dot + 1..];
        if parent.is_empty() {
            break;
        }
        if parent_style {
            keys.push(parent.to_owned());
        } else {
            keys.push(format!(".{parent}"));
        }
        rest = parent;
    }
    keys
}

pub(crate) fn parse_domain_list(
    value: &str,
    parent_matches_subdomains: bool,
) -> Result<DomainList, ValueProblem> {
    let mut patterns = Vec::new();
    for item in split_list(value) {
        patterns.push(parse_domain_pattern(&item)?);
    }
    Ok(DomainList {
        patterns,
        parent_matches_subdomains,
    })
}

fn parse_domain_pattern(item: &str) -> Result<DomainPattern, ValueProblem> {
    if let Some(inner) = item.strip_prefix('!') {
        return Ok(DomainPattern::Not(Box::new(parse_domain_pattern(inner)?)));
    }
    if item.starts_with('/') {
        return Err(ValueProblem::Unsupported(format!(
            "{item} (/file/name patterns; use a type:table)"
        )));
    }
    if looks_like_table(item) {
        return parse_table(item).map(DomainPattern::Table);
    }
    Ok(DomainPattern::Name(
        item.trim_end_matches('.').to_ascii_lowercase(),
    ))
}

pub(crate) fn parse_table(item: &str) -> Result<TableRef, ValueProblem> {
    item.parse::<TableRef>()
        .map_err(|e| ValueProblem::Table(item.to_owned(), e.reason()))
}

pub(crate) fn parse_table_list(value: &str) -> Result<Vec<TableRef>, ValueProblem> {
    split_list(value).iter().map(|s| parse_table(s)).collect()
}

/// One entry of mynetworks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetworkPattern {
    /// An address or `network/prefix`.
    Network(IpNetwork),
    /// A table keyed by client address (`cidr:` tables match networks).
    Table(TableRef),
}

/// The trusted client networks (mynetworks), matched in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkList {
    /// The patterns.
    pub patterns: Vec<NetworkPattern>,
}

impl NetworkList {
    /// True when `ip` matches a network pattern or `table_has` finds its
    /// address text in a table.
    pub fn matches(&self, ip: IpAddr, table_has: &dyn Fn(&TableRef, &str) -> bool) -> bool {
        let text = crate::maps::canonical(ip).to_string();
        self.patterns.iter().any(|p| match p {
            NetworkPattern::Network(net) => net.contains(ip),
            NetworkPattern::Table(t) => table_has(t, &text),
        })
    }
}

pub(crate) fn parse_network_list(value: &str) -> Result<NetworkList, ValueProblem> {
    let mut patterns = Vec::new();
    for item in split_list(value) {
        if item.starts_with('/') || item.starts_with('!') {
            return Err(ValueProblem::Unsupported(item));
        }
        if looks_like_table(&item) {
            patterns.push(NetworkPattern::Table(parse_table(&item)?));
        } else {
            let net = item
                .parse::<IpNetwork>()
                .map_err(|_| ValueProblem::Network(item.clone()))?;
            patterns.push(NetworkPattern::Network(net));
        }
    }
    Ok(NetworkList { patterns })
}

/// An SMTP access restriction (postconf(5), smtpd_relay_restrictions and
/// smtpd_recipient_restrictions; SMTPD_ACCESS_README).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restriction {
    /// `permit_mynetworks`: permit when the client address matches mynetworks.
    PermitMynetworks,
    /// `permit_sasl_authenticated`: permit when the client authenticated.
    PermitSaslAuthenticated,
    /// `reject_unauth_destination`: reject unless the recipient domain is
    /// ours (final destination) or in relay_domains (without sender-specified
    /// routing in the local part).
    RejectUnauthDestination,
    /// `defer_unauth_destination`: as above, with a temporary reply (454,
    /// relay_domains_reject_code less 100, as Postfix answers).
    DeferUnauthDestination,
    /// `permit_auth_destination`: permit when the recipient domain is ours or
    /// in relay_domains.
    PermitAuthDestination,
    /// `check_client_access type:table`.
    CheckClientAccess(TableRef),
    /// `check_sender_access type:table` (the reverse-path).
    CheckSenderAccess(TableRef),
    /// `check_recipient_access type:table` (the forward-path).
    CheckRecipientAccess(TableRef),
    /// `reject_unlisted_recipient`: reject a recipient in one of our domains
    /// that has no mailbox or alias.
    RejectUnlistedRecipient,
    /// `permit`.
    Permit,
    /// `reject` (reject_code, 554).
    Reject,
    /// `defer` (defer_code, 450).
    Defer,
}

impl Restriction {
    /// True for the restrictions that can refuse relaying on their own.
    #[must_use]
    pub fn blocks_relay(&self) -> bool {
        matches!(
            self,
            Restriction::RejectUnauthDestination
                | Restriction::DeferUnauthDestination
                | Restriction::Reject
                | Restriction::Defer
        )
    }

    /// Parses a restriction name that takes no argument.
    #[must_use]
    pub fn simple(name: &str) -> Option<Restriction> {
        Some(match name.to_ascii_lowercase().as_str() {
            "permit_mynetworks" => Restriction::PermitMynetworks,
            "permit_sasl_authenticated" => Restriction::PermitSaslAuthenticated,
            "reject_unauth_destination" => Restriction::RejectUnauthDestination,
            "defer_unauth_destination" => Restriction::DeferUnauthDestination,
            "permit_auth_destination" => Restriction::PermitAuthDestination,
            "reject_unlisted_recipient" => Restriction::RejectUnlistedRecipient,
            "permit" => Restriction::Permit,
            "reject" => Restriction::Reject,
            "defer" => Restriction::Defer,
            _ => return None,
        })
    }
}

pub(crate) fn parse_restrictions(value: &str) -> Result<Vec<Restriction>, ValueProblem> {
    let items = split_list(value);
    let mut out = Vec::new();
    let mut iter = items.into_iter();
    while let Some(item) = iter.next() {
        if let Some(r) = Restriction::simple(&item) {
            out.push(r);
            continue;
        }
        let lower = item.to_ascii_lowercase();
        let make: fn(TableRef) -> Restriction = match lower.as_str() {
            "check_client_access" => Restriction::CheckClientAccess,
            "check_sender_access" => Restriction::CheckSenderAccess,
            "check_recipient_access" => Restriction::CheckRecipientAccess,
            _ => return Err(ValueProblem::UnknownRestriction(item)),
        };
        let table = iter
            .next()
            .ok_or_else(|| ValueProblem::MissingTable(lower.clone()))?;
        out.push(make(parse_table(&table)?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("10s", 'd').unwrap().as_secs(), 10);
        assert_eq!(parse_time("10m", 's').unwrap().as_secs(), 600);
        assert_eq!(parse_time("10h", 's').unwrap().as_secs(), 36_000);
        assert_eq!(parse_time("1w", 's').unwrap().as_secs(), 604_800);
        for bad in ["", "s", "-1", "1x", "1 d", "1dd", "99999999999999999"] {
            assert!(parse_time(bad, 's').is_err(), "{bad}");
        }
    }

    #[test]
    fn parents() {
        assert_eq!(parent_keys("a.b.c", true), ["b.c", "c"]);
        assert_eq!(parent_keys("a.b.c", false), [".b.c", ".c"]);
        assert!(parent_keys("c", true).is_empty());
    }
}
