//! A MIME tree over a message's bytes (RFC 2045, RFC 2046): where each
//! part's header and body are, and its Content-Type, found by scanning the
//! bytes once. Nothing is copied; every part is a range of the message.
//!
//! Malformed input never fails: a missing blank line makes the whole
//! message a header, a multipart without its boundary is one text part
//! (RFC 2046 section 5.1.7 asks readers to treat unknown subtypes as
//! mixed, and this parser treats a missing boundary as plain data).

use std::ops::Range;

/// Deepest MIME nesting followed; deeper parts are leaves. Bounds the
/// recursion a crafted message can cause.
pub const MAX_DEPTH: usize = 32;

/// Most parts in one multipart that are looked at.
pub const MAX_PARTS: usize = 10_000;

/// One header field: its name and raw (still folded) value.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// The field name as written.
    pub name: &'a [u8],
    /// The value after the colon, with folding CRLFs kept.
    pub value: &'a [u8],
}

/// A header block split into fields.
pub fn fields(header: &[u8]) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let mut lines = LineIter::new(header);
    let mut current: Option<(usize, usize, usize)> = None; // name end, value start, value end
    let mut start = 0;
    while let Some((ls, le, next)) = lines.next_line() {
        let line = &header[ls..le];
        if line.is_empty() {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            if let Some(c) = current.as_mut() {
                c.2 = le;
            }
            continue;
        }
        if let Some((ne, vs, ve)) = current.take() {
            out.push(Field {
                name: &header[start..ne],
                value: &header[vs..ve],
            });
        }
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name_end = ls + trim_end(&line[..colon]).len();
            start = ls;
            current = Some((name_end, ls + colon + 1, le));
        }
        let _ = next;
    }
    if let Some((ne, vs, ve)) = current {
        out.push(Field {
            name: &header[start..ne],
            value: &header[vs..ve],
        });
    }
    out
}

/// The first field with this name (case-insensitive).
pub fn field<'a>(fields: &[Field<'a>], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
        .map(|f| f.value)
}

/// Lines of a buffer: (start, end without CRLF/LF, start of next).
pub(crate) struct LineIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> LineIter<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        LineIter { buf, pos: 0 }
    }

    pub(crate) fn next_line(&mut self) -> Option<(usize, usize, usize)> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let start = self.pos;
        let rest = self.buf.get(start..)?;
        match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let lf = start + i;
                let end = if lf > start && self.buf.get(lf - 1) == Some(&b'\r') {
                    lf - 1
                } else {
                    lf
                };
                self.pos = lf + 1;
                Some((start, end, lf + 1))
            }
            None => {
                self.pos = self.buf.len();
                Some((start, self.buf.len(), self.buf.len()))
            }
        }
    }
}

fn trim_end(b: &[u8]) -> &[u8] {
    let mut e = b.len();
    while e > 0 && matches!(b[e - 1], b' ' | b'\t' | b'\r' | b'\n') {
        e -= 1;
    }
    &b[..e]
}

/// Trims spaces, tabs and line ends on both sides.
pub fn trim(b: &[u8]) -> &[u8] {
    let b = trim_end(b);
    let mut s = 0;
    while s < b.len() && matches!(b[s], b' ' | b'\t' | b'\r' | b'\n') {
        s += 1;
    }
    &b[s..]
}

/// Where the header ends: the offset of the body (after the blank line).
/// Without a blank line the whole input is header.
pub fn split_header(msg: &[u8]) -> usize {
    // An empty header: the message starts with the blank line.
    if msg.starts_with(b"\r\n") {
        return 2;
    }
    if msg.starts_with(b"\n") {
        return 1;
    }
    let mut from = 0;
    while let Some(i) = memchr::memchr(b'\n', msg.get(from..).unwrap_or_default()) {
        let lf = from + i;
        let after = lf + 1;
        if msg.get(after..after + 2) == Some(b"\r\n") {
            return after + 2;
        }
        if msg.get(after) == Some(&b'\n') {
            return after + 1;
        }
        from = after;
    }
    msg.len()
}

/// A parsed `Content-Type` (or `Content-Disposition`): lower-level values
/// as written, parameters with their attribute names as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentType {
    /// Media type, upper-cased (`TEXT`).
    pub media_type: String,
    /// Subtype, upper-cased (`PLAIN`).
    pub subtype: String,
    /// Parameters in order: attribute (upper-cased) and unquoted value.
    pub params: Vec<(Vec<u8>, Vec<u8>)>,
}

impl ContentType {
    /// The value of a parameter (case-insensitive attribute).
    pub fn param(&self, name: &str) -> Option<&[u8]> {
        self.params
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_slice())
    }

    /// The value of a parameter, also decoding the RFC 2231 forms
    /// (`name*=charset'lang'%XX`, `name*0=`, `name*1*=`...). The charset is
    /// assumed to be UTF-8 or ASCII; other bytes are kept.
    pub fn param_2231(&self, name: &str) -> Option<Vec<u8>> {
        if let Some(v) = self.param(name) {
            return Some(v.to_vec());
        }
        let star = format!("{name}*");
        if let Some(v) = self.param(&star) {
            return Some(decode_2231_first(v));
        }
        let mut out = Vec::new();
        let mut found = false;
        for i in 0..100 {
            let plain = format!("{name}*{i}");
            let enc = format!("{name}*{i}*");
            if let Some(v) = self.param(&plain) {
                out.extend_from_slice(v);
            } else if let Some(v) = self.param(&enc) {
                if i == 0 {
                    out.extend(decode_2231_first(v));
                } else {
                    out.extend(percent_decode(v));
                }
            } else {
                break;
            }
            found = true;
        }
        found.then_some(out)
    }
}

fn decode_2231_first(v: &[u8]) -> Vec<u8> {
    // charset'language'value
    let mut parts = v.splitn(3, |&b| b == b'\'');
    let a = parts.next();
    let b = parts.next();
    match (a, b, parts.next()) {
        (Some(_), Some(_), Some(value)) => percent_decode(value),
        _ => percent_decode(v),
    }
}

fn percent_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%' && i + 2 < v.len() {
            let h = (v[i + 1] as char).to_digit(16);
            let l = (v[i + 2] as char).to_digit(16);
            if let (Some(h), Some(l)) = (h, l) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

/// Skips RFC 5322 CFWS (spaces, folding, comments) from `i`.
pub(crate) fn skip_cfws(b: &[u8], mut i: usize) -> usize {
    loop {
        while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i < b.len() && b[i] == b'(' {
            let mut depth = 0usize;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            continue;
        }
        return i;
    }
}

/// A `token` or `quoted-string` (RFC 2045 section 5.1) at `i`.
fn token_or_quoted(b: &[u8], i: usize) -> (Vec<u8>, usize) {
    let i = skip_cfws(b, i);
    if b.get(i) == Some(&b'"') {
        let mut out = Vec::new();
        let mut j = i + 1;
        while j < b.len() {
            match b[j] {
                b'\\' if j + 1 < b.len() => {
                    out.push(b[j + 1]);
                    j += 2;
                }
                b'"' => return (out, j + 1),
                b'\r' | b'\n' => j += 1,
                c => {
                    out.push(c);
                    j += 1;
                }
            }
        }
        (out, j)
    } else {
        let mut j = i;
        while j < b.len() && !matches!(b[j], b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(' | b'"') {
            // '=' ends an attribute but is allowed in a sloppy value
            j += 1;
        }
        (b[i..j].to_vec(), j)
    }
}

/// Parses a Content-Type value: `type/subtype *(; attribute=value)`.
pub fn parse_content_type(v: &[u8]) -> Option<ContentType> {
    let i = skip_cfws(v, 0);
    let slash = v.get(i..)?.iter().position(|&b| b == b'/')? + i;
    let mt = trim(v.get(i..slash)?);
    let mut j = skip_cfws(v, slash + 1);
    let st_start = j;
    while j < v.len() && !matches!(v[j], b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(') {
        j += 1;
    }
    let st = v.get(st_start..j)?;
    if mt.is_empty() || st.is_empty() || !mt.iter().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    Some(ContentType {
        media_type: String::from_utf8_lossy(mt).to_ascii_uppercase(),
        subtype: String::from_utf8_lossy(st).to_ascii_uppercase(),
        params: parse_params(v, j),
    })
}

/// Parses a Content-Disposition value: `type *(; attribute=value)`.
pub fn parse_disposition(v: &[u8]) -> Option<ContentType> {
    let i = skip_cfws(v, 0);
    let mut j = i;
    while j < v.len() && !matches!(v[j], b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(') {
        j += 1;
    }
    let t = v.get(i..j)?;
    if t.is_empty() {
        return None;
    }
    Some(ContentType {
        media_type: String::from_utf8_lossy(t).to_ascii_uppercase(),
        subtype: String::new(),
        params: parse_params(v, j),
    })
}

fn parse_params(v: &[u8], mut j: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut params = Vec::new();
    loop {
        j = skip_cfws(v, j);
        if j >= v.len() || params.len() >= 64 {
            break;
        }
        if v[j] != b';' {
            // Junk: skip to the next ';'.
            match v[j..].iter().position(|&b| b == b';') {
                Some(p) => j += p,
                None => break,
            }
            continue;
        }
        j = skip_cfws(v, j + 1);
        let a_start = j;
        while j < v.len() && !matches!(v[j], b'=' | b';' | b' ' | b'\t' | b'\r' | b'\n' | b'(') {
            j += 1;
        }
        let attr = v[a_start..j].to_ascii_uppercase();
        j = skip_cfws(v, j);
        if v.get(j) != Some(&b'=') || attr.is_empty() {
            continue;
        }
        let (val, k) = token_or_quoted(v, j + 1);
        j = k;
        params.push((attr, val));
    }
    params
}

/// One node of the MIME tree.
#[derive(Debug, Clone)]
pub struct Part {
    /// The part's header, blank line included (for the top level: the
    /// message header).
    pub header: Range<usize>,
    /// The part's body.
    pub body: Range<usize>,
    /// Content-Type, or the default (RFC 2045 section 5.2, RFC 2046
    /// section 5.1.5 for digests).
    pub content_type: ContentType,
    /// Whether Content-Type was absent or unparsable (defaulted).
    pub defaulted: bool,
    /// What the part holds.
    pub kind: PartKind,
}

/// A part's children.
#[derive(Debug, Clone)]
pub enum PartKind {
    /// A leaf.
    Leaf,
    /// A multipart's parts (at least one).
    Multipart(Vec<Part>),
    /// A `message/rfc822` or `message/global` part: the encapsulated message.
    Message(Box<Part>),
}

fn default_type(digest: bool) -> ContentType {
    if digest {
        ContentType {
            media_type: "MESSAGE".into(),
            subtype: "RFC822".into(),
            params: Vec::new(),
        }
    } else {
        ContentType {
            media_type: "TEXT".into(),
            subtype: "PLAIN".into(),
            params: vec![(b"CHARSET".to_vec(), b"us-ascii".to_vec())],
        }
    }
}

/// Parses the MIME tree of the entity at `range` of `msg`.
pub fn parse(msg: &[u8]) -> Part {
    parse_entity(msg, 0..msg.len(), false, 0)
}

fn parse_entity(msg: &[u8], range: Range<usize>, in_digest: bool, depth: usize) -> Part {
    let ent = msg.get(range.clone()).unwrap_or_default();
    let hlen = split_header(ent);
    let header = range.start..range.start + hlen;
    let body = range.start + hlen..range.end;
    let fs = fields(ent.get(..hlen).unwrap_or_default());
    let parsed = field(&fs, "Content-Type").and_then(parse_content_type);
    let defaulted = parsed.is_none();
    let content_type = parsed.unwrap_or_else(|| default_type(in_digest));
    let mut part = Part {
        header,
        body: body.clone(),
        content_type,
        defaulted,
        kind: PartKind::Leaf,
    };
    if depth >= MAX_DEPTH {
        return part;
    }
    let ct = &part.content_type;
    if ct.media_type == "MULTIPART" {
        if let Some(boundary) = ct.param("BOUNDARY").filter(|b| !b.is_empty()) {
            let digest = ct.subtype == "DIGEST";
            let ranges = split_multipart(msg, body, boundary);
            if !ranges.is_empty() {
                let parts = ranges
                    .into_iter()
                    .map(|r| parse_entity(msg, r, digest, depth + 1))
                    .collect();
                part.kind = PartKind::Multipart(parts);
            }
        }
        if matches!(part.kind, PartKind::Leaf) {
            // A multipart without a usable boundary: plain text (a
            // multipart with no parts cannot be described in BODYSTRUCTURE).
            part.content_type = default_type(false);
            part.defaulted = true;
        }
    } else if ct.media_type == "MESSAGE"
        && (ct.subtype == "RFC822" || ct.subtype == "GLOBAL")
        && !body.is_empty()
    {
        part.kind = PartKind::Message(Box::new(parse_entity(msg, body, false, depth + 1)));
    }
    part
}

/// The ranges of a multipart body's parts (RFC 2046 section 5.1.1): the
/// CRLF before each delimiter belongs to the delimiter.
fn split_multipart(msg: &[u8], body: Range<usize>, boundary: &[u8]) -> Vec<Range<usize>> {
    let buf = msg.get(body.clone()).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = LineIter::new(buf);
    let mut current: Option<usize> = None; // start of the current part
    while let Some((ls, le, next)) = lines.next_line() {
        let line = &buf[ls..le];
        let Some(rest) = line.strip_prefix(b"--") else {
            continue;
        };
        let Some(after) = rest.strip_prefix(boundary) else {
            continue;
        };
        let close = after.starts_with(b"--");
        let tail = if close { &after[2..] } else { after };
        if !tail.iter().all(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        if let Some(start) = current.take() {
            // The line break before the delimiter is part of it.
            let mut end = ls;
            if end > start && buf.get(end - 1) == Some(&b'\n') {
                end -= 1;
                if end > start && buf.get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
            }
            out.push(body.start + start..body.start + end.max(start));
            if out.len() >= MAX_PARTS {
                return out;
            }
        }
        if close {
            return out;
        }
        current = Some(next);
    }
    // No close delimiter: the last part runs to the end.
    if let Some(start) = current {
        out.push(body.start + start.min(buf.len())..body.end);
    }
    out
}

impl Part {
    /// The part at a section's part numbers (RFC 3501 section 6.4.5): for
    /// a message/rfc822 part, numbers go into the encapsulated message's
    /// parts; a non-multipart message has part 1 = its body.
    pub fn find(&self, path: &[std::num::NonZeroU32]) -> Option<&Part> {
        let mut cur = self;
        for n in path {
            let idx = n.get() as usize - 1;
            // Step into an encapsulated message first.
            let container = match &cur.kind {
                PartKind::Message(inner) => inner.as_ref(),
                _ => cur,
            };
            cur = match &container.kind {
                PartKind::Multipart(parts) => parts.get(idx)?,
                _ if idx == 0 => container,
                _ => return None,
            };
        }
        Some(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_split_and_fields() {
        let m = b"A: 1\r\nB: two\r\n  folded\r\n\r\nbody";
        let h = split_header(m);
        assert_eq!(&m[h..], b"body");
        let f = fields(&m[..h]);
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].value, b" two\r\n  folded");
    }

    #[test]
    fn content_type_params() {
        let ct = parse_content_type(b" text/Plain; charset=\"UTF-8\"; format=flowed (c)").unwrap();
        assert_eq!(ct.media_type, "TEXT");
        assert_eq!(ct.subtype, "PLAIN");
        assert_eq!(ct.param("charset"), Some(&b"UTF-8"[..]));
        assert_eq!(ct.param("FORMAT"), Some(&b"flowed"[..]));
        let d = parse_disposition(b"attachment; filename*=utf-8''%C3%A9t%C3%A9.txt").unwrap();
        assert_eq!(d.param_2231("filename").unwrap(), "été.txt".as_bytes());
    }

    #[test]
    fn multipart_ranges() {
        let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>\r\n--b--\r\nepi";
        let p = parse(m);
        let PartKind::Multipart(parts) = &p.kind else {
            panic!()
        };
        assert_eq!(parts.len(), 2);
        assert_eq!(&m[parts[0].body.clone()], b"one");
        assert_eq!(&m[parts[1].body.clone()], b"<p>");
        assert_eq!(parts[1].content_type.subtype, "HTML");
    }
}
