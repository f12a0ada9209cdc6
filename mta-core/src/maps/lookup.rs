//! Postfix's lookup orders: which keys are tried, in which order, for a
//! mail address, a client, a transport or a virtual alias.

use std::net::IpAddr;

use super::cidr::canonical;
use super::formats::{Access, AccessAction, Transport, TransportEntry, Virtual};
use super::table::MapList;
use crate::config::values_parent_keys as parent_keys;

/// Splits a local part at the first recipient delimiter character:
/// `("user", Some("tag"))` for `user+tag` with delimiter `+`. A local part
/// that starts with the delimiter is not split (Postfix's split_addr).
#[must_use]
pub fn split_extension<'a>(local: &'a str, delimiters: &str) -> (&'a str, Option<&'a str>) {
    if delimiters.is_empty() {
        return (local, None);
    }
    match local.char_indices().find(|(_, c)| delimiters.contains(*c)) {
        Some((i, c)) if i > 0 => (&local[..i], Some(&local[i + c.len_utf8()..])),
        _ => (local, None),
    }
}

/// access(5) "EMAIL ADDRESS PATTERNS": the keys for `local@domain`, in
/// order: `user+ext@domain`, `user@domain`, `domain`, the parent domains
/// (`example.com` when `parent_style`, else `.example.com`), `user+ext@`,
/// `user@`. The null address is looked up as `null_key` only.
#[must_use]
pub fn address_keys(
    address: Option<(&str, &str)>,
    delimiters: &str,
    parent_style: bool,
    null_key: &str,
) -> Vec<String> {
    let Some((local, domain)) = address else {
        return vec![null_key.to_owned()];
    };
    let domain = domain.to_ascii_lowercase();
    let (user, ext) = split_extension(local, delimiters);
    let mut keys = vec![format!("{local}@{domain}")];
    if ext.is_some() {
        keys.push(format!("{user}@{domain}"));
    }
    if !domain.is_empty() {
        keys.push(domain.clone());
        keys.extend(parent_keys(&domain, parent_style));
    }
    keys.push(format!("{local}@"));
    if ext.is_some() {
        keys.push(format!("{user}@"));
    }
    keys
}

/// access(5) "HOST NAME/ADDRESS PATTERNS": the client host name and its
/// parents (when known), then the address and its truncations (`1.2.3.4`,
/// `1.2.3`, `1.2`, `1`; IPv6 text truncated at each `:`).
#[must_use]
pub fn client_keys(name: Option<&str>, addr: IpAddr, parent_style: bool) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(name) = name.filter(|n| !n.is_empty() && *n != "unknown") {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        keys.extend(parent_keys(&name, parent_style));
        keys.insert(0, name);
    }
    let addr = canonical(addr);
    let text = addr.to_string();
    let sep = if addr.is_ipv4() { '.' } else { ':' };
    let mut rest = text.as_str();
    loop {
        if !rest.is_empty() {
            keys.push(rest.to_owned());
        }
        match rest.rfind(sep) {
            Some(i) => rest = &rest[..i],
            None => break,
        }
    }
    keys
}

/// Looks the keys up in order; the first hit answers. A `DUNNO` hit stops
/// the search (access(5): it "prevents Postfix from trying substrings of
/// the lookup key") and is returned as such.
#[must_use]
pub fn access_lookup<'a>(maps: &'a MapList<Access>, keys: &[String]) -> Option<&'a AccessAction> {
    keys.iter().find_map(|k| maps.get(k))
}

/// transport(5) lookup order for `local@domain`: `user+ext@domain`,
/// `user@domain`, `domain`, the parent domains (`.example.com`, or
/// `example.com` when transport_maps is in parent_domain_matches_subdomains),
/// then `*`.
#[must_use]
pub fn transport_lookup<'a>(
    maps: &'a MapList<Transport>,
    local: &str,
    domain: &str,
    delimiters: &str,
    parent_style: bool,
) -> Option<&'a TransportEntry> {
    let domain = domain.to_ascii_lowercase();
    let (user, ext) = split_extension(local, delimiters);
    let mut keys = vec![format!("{local}@{domain}")];
    if ext.is_some() {
        keys.push(format!("{user}@{domain}"));
    }
    keys.push(domain.clone());
    keys.extend(parent_keys(&domain, parent_style));
    keys.push("*".to_owned());
    keys.iter().find_map(|k| maps.get(k))
}

/// virtual(5) lookup for `local@domain`: `user+ext@domain`, `user@domain`,
/// `user` (only when `local_domain`, i.e. the domain is $myorigin,
/// $mydestination or an interface address), then the catch-all `@domain`.
///
/// When the match did not include the extension and `propagate` is set
/// (propagate_unmatched_extensions has `virtual`, the default), the
/// extension is added to each result's local part: `user+foo@example.com`
/// via `user@example.com -> joe@example.net` gives `joe+foo@example.net`.
#[must_use]
pub fn virtual_lookup(
    maps: &MapList<Virtual>,
    local: &str,
    domain: &str,
    delimiters: &str,
    local_domain: bool,
    propagate: bool,
) -> Option<Vec<String>> {
    let domain = domain.to_ascii_lowercase();
    let (user, ext) = split_extension(local, delimiters);
    let mut keys: Vec<(String, bool)> = vec![(format!("{local}@{domain}"), true)];
    if ext.is_some() {
        keys.push((format!("{user}@{domain}"), false));
    }
    if local_domain {
        keys.push((local.to_owned(), true));
        if ext.is_some() {
            keys.push((user.to_owned(), false));
        }
    }
    keys.push((format!("@{domain}"), false));
    for (key, with_ext) in keys {
        if let Some(found) = maps.get(&key) {
            let Some(ext) = ext.filter(|_| propagate && !with_ext) else {
                return Some(found.clone());
            };
            let delimiter = local
                .get(user.len()..)
                .and_then(|s| s.chars().next())
                .unwrap_or('+');
            return Some(
                found
                    .iter()
                    .map(|a| match a.rsplit_once('@') {
                        Some((l, d)) => format!("{l}{delimiter}{ext}@{d}"),
                        None => format!("{a}{delimiter}{ext}"),
                    })
                    .collect(),
            );
        }
    }
    None
}
