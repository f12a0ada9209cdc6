//! Body sections (RFC 3501 section 6.4.5 `BODY[section]<partial>`) and
//! BINARY (RFC 9051 section 6.4.5, RFC 3516): which octets of a message a
//! section names, and content-transfer decoding.

use std::ops::Range;

use bytes::Bytes;

use crate::types::{Partial, Section, SectionText};

use super::mime::{self, LineIter, Part, PartKind};

/// Why a section cannot be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionError {
    /// The part numbers name no part: the section is empty (RFC 3501
    /// answers with an empty string).
    NoSuchPart,
    /// BINARY of a part whose Content-Transfer-Encoding is unknown
    /// (`NO [UNKNOWN-CTE]`, RFC 3516 section 4.3).
    UnknownCte,
}

/// The octets a `BODY[section]` names, before any partial.
pub fn section_bytes(msg: &Bytes, root: &Part, section: &Section) -> Bytes {
    let Some(part) = root.find(&section.part) else {
        return Bytes::new();
    };
    let slice = |r: Range<usize>| {
        if r.start <= r.end && r.end <= msg.len() {
            msg.slice(r)
        } else {
            Bytes::new()
        }
    };
    // HEADER and TEXT name the header and text of a message: the top
    // level, or an encapsulated message/rfc822 part.
    let message = |p: &Part| -> Option<Part> {
        if section.part.is_empty() {
            Some(p.clone())
        } else if let PartKind::Message(inner) = &p.kind {
            Some((**inner).clone())
        } else {
            None
        }
    };
    match &section.text {
        None if section.part.is_empty() => msg.clone(),
        None => slice(part.body.clone()),
        Some(SectionText::Mime) => {
            if section.part.is_empty() {
                Bytes::new()
            } else {
                slice(part.header.clone())
            }
        }
        Some(SectionText::Header) => match message(part) {
            Some(m) => slice(m.header),
            None => Bytes::new(),
        },
        Some(SectionText::Text) => match message(part) {
            Some(m) => slice(m.body),
            None => Bytes::new(),
        },
        Some(SectionText::HeaderFields { not, fields }) => match message(part) {
            Some(m) => Bytes::from(header_fields(
                msg.get(m.header).unwrap_or_default(),
                fields,
                *not,
            )),
            None => Bytes::new(),
        },
    }
}

/// The lines of the fields named (or, with `not`, not named) in `names`,
/// folding included, then the blank line (RFC 3501 section 6.4.5).
pub fn header_fields(header: &[u8], names: &[Vec<u8>], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    let mut lines = LineIter::new(header);
    while let Some((ls, le, next)) = lines.next_line() {
        let line = header.get(ls..le).unwrap_or_default();
        if line.is_empty() {
            break;
        }
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let name = line
                .iter()
                .position(|&b| b == b':')
                .map(|c| mime::trim(&line[..c]))
                .unwrap_or_default();
            let listed = names.iter().any(|n| n.eq_ignore_ascii_case(name));
            keep = !name.is_empty() && listed != not;
        }
        if keep {
            out.extend_from_slice(line);
            out.extend_from_slice(b"\r\n");
        }
        let _ = next;
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Applies `<origin.length>`: the octets from `origin`, at most `length`
/// of them; empty if `origin` is past the end (RFC 3501 section 6.4.5).
pub fn apply_partial(data: Bytes, partial: Option<Partial>) -> Bytes {
    match partial {
        None => data,
        Some(p) => {
            let start = (p.origin as usize).min(data.len());
            let end = start
                .saturating_add(p.length.get() as usize)
                .min(data.len());
            data.slice(start..end)
        }
    }
}

/// The content of `BINARY[part]`: the part's body with its
/// Content-Transfer-Encoding undone. `BINARY[]` is the whole message;
/// a message/rfc822 part is returned as is.
pub fn binary_bytes(
    msg: &Bytes,
    root: &Part,
    path: &[std::num::NonZeroU32],
) -> Result<Bytes, SectionError> {
    if path.is_empty() {
        return Ok(msg.clone());
    }
    let part = root.find(path).ok_or(SectionError::NoSuchPart)?;
    let body = msg
        .get(part.body.clone())
        .map(|_| msg.slice(part.body.clone()))
        .unwrap_or_default();
    if matches!(part.kind, PartKind::Message(_) | PartKind::Multipart(_)) {
        return Ok(body);
    }
    let header = msg.get(part.header.clone()).unwrap_or_default();
    let fs = mime::fields(header);
    let cte = mime::field(&fs, "Content-Transfer-Encoding")
        .map(|v| mime::trim(v).to_ascii_lowercase())
        .unwrap_or_default();
    match cte.as_slice() {
        b"" | b"7bit" | b"8bit" | b"binary" => Ok(body),
        b"base64" => Ok(Bytes::from(decode_base64(&body))),
        b"quoted-printable" => Ok(Bytes::from(decode_qp(&body))),
        _ => Err(SectionError::UnknownCte),
    }
}

/// Decodes base64, skipping anything outside the alphabet (line breaks,
/// stray characters), as RFC 2045 section 6.8 tells readers to.
pub fn decode_base64(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut n = 0;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
    out
}

/// Decodes quoted-printable (RFC 2045 section 6.7): `=XX`, soft line
/// breaks; a malformed `=` is kept as is.
pub fn decode_qp(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if c == b'=' {
            let rest = &input[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (
                rest.first().and_then(|&b| (b as char).to_digit(16)),
                rest.get(1).and_then(|&b| (b as char).to_digit(16)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Text in a charset, as Unicode. UTF-8 and US-ASCII are read as UTF-8
/// (invalid bytes replaced), ISO-8859-1 and windows-1252 byte for byte;
/// other charsets are read as UTF-8 with replacement.
pub fn decode_charset(bytes: &[u8], charset: &[u8]) -> String {
    let cs = charset.to_ascii_lowercase();
    let latin = matches!(
        cs.as_slice(),
        b"iso-8859-1" | b"iso8859-1" | b"latin1" | b"latin-1" | b"windows-1252" | b"cp1252"
    );
    if latin && std::str::from_utf8(bytes).is_err() {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// Decodes RFC 2047 encoded-words in a header value; white space between
/// two encoded-words is dropped (RFC 2047 section 6.2).
pub fn decode_encoded_words(v: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    let mut pending_space = String::new();
    let mut last_was_word = false;
    while i < v.len() {
        if v[i..].starts_with(b"=?")
            && let Some((text, used)) = encoded_word(&v[i..])
        {
            if !last_was_word {
                out.push_str(&pending_space);
            }
            pending_space.clear();
            out.push_str(&text);
            i += used;
            last_was_word = true;
            continue;
        }
        let c = v[i];
        if c == b' ' || c == b'\t' || c == b'\r' || c == b'\n' {
            if c == b' ' || c == b'\t' {
                pending_space.push(c as char);
            }
            i += 1;
            continue;
        }
        out.push_str(&pending_space);
        pending_space.clear();
        last_was_word = false;
        let start = i;
        while i < v.len()
            && !matches!(v[i], b' ' | b'\t' | b'\r' | b'\n')
            && !v[i..].starts_with(b"=?")
        {
            i += 1;
        }
        if i == start {
            i += 1;
        }
        out.push_str(&String::from_utf8_lossy(&v[start..i]));
    }
    out.push_str(&pending_space);
    out
}

fn encoded_word(v: &[u8]) -> Option<(String, usize)> {
    // =?charset?X?text?=
    let rest = v.get(2..)?;
    let q1 = rest.iter().position(|&b| b == b'?')?;
    let charset = &rest[..q1];
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = q1 + 3;
    let end = rest
        .get(text_start..)?
        .windows(2)
        .position(|w| w == b"?=")?
        + text_start;
    let text = &rest[text_start..end];
    if text.iter().any(|&b| b == b' ' || b == b'\t' || b == b'\n') {
        return None;
    }
    let bytes = match enc.to_ascii_uppercase() {
        b'B' => decode_base64(text),
        b'Q' => {
            let t: Vec<u8> = text
                .iter()
                .map(|&b| if b == b'_' { b' ' } else { b })
                .collect();
            decode_qp(&t)
        }
        _ => return None,
    };
    // A language suffix (RFC 2231 section 5): charset*lang.
    let charset = charset.split(|&b| b == b'*').next().unwrap_or_default();
    Some((decode_charset(&bytes, charset), 2 + end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_subset() {
        let h = b"From: a\r\nSubject: x\r\n y\r\nTo: b\r\n\r\n";
        assert_eq!(
            header_fields(h, &[b"subject".to_vec()], false),
            b"Subject: x\r\n y\r\n\r\n"
        );
        assert_eq!(
            header_fields(h, &[b"subject".to_vec()], true),
            b"From: a\r\nTo: b\r\n\r\n"
        );
    }

    #[test]
    fn decoders() {
        assert_eq!(decode_base64(b"aGVs\r\nbG8="), b"hello");
        assert_eq!(decode_qp(b"caf=C3=A9=\r\n!"), "café!".as_bytes());
        assert_eq!(
            decode_encoded_words(b"=?UTF-8?Q?caf=C3=A9?= =?ISO-8859-1?B?6Q==?= ok"),
            "caféé ok"
        );
    }
}
