//! ENVELOPE and BODYSTRUCTURE from a message's bytes (RFC 3501 section
//! 7.4.2, RFC 9051 section 7.5.2).
//!
//! ENVELOPE strings are the header values as written (folding removed,
//! encoded-words left encoded, as the RFC asks: the client decodes). Type,
//! subtype, encoding and parameter names are upper-cased as in the RFC's
//! examples; parameter values are as written (RFC 2231 forms included).

use crate::types::{
    Address, Body, BodyFields, BodyStructure, DispositionTail, Envelope, LanguageTail,
    LocationTail, MultiPartExtension, NString, SinglePartExtension, SpecificFields, Vec1,
};

use super::mime::{self, Field, Part, PartKind, field, fields, skip_cfws, trim};

/// Removes folding (CRLF followed by white space) and surrounding blanks.
pub fn unfold(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for &b in trim(v) {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
    }
    out
}

fn nstring_field(fs: &[Field<'_>], name: &str) -> NString {
    field(fs, name).map(unfold)
}

/// The ENVELOPE of a message whose header block is `header`.
pub fn envelope(header: &[u8]) -> Envelope {
    let fs = fields(header);
    let addrs = |name: &str| field(&fs, name).map(parse_addresses).unwrap_or_default();
    let from = addrs("From");
    let mut sender = addrs("Sender");
    if sender.is_empty() {
        sender = from.clone();
    }
    let mut reply_to = addrs("Reply-To");
    if reply_to.is_empty() {
        reply_to = from.clone();
    }
    Envelope {
        date: nstring_field(&fs, "Date"),
        subject: nstring_field(&fs, "Subject"),
        from,
        sender,
        reply_to,
        to: addrs("To"),
        cc: addrs("Cc"),
        bcc: addrs("Bcc"),
        in_reply_to: nstring_field(&fs, "In-Reply-To"),
        message_id: nstring_field(&fs, "Message-ID"),
    }
}

/// Parses an address list (RFC 5322 section 3.4) into ENVELOPE
/// addresses, groups as start and end markers (RFC 3501 section 7.4.2).
/// A missing local part or domain is written `MISSING_MAILBOX` /
/// `MISSING_DOMAIN`, so that it cannot be read as a group marker.
pub fn parse_addresses(v: &[u8]) -> Vec<Address> {
    let v = unfold(v);
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_group = false;
    while i < v.len() && out.len() < 1000 {
        i = skip_cfws(&v, i);
        if i >= v.len() {
            break;
        }
        if v[i] == b',' {
            i += 1;
            continue;
        }
        if v[i] == b';' {
            if in_group {
                out.push(Address::default());
                in_group = false;
            }
            i += 1;
            continue;
        }
        // Read a phrase up to ':', '<', ',', ';', '@' at the top level.
        let (phrase, stop, next) = read_phrase(&v, i);
        match stop {
            Some(b':') if !in_group => {
                out.push(Address {
                    name: None,
                    adl: None,
                    mailbox: Some(phrase_text(&phrase)),
                    host: None,
                });
                in_group = true;
                i = next + 1;
            }
            Some(b'<') => {
                let close = v[next..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(v.len(), |p| next + p);
                let inner = &v[next + 1..close.max(next + 1)];
                let mut a = addr_spec(inner);
                let name = phrase_text(&phrase);
                a.name = (!name.is_empty()).then_some(name);
                out.push(a);
                i = (close + 1).min(v.len());
            }
            _ => {
                // A bare addr-spec: up to ',' or ';' outside quotes.
                let mut j = i;
                let mut quoted = false;
                while j < v.len() {
                    match v[j] {
                        b'"' => quoted = !quoted,
                        b'\\' => j += 1,
                        b',' | b';' if !quoted => break,
                        b'(' if !quoted => {
                            j = skip_cfws(&v, j);
                            continue;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let spec = strip_comments(&v[i..j.min(v.len())]);
                if !trim(&spec).is_empty() {
                    out.push(addr_spec(trim(&spec)));
                }
                i = j;
            }
        }
    }
    if in_group {
        out.push(Address::default());
    }
    out
}

fn strip_comments(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut quoted = false;
    while i < b.len() {
        match b[i] {
            b'"' => {
                quoted = !quoted;
                out.push(b'"');
            }
            b'\\' if quoted && i + 1 < b.len() => {
                out.push(b[i]);
                out.push(b[i + 1]);
                i += 1;
            }
            b'(' if !quoted => {
                i = skip_cfws(b, i);
                out.push(b' ');
                continue;
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Reads a phrase from `i`; returns its raw bytes, the special that ended
/// it, and that special's offset.
fn read_phrase(v: &[u8], mut i: usize) -> (Vec<u8>, Option<u8>, usize) {
    let mut phrase = Vec::new();
    let mut quoted = false;
    while i < v.len() {
        let c = v[i];
        if quoted {
            phrase.push(c);
            if c == b'\\' && i + 1 < v.len() {
                phrase.push(v[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                quoted = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                quoted = true;
                phrase.push(c);
            }
            b'(' => {
                i = skip_cfws(v, i);
                phrase.push(b' ');
                continue;
            }
            b':' | b'<' | b',' | b';' | b'@' => return (phrase, Some(c), i),
            _ => phrase.push(c),
        }
        i += 1;
    }
    (phrase, None, i)
}

/// A phrase with quotes removed and white space collapsed.
fn phrase_text(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    let mut quoted = false;
    let mut space = false;
    while i < p.len() {
        let c = p[i];
        if c == b'"' {
            quoted = !quoted;
            i += 1;
            continue;
        }
        if quoted && c == b'\\' && i + 1 < p.len() {
            out.push(p[i + 1]);
            i += 2;
            continue;
        }
        if !quoted && (c == b' ' || c == b'\t') {
            space = true;
            i += 1;
            continue;
        }
        if space && !out.is_empty() {
            out.push(b' ');
        }
        space = false;
        out.push(c);
        i += 1;
    }
    out
}

fn addr_spec(s: &[u8]) -> Address {
    let s = trim(s);
    // Obsolete route: "@a,@b:local@domain".
    let (adl, rest) = if s.first() == Some(&b'@') {
        match s.iter().position(|&b| b == b':') {
            Some(c) => (Some(s[..c].to_vec()), &s[c + 1..]),
            None => (None, s),
        }
    } else {
        (None, s)
    };
    let at = rest.iter().rposition(|&b| b == b'@');
    let (local, domain) = match at {
        Some(a) => (&rest[..a], &rest[a + 1..]),
        None => (rest, &b""[..]),
    };
    let local = phrase_text(trim(local));
    let domain: Vec<u8> = trim(domain)
        .iter()
        .copied()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    Address {
        name: None,
        adl,
        mailbox: Some(if local.is_empty() {
            b"MISSING_MAILBOX".to_vec()
        } else {
            local
        }),
        host: Some(if domain.is_empty() {
            b"MISSING_DOMAIN".to_vec()
        } else {
            domain
        }),
    }
}

/// Number of lines in `body`: line feeds, plus one for an unterminated
/// last line.
pub fn count_lines(body: &[u8]) -> u32 {
    let n = memchr::memchr_iter(b'\n', body).count();
    let extra = usize::from(!body.is_empty() && body.last() != Some(&b'\n'));
    u32::try_from(n + extra).unwrap_or(u32::MAX)
}

/// The BODYSTRUCTURE (`extended` = true) or BODY of a parsed message.
pub fn body_structure(msg: &[u8], part: &Part, extended: bool) -> BodyStructure {
    body_structure_at(msg, part, extended, 0)
}

fn body_structure_at(msg: &[u8], part: &Part, extended: bool, depth: usize) -> BodyStructure {
    let header = msg.get(part.header.clone()).unwrap_or_default();
    let fs = fields(header);
    let ct = &part.content_type;
    let tail = || disposition_tail(&fs);
    if let PartKind::Multipart(parts) = &part.kind
        && depth < mime::MAX_DEPTH
    {
        let bodies: Vec<BodyStructure> = parts
            .iter()
            .map(|p| body_structure_at(msg, p, extended, depth + 1))
            .collect();
        if let Ok(bodies) = Vec1::new(bodies) {
            return BodyStructure::Multi {
                bodies,
                subtype: ct.subtype.clone().into_bytes(),
                extension: extended.then(|| MultiPartExtension {
                    parameters: ct.params.clone(),
                    tail: Some(tail()),
                }),
            };
        }
    }
    let body = msg.get(part.body.clone()).unwrap_or_default();
    let encoding = field(&fs, "Content-Transfer-Encoding")
        .map(|v| unfold(v).to_ascii_uppercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| b"7BIT".to_vec());
    let parameters = if part.defaulted && ct.media_type == "TEXT" {
        vec![(b"CHARSET".to_vec(), b"US-ASCII".to_vec())]
    } else {
        ct.params.clone()
    };
    let fields_ = BodyFields {
        parameters,
        id: nstring_field(&fs, "Content-ID"),
        description: nstring_field(&fs, "Content-Description"),
        encoding,
        octets: u32::try_from(body.len()).unwrap_or(u32::MAX),
    };
    let specific = match (&part.kind, ct.media_type.as_str()) {
        (PartKind::Message(inner), _) if depth < mime::MAX_DEPTH => {
            let ih = msg.get(inner.header.clone()).unwrap_or_default();
            SpecificFields::Message {
                subtype: ct.subtype.clone().into_bytes(),
                envelope: Box::new(envelope(ih)),
                body_structure: Box::new(body_structure_at(msg, inner, extended, depth + 1)),
                lines: count_lines(body),
            }
        }
        (_, "TEXT") => SpecificFields::Text {
            subtype: ct.subtype.clone().into_bytes(),
            lines: count_lines(body),
        },
        _ => SpecificFields::Basic {
            media_type: ct.media_type.clone().into_bytes(),
            subtype: ct.subtype.clone().into_bytes(),
        },
    };
    BodyStructure::Single {
        body: Body {
            fields: fields_,
            specific,
        },
        extension: extended.then(|| SinglePartExtension {
            md5: nstring_field(&fs, "Content-MD5"),
            tail: Some(tail()),
        }),
    }
}

fn disposition_tail(fs: &[Field<'_>]) -> DispositionTail {
    let disposition = field(fs, "Content-Disposition")
        .and_then(mime::parse_disposition)
        .map(|d| (d.media_type.into_bytes(), d.params));
    let languages = field(fs, "Content-Language")
        .map(|v| {
            unfold(v)
                .split(|&b| b == b',')
                .map(|l| trim(l).to_vec())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    DispositionTail {
        disposition,
        tail: Some(LanguageTail {
            languages,
            tail: Some(LocationTail {
                location: nstring_field(fs, "Content-Location"),
                extensions: Vec::new(),
            }),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let a = parse_addresses(b" \"Doe, John\" <john@example.com>, jane@example.org (Jane)");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].name.as_deref(), Some(&b"Doe, John"[..]));
        assert_eq!(a[0].mailbox.as_deref(), Some(&b"john"[..]));
        assert_eq!(a[1].host.as_deref(), Some(&b"example.org"[..]));
        let g = parse_addresses(b"undisclosed-recipients:;");
        assert_eq!(g.len(), 2);
        assert_eq!(
            g[0].mailbox.as_deref(),
            Some(&b"undisclosed-recipients"[..])
        );
        assert_eq!(g[1], Address::default());
    }

    #[test]
    fn lines() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\r\nb\r\n"), 2);
    }
}
